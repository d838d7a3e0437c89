"""The base webhook view: store → verify → parse → dispatch.

A vendor module sets `provider` and `event_types` (vendor event name → hub event type) and may
override `parse`. Every delivery becomes a `WebhookEvent` row, whatever happens to it; nothing
that fails verification is processed.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
from contextlib import nullcontext

from django.db import IntegrityError, connection, models, transaction
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from standardwebhooks import Webhook

from syncapp import conf, metrics
from syncapp.domain.events import CUSTOMER_EVENTS, ORDER_EVENTS
from syncapp.json_errors import json_error
from syncapp.models import WebhookEvent
from syncapp.webhooks import throttle

MAX_BODY = 1024 * 1024


def _column_length(field: models.CharField) -> int:
    assert field.max_length is not None  # each of these columns declares its length
    return field.max_length


# The longest value of each field the hub stores (its column). Longer is refused, never cut: a cut
# event id would deduplicate two events as one, a cut order id would sync another order.
MAX_EVENT_ID = _column_length(WebhookEvent._meta.get_field("event_id"))
MAX_FIELDS = {"type": _column_length(WebhookEvent._meta.get_field("event_type")),
              "data.order_id": _column_length(WebhookEvent._meta.get_field("order_id")),
              "data.account_id": _column_length(WebhookEvent._meta.get_field("account_id"))}
SECRET_HEADERS = {"authorization", "webhook-signature", "cookie", "x-api-key", "nue-api-key"}
# SQLite admits one writer at a time and makes the others poll, sleeping 1 to 100 ms between tries:
# under a burst, deliveries wait in that busy handler far longer than their writes take. This
# process's deliveries queue on a lock instead, one after another (bench/intake.py: p99 under full
# load 2-3x lower, same throughput). Other databases write in parallel and need no such lock.
_SQLITE_WRITER = threading.Lock()


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    provider: str = ""
    #: vendor event names → the hub's event types; the hub's own names map to themselves.
    event_types: dict[str, str] = {t: t for t in ORDER_EVENTS | CUSTOMER_EVENTS}
    http_method_names = ["post"]

    @metrics.counts_webhook_deliveries
    def post(self, request):
        event = WebhookEvent(provider=self.provider, remote_addr=request.META.get("REMOTE_ADDR") or None,
                             headers=_redacted(request.headers), status=WebhookEvent.Status.REJECTED)
        raw = b""
        try:
            raw = request.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                raise Rejected(413, "body_too_large", f"Bodies over {MAX_BODY} bytes are refused.")
            event.event_id = self.verify(request, raw)
            event.verified = True
            payload = self.parse(raw)
        except Rejected as rejected:
            # Checked only now: a verified delivery is never counted, slowed or refused here.
            if not event.verified and throttle.rejected_too_often(event.remote_addr):
                refused = json_error("too_many_rejected_deliveries", "Too many rejected deliveries from this "
                                     "address; try again in a minute.", 429)
                refused["Retry-After"] = "60"
                return refused
            event.keep(raw)
            event.error = rejected.message
            try:
                _store(event)
            except IntegrityError:  # a verified but malformed event, delivered again
                return JsonResponse({"status": "duplicate"}, status=200)
            return json_error(rejected.code, rejected.message, rejected.status, rejected.details)
        event.keep(raw)
        return self.dispatch_event(event, payload)

    # --- hooks ----------------------------------------------------------------------------------
    def verify(self, request, raw: bytes) -> str:
        """Authenticate the delivery and return its event id; raise `Rejected(401, …)` otherwise.
        Standard Webhooks signatures with the provider's secret; HTTP Basic where configured."""
        if request.headers.get("webhook-signature"):
            _verify_signature(self.provider, raw, dict(request.headers))
            return _checked_id(request.headers["webhook-id"], "webhook-id")
        # Several `user:password` pairs, space-separated, while Basic credentials are rotated.
        given = request.headers.get("Authorization", "")
        if any(_basic_matches(given, expected) for expected in conf.webhook_basic(self.provider).split()):
            event_id = _json_field(raw, "id")
            if not event_id:
                raise Rejected(400, "malformed_body", "Basic-authenticated events need an 'id' field.")
            return _checked_id(event_id, "id")
        raise Rejected(401, "missing_signature", "The delivery is not signed (webhook-signature header).")

    def parse(self, raw: bytes) -> dict:
        """The body as {"type": hub event type or the vendor's unknown one, "data": {...}}."""
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise Rejected(400, "malformed_body", "The body is not JSON.") from None
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or \
                not isinstance(body.get("data"), dict):
            raise Rejected(400, "malformed_body", "Expected an object with 'type' and 'data'.")
        data = body["data"]
        if not all(_storable(v) for v in (body["type"], data.get("order_id"), data.get("account_id"))):
            raise Rejected(400, "malformed_body", "Text fields must not contain NUL or lone surrogates.")
        for field, value in (("type", body["type"]), ("data.order_id", data.get("order_id")),
                             ("data.account_id", data.get("account_id"))):
            if len(str(value or "")) > MAX_FIELDS[field]:
                raise _too_long(field, MAX_FIELDS[field])
        event_type = self.event_types.get(body["type"], body["type"])
        if event_type in ORDER_EVENTS and not (isinstance(data.get("order_id"), str) and data["order_id"]):
            raise Rejected(400, "malformed_body", "Order events need data.order_id.")
        return {"type": event_type, "data": data}

    # --- dispatch -------------------------------------------------------------------------------
    def dispatch_event(self, event: WebhookEvent, payload: dict) -> JsonResponse:
        data = payload["data"]
        event.event_type = payload["type"][:100]
        event.order_id = str(data.get("order_id") or "")[:100]
        event.account_id = str(data.get("account_id") or "")[:100]
        # One row in one statement, and no task: the dispatcher queues the order's job
        # (engine.take_in). A duplicate's IntegrityError leaves everything as it was.
        event.status = WebhookEvent.Status.ACCEPTED if event.event_type in ORDER_EVENTS else WebhookEvent.Status.IGNORED
        try:
            with _one_writer():
                _store(event)
        except IntegrityError:
            return JsonResponse({"status": "duplicate"}, status=200)
        return JsonResponse({"status": "accepted"}, status=202)


def webhook_secrets(provider: str) -> list[str]:
    """The provider's signing secrets. While a secret is rotated the setting holds the new and the
    old one, space-separated, so deliveries signed with either are accepted (docs/deploy.md)."""
    return conf.webhook_secret(provider).split()


def _verify_signature(provider: str, raw: bytes, headers: dict) -> None:
    """Pass when the delivery is signed with one of the provider's secrets; raise Rejected otherwise."""
    secrets = webhook_secrets(provider)
    if not secrets:
        raise Rejected(401, "invalid_signature", f"No {provider} webhook secret is configured.")
    for secret in secrets:
        try:
            Webhook(secret).verify(raw, headers, json_parse=False)
        except Exception as err:  # the library raises several types for forged or odd input
            failure = err
            continue
        return
    raise Rejected(401, "invalid_signature", f"Signature verification failed: {failure}")


def _checked_id(event_id: str, field: str) -> str:
    if len(event_id) > MAX_EVENT_ID:
        raise _too_long(field, MAX_EVENT_ID)
    return event_id


def _too_long(field: str, limit: int) -> Rejected:
    return Rejected(400, "field_too_long", f"{field} is longer than {limit} characters.",
                    {field: f"at most {limit} characters"})


def _store(event: WebhookEvent) -> None:
    """Insert `event` in one statement, written as SQL: the ORM's compiling costs more than
    SQLite's writing. A duplicate raises IntegrityError; inside a caller's transaction a savepoint
    keeps that transaction usable."""
    meta, qn = event._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in fields]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}")
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(sql, values)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False


def _one_writer():
    return _SQLITE_WRITER if connection.vendor == "sqlite" else nullcontext()


def _redacted(headers) -> dict:
    return {k: ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def _basic_matches(header: str, expected: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected.encode())


def _json_field(raw: bytes, name: str) -> str:
    try:
        value = json.loads(raw).get(name)
    except (ValueError, AttributeError, RecursionError):
        return ""
    return value if isinstance(value, str) and _storable(value) else ""


def _storable(value) -> bool:
    """False for text a database cannot store: NUL (PostgreSQL) or lone surrogates (any, as UTF-8).
    JSON's \\u escapes can carry both."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
