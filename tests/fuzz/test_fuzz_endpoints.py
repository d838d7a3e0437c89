"""Bad input never crashes the hub: random bodies, headers, signatures,
encodings and sizes against the webhook intake and the checkout API get a 4xx — never a 5xx — and
nothing that fails verification or validation is processed.

The checkout tests run with every outside system pointed at a closed local port: a body that passes
validation would go upstream, fail to connect, and be answered `502 upstream_unavailable` (the
contract's answer for "Salesforce or billing failing", not an error of the hub's own making). The
tests accept that one 5xx only with that code, and check that no outside call was even attempted
for any 4xx answer.
"""
import json
import socket
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import event as note_event
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from syncapp.domain.events import CUSTOMER_EVENTS, ORDER_EVENTS
from syncapp.jobs import engine
from syncapp.models import CheckoutSession, SyncAttempt, SyncJob, WebhookEvent

pytestmark = pytest.mark.django_db

FUZZ = hyp_settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.large_base_example, HealthCheck.data_too_large])
MAX_BODY = 1024 * 1024  # the intake's documented limit (syncapp.webhooks.base.MAX_BODY)
OTHER_SECRET = "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="


class _Rollback(Exception):
    pass


@contextmanager
def isolated():
    """Run one example in a savepoint that is rolled back, so every example starts from the same
    database (and an empty cache, where rejected deliveries are counted: a key prefix of its own,
    since clearing a Redis cache would empty every test's queues) and a failure replays the same way."""
    prefix = f"fuzz-{uuid.uuid4().hex[:12]}"
    try:
        with override_settings(CACHES={name: {**cache, "KEY_PREFIX": prefix} for name, cache in settings.CACHES.items()}), \
                transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


# --- strategies: text and JSON ------------------------------------------------------------------
# Any code point, lone surrogates and NUL included: JSON escapes ("\ud800", "\u0000") reach the hub
# as such strings even though no valid UTF-8 byte sequence encodes them.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
# What can travel in an HTTP header: WSGI servers hand header bytes over decoded as latin-1.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                      max_size=60)
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
                | st.floats(allow_nan=False, allow_infinity=False) | any_text)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
ENCODINGS = ["utf-8", "utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252", "ascii"]


def _safe_encode(text: str, codec: str, errors: str) -> bytes:
    try:
        return text.encode(codec, errors=errors)
    except UnicodeEncodeError:  # "surrogatepass" only exists for the UTF codecs
        return text.encode(codec, errors="replace")


@st.composite
def json_bytes(draw, values):
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()))
    errors = draw(st.sampled_from(["replace", "surrogatepass"]))
    return _safe_encode(text, draw(st.sampled_from(ENCODINGS)), errors)


@st.composite
def sized_bodies(draw):
    """Bodies at and around the intake's size limit, and deeply nested JSON."""
    kind = draw(st.sampled_from(["limit", "nested-array", "nested-object"]))
    if kind == "limit":
        size = MAX_BODY + draw(st.sampled_from([-1, 0, 1, 4096, MAX_BODY]))
        prefix = b'{"type": "order.created", "data": {"order_id": "O-1", "pad": "'
        return prefix + b"x" * (size - len(prefix) - 3) + b'"}}'
    depth = draw(st.integers(min_value=500, max_value=200_000))
    if kind == "nested-array":
        return b"[" * depth + b"]" * depth
    return b'{"type": "order.created", "data": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


event_types = st.sampled_from(sorted(ORDER_EVENTS | CUSTOMER_EVENTS)) | any_text | json_values
event_data = st.fixed_dictionaries({}, optional={"order_id": any_text | json_values,
                                                 "account_id": any_text | json_values,
                                                 "extra": json_values}) | json_values
event_like = st.fixed_dictionaries({"type": event_types, "data": event_data},
                                   optional={"id": any_text | json_values, "created_at": any_text})
# Close to what a billing system sends: a known type and an order id, any text in it.
plausible_event = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(ORDER_EVENTS | CUSTOMER_EVENTS)),
     "data": st.fixed_dictionaries({"order_id": any_text}, optional={"account_id": any_text})},
    optional={"id": any_text, "created_at": any_text})
webhook_bodies = st.one_of(
    st.binary(max_size=600),
    json_bytes(json_values),
    json_bytes(event_like),
    json_bytes(plausible_event),
    json_bytes(plausible_event),
    sized_bodies(),
)


# --- webhooks -----------------------------------------------------------------------------------
def well_formed(raw: bytes) -> bool:
    """The documented webhook body: a JSON object with a text `type` and an object `data`; order events
    name their order. (Text that cannot be stored — NUL, lone surrogates, more than its column
    holds — counts as malformed.)"""
    try:
        body = json.loads(raw)  # as the hub reads it: UTF-8, or UTF-16/32 told by the first bytes
    except (ValueError, RecursionError):
        return False
    if not (isinstance(body, dict) and isinstance(body.get("type"), str) and isinstance(body.get("data"), dict)):
        return False
    fields = [body["type"]] + [v for k, v in body["data"].items() if k in ("order_id", "account_id")]
    if any(isinstance(v, str) and not _storable(v) for v in fields):
        return False
    # Each is stored in a column of 100 characters: longer is refused (400), never cut.
    if any(len(str(v or "")) > 100 for v in (body["type"], body["data"].get("order_id"), body["data"].get("account_id"))):
        return False
    order_id = body["data"].get("order_id")
    return body["type"] not in ORDER_EVENTS or (isinstance(order_id, str) and order_id != "")


def _storable(text: str) -> bool:
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


FORGERIES = ["unsigned", "garbage", "wrong-secret", "stale", "other-body"]


@st.composite
def deliveries(draw, signings):
    """What one sender sends: provider, body, content type, extra headers, and how it signs —
    not at all, garbage headers, another secret, a stale or future timestamp, over another body,
    or correctly."""
    return {
        "provider": draw(st.sampled_from(["zuora", "nue"])),
        "body": draw(webhook_bodies),
        "signing": draw(st.sampled_from(signings)),
        "msg_id": draw(st.uuids().map(lambda u: f"msg_{u.hex}") | header_text.filter(bool)),
        "skew": timedelta(minutes=draw(st.sampled_from([-30, -6, 6, 60]))),
        "garbage": draw(st.fixed_dictionaries({}, optional={
            "HTTP_WEBHOOK_ID": header_text, "HTTP_WEBHOOK_TIMESTAMP": header_text | st.integers().map(str),
            "HTTP_WEBHOOK_SIGNATURE": header_text | st.lists(header_text, max_size=3).map(" ".join)})),
        "extra": draw(st.fixed_dictionaries({}, optional={
            "HTTP_CONTENT_ENCODING": st.sampled_from(["gzip", "br", "identity"]) | header_text,
            "HTTP_X_FORWARDED_FOR": header_text, "HTTP_AUTHORIZATION": header_text})),
        "content_type": draw(st.sampled_from(["application/json", "application/json; charset=utf-16",
                                              "text/plain", "application/x-www-form-urlencoded", ""])
                             | header_text),
    }


def signature_headers(delivery: dict, secret: str) -> tuple[dict, bool]:
    """The webhook-* headers for `delivery`, and whether they carry a valid signature."""
    signing, msg_id, body = delivery["signing"], delivery["msg_id"], delivery["body"]
    if signing == "unsigned":
        return {}, False
    if signing == "garbage":
        return delivery["garbage"], False
    when = datetime.now(UTC) + (delivery["skew"] if signing == "stale" else timedelta(0))
    text = body.decode("utf-8", "replace") + (" " if signing == "other-body" else "")
    signature = Webhook(OTHER_SECRET if signing == "wrong-secret" else secret).sign(msg_id, when, text)
    headers = {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
               "HTTP_WEBHOOK_SIGNATURE": signature}
    return headers, signing == "valid" and _utf8(body)


def expected_status(body: bytes, signed: bool, first_delivery: bool) -> set[int]:
    if len(body) > MAX_BODY:
        return {413}
    if not signed:
        return {401}
    if not first_delivery:
        return {200}  # the same webhook-id again is a duplicate, whatever became of the first
    return {200, 202} if well_formed(body) else {400}


@FUZZ
@given(delivery=deliveries(FORGERIES), times=st.sampled_from([1, 2]))
def test_unsigned_or_forged_deliveries_are_refused_and_never_processed(client, hub_settings, delivery, times):
    check_delivery(client, hub_settings, delivery, times)


@FUZZ
@given(delivery=deliveries(["valid"]), times=st.sampled_from([1, 1, 2]))
def test_signed_deliveries_are_accepted_only_when_well_formed(client, hub_settings, delivery, times):
    check_delivery(client, hub_settings, delivery, times)


def check_delivery(client, hub_settings, delivery, times):
    provider, body = delivery["provider"], delivery["body"]
    headers, signed = signature_headers(delivery, hub_settings[f"{provider}_webhook_secret"])
    with isolated():
        for n in range(times):  # twice: the sender's redelivery of the same webhook-id
            response = post_webhook(client, provider, body, delivery["content_type"],
                                    {**delivery["extra"], **headers}, expected_status(body, signed, n == 0))
        assert_nothing_unverified_processed()
    note_event(f"webhook {response.status_code}")


def post_webhook(client, provider, body, content_type, headers, expected):
    jobs_before = SyncJob.objects.count()
    last_before = WebhookEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.generic("POST", f"/api/v1/webhooks/{provider}", body, content_type=content_type, **headers)
    status = response.status_code
    assert status in expected, (status, expected, response.content[:300])
    new_events = list(WebhookEvent.objects.filter(id__gt=last_before))
    if status == 200:  # a duplicate of an event already stored: nothing new
        assert response.json() == {"status": "duplicate"}
        assert (new_events, SyncJob.objects.count()) == ([], jobs_before)
        return response
    # Every other delivery is stored, exactly once; an unverified or malformed one is rejected and
    # queues no job.
    assert len(new_events) == 1
    stored = new_events[0]
    if status >= 400:
        assert response.json()["error"]["code"]
        assert (stored.status, stored.job_id, stored.verified) == ("rejected", None, status == 400)
        assert SyncJob.objects.count() == jobs_before
    else:
        assert response.json() == {"status": "accepted"}
        assert stored.verified is True and stored.status in ("accepted", "ignored")
        # The dispatcher's next round queues a job for an accepted event, and for nothing else.
        assert engine.take_in() == (stored.status == "accepted")
        stored.refresh_from_db()
        assert (stored.job_id is not None) == (stored.status == "accepted")
    return response


def assert_nothing_unverified_processed():
    """Only verified deliveries are accepted, and every job traces back to one."""
    assert not WebhookEvent.objects.filter(status="accepted", verified=False).exists()
    assert not WebhookEvent.objects.filter(verified=False, job__isnull=False).exists()
    assert not SyncJob.objects.exclude(events__status="accepted", events__verified=True).exists()


BASIC = "Basic aHViOnMzY3JldA=="  # hub:s3cret


@pytest.fixture
def basic_credentials(hub_settings):
    hub_settings["zuora_webhook_basic"] = "hub:s3cret"  # once per test: each assignment stacks an override


@FUZZ
@given(body=webhook_bodies, authorization=st.just(BASIC) | header_text | header_text.map("Basic ".__add__),
       times=st.sampled_from([1, 2]))
def test_webhook_basic_auth_path_refuses_what_it_cannot_verify(client, basic_credentials, body, authorization,
                                                               times):
    """Where Basic credentials are configured, wrong credentials are 401 and an event without a
    usable `id` is 400; neither is processed."""
    with isolated():
        for _ in range(times):
            response = client.generic("POST", "/api/v1/webhooks/zuora", body, content_type="application/json",
                                      HTTP_AUTHORIZATION=authorization)
            assert response.status_code < 500, response.content[:300]
            if len(body) <= MAX_BODY and authorization != BASIC:
                assert response.status_code == 401
        assert_nothing_unverified_processed()
    note_event(f"basic {response.status_code}")


# --- checkout -----------------------------------------------------------------------------------
def valid_checkout() -> dict:
    return {"customer": {"email": "ana@acme.io", "first_name": "Ana", "last_name": "Diaz", "company": "Acme Inc",
                         "phone": "+1 555 0100", "address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                                                             "postal_code": "78701", "country": "US"}},
            "currency": "USD", "items": [{"sku": "PRO-MONTHLY", "quantity": 3}], "order_date": "2026-11-22"}


PATHS = [("customer",), ("customer", "email"), ("customer", "first_name"), ("customer", "last_name"),
         ("customer", "company"), ("customer", "phone"), ("customer", "address"), ("customer", "address", "city"),
         ("currency",), ("items",), ("items", 0), ("items", 0, "sku"), ("items", 0, "quantity"), ("order_date",),
         ("idempotency_key",)]


@st.composite
def mutated_checkout(draw):
    """A valid body with a few fields replaced by anything, or removed."""
    body = valid_checkout()
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=3)):
        node = body
        try:
            for part in path[:-1]:
                node = node[part]
            if draw(st.booleans()):
                node[path[-1]] = draw(json_values)
            elif isinstance(node, dict):
                node.pop(path[-1], None)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced the parent
    return body


# Addresses Django's validator accepts and the matcher must still handle: internationalised
# domains (valid → on to the upstream; refused by IDNA → 400), address literals, dotless hosts.
idn_labels = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd")), min_size=1, max_size=12)
odd_emails = st.one_of(
    st.sampled_from(["ana@exämple.com", "ANA@EXÄMPLE.COM", "ana@xn--exmple-cua.com", "ana@bücher.de", "ana@例え.jp",
                     "ana@[127.0.0.1]", "ana@[IPv6:::1]", "ana@localhost", "ana@acme.io.", "ana@-acme.io",
                     "ana@acme..io", "ana@xn--.com", "ana@ß.de", "ana@ＡＣＭＥ.io"]),
    st.builds(lambda local, label, tld: f"{local}@{label}.{tld}", st.from_regex(r"[a-z0-9.+_-]{1,12}", fullmatch=True),
              idn_labels, st.sampled_from(["com", "de", "jp", "xn--p1ai", "рф"])))


@st.composite
def checkout_with_odd_email(draw):
    body = valid_checkout()
    body["customer"]["email"] = draw(odd_emails)
    return body


valid_checkout_bytes = st.builds(lambda: json.dumps(valid_checkout()).encode())
checkout_bodies = st.one_of(st.binary(max_size=400), json_bytes(json_values), json_bytes(mutated_checkout()),
                            json_bytes(mutated_checkout()), valid_checkout_bytes, valid_checkout_bytes,
                            sized_bodies())


@pytest.fixture
def upstream_unreachable(hub_settings):
    """Point Salesforce and both billing systems at a local port that refuses connections."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused at once
    base = f"http://127.0.0.1:{closed.getsockname()[1]}"
    hub_settings["salesforce_instance_url"] = f"{base}/sandbox/salesforce"
    hub_settings["zuora_base_url"] = f"{base}/sandbox/zuora"
    hub_settings["nue_base_url"] = f"{base}/sandbox/nue"
    yield base
    closed.close()


@pytest.fixture
def tokens(make_token):
    """Issued once for all of a test's examples, outside their rolled-back savepoints."""
    return {"checkout": make_token("checkout"), "read": make_token("read")}


idempotency_keys = st.none() | st.uuids().map(str) | header_text | header_text.map(lambda t: "k" * 250 + t)


@FUZZ
@given(body=checkout_bodies,
       auth=st.sampled_from(["checkout", "checkout", "read", "none", "garbage"]),
       garbage_auth=header_text,
       key=idempotency_keys,
       content_type=st.one_of(st.just("application/json"), st.sampled_from(
           ["application/json; charset=utf-16", "application/json; charset=nonsense", "text/plain",
            "multipart/form-data; boundary=x", ""]), header_text),
       provider=st.sampled_from(["zuora", "nue"]))
def test_checkout_answers_bad_input_with_4xx_and_calls_nothing_outside(
        client, upstream_unreachable, tokens, body, auth, garbage_auth, key, content_type, provider):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[auth]}" if auth in tokens else garbage_auth}
    if auth == "none":
        del headers["HTTP_AUTHORIZATION"]
    post_checkout(client, provider, body, content_type, headers, key, authorised=auth == "checkout")


@FUZZ
@given(body=st.one_of(json_bytes(mutated_checkout()), valid_checkout_bytes, json_bytes(checkout_with_odd_email())),
       key=idempotency_keys,
       provider=st.sampled_from(["zuora", "nue"]))
def test_checkout_from_an_authorised_client_validates_every_field_before_calling_out(
        client, upstream_unreachable, tokens, body, key, provider):
    """Bodies near a valid one, from a client holding the scope: the deepest the fuzzer gets."""
    post_checkout(client, provider, body, "application/json",
                  {"HTTP_AUTHORIZATION": f"Bearer {tokens['checkout']}"}, key, authorised=True)


def post_checkout(client, provider, body, content_type, headers, key, authorised):
    if key is not None:
        headers = {**headers, "HTTP_IDEMPOTENCY_KEY": key}
    # override_settings, not the `settings` fixture: its assignments would stack per example.
    with override_settings(HUB={**settings.HUB, "billing_provider": provider}), isolated():
        response = client.generic("POST", "/api/v1/checkout", body, content_type=content_type, **headers)
        status = response.status_code
        note_event(f"checkout {status}")
        error = response.json().get("error", {})
        if status >= 500:
            # Only an upstream failure — every outside system is unreachable here — may be a 5xx.
            assert (status, error.get("code")) == (502, "upstream_unavailable"), (status, response.content[:300])
            assert error["details"]["retryable"] is True
            assert SyncAttempt.objects.filter(ok=False).exists()  # it did go out, and failed there
            return
        assert 400 <= status < 500, (status, response.content[:300])
        assert error.get("code"), response.content[:300]  # the contract's error shape
        if not authorised:
            assert status in (401, 403)
        assert not SyncAttempt.objects.exists(), "an outside system was called for refused input"
        assert not CheckoutSession.objects.exists()
