"""What every Zuora REST call goes through: call counting, injected failures, the OAuth bearer
check, `Idempotency-Key` handling, JSON parsing, and one transaction per call.

Views are plain functions `(request, body, **path_args) -> dict | (dict, status)`; they raise
`ZuoraError` for anything Zuora would refuse, which rolls their transaction back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from contextlib import nullcontext

from django.db import IntegrityError, router, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.zuora import errors
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import CallCount, Control, IdempotencyRecord, Token

IDEMPOTENCY_TTL = dt.timedelta(hours=24)  # Zuora forgets a key 24 hours after it was set
ABANDONED_AFTER = dt.timedelta(seconds=60)  # an in-progress key older than this was lost


def endpoint(name: str, **methods):
    """A Zuora REST endpoint: `endpoint("/v1/orders/{orderNumber}", GET=get, PUT=update)`."""

    @csrf_exempt
    def dispatch(request, **kwargs):
        count_call(f"{request.method} {name}")
        stall, failure, latency = injected_failure(f"{request.method} {name}")
        keyed = request.method in ("POST", "PATCH") and request.headers.get("Idempotency-Key")
        if failure is not None and (not keyed or failure.status_code in (401, 429)):
            return failure  # refused before the request reached Zuora's idempotency store
        if not bearer_is_valid(request):
            return unauthenticated()
        if latency:  # the `latency_ms` switch: Zuora's own time to answer, as benchmarks set it
            time.sleep(latency)
        view = methods.get(request.method)
        if view is None:
            response = ZuoraError(errors.NO_PAYLOAD, errors.UNSUPPORTED_METHOD,
                                  "Unsupported request method", status=405).response()
        elif keyed:
            # An injected failure is stored under the key like any answer: Zuora keeps failures.
            response = idempotent(request, (lambda: failure) if failure is not None
                                  else (lambda: run(request, view, kwargs)))
        else:
            response = run(request, view, kwargs)
        if stall:  # the work is done and committed; only the answer is late (a lost response)
            time.sleep(stall)
        response["Zuora-Request-Id"] = errors.process_id().lower()
        if request.headers.get("Zuora-Track-Id"):
            response["Zuora-Track-Id"] = request.headers["Zuora-Track-Id"]
        return response

    return dispatch


def run(request, view, kwargs) -> HttpResponse:
    try:
        body = json.loads(request.body) if request.body else {}
    except ValueError:
        return ZuoraError(errors.NO_PAYLOAD, errors.MALFORMED, "Malformed JSON request body",
                          status=400).response()
    if not isinstance(body, dict):
        return ZuoraError(errors.NO_PAYLOAD, errors.MALFORMED, "The request body must be a JSON "
                          "object", status=400).response()
    # A read runs without a transaction of its own: on SQLite every transaction takes the write lock
    # at BEGIN, and a read waiting behind other calls' writes would add their time to its own.
    try:
        with transaction.atomic() if request.method != "GET" else nullcontext():
            result = view(request, body, **kwargs)
    except ZuoraError as err:
        return err.response()
    data, status = result if isinstance(result, tuple) else (result, 200)
    return JsonResponse(data, status=status)


def count_call(endpoint_name: str) -> None:
    if not CallCount.objects.filter(endpoint=endpoint_name).update(count=F("count") + 1):
        try:
            with transaction.atomic(using=router.db_for_write(CallCount)):
                CallCount.objects.create(endpoint=endpoint_name, count=1)
        except IntegrityError:
            CallCount.objects.filter(endpoint=endpoint_name).update(count=F("count") + 1)


def _take_failure(call: str) -> tuple[str | None, float, float]:
    """Consume the next injected failure, if any (`fail_next` on the control endpoint). An entry
    like "500 POST /v1/orders" waits for a call to that endpoint; a bare "500" takes any call.
    The last item is the latency injected into every call, in seconds."""
    control = Control.load()
    latency = control.latency_ms / 1000
    if not control.fail_next:  # nothing queued: no transaction, so no wait for the write lock
        return None, 0.0, latency
    with transaction.atomic():
        control = Control.load()  # again, now that no other call can take the same failure
        if not control.fail_next:
            return None, 0.0, latency
        fault, _, target = str(control.fail_next[0]).partition(" ")
        if target and target != call:
            return None, 0.0, latency
        failure, control.fail_next = fault, control.fail_next[1:]
        control.save(update_fields=["fail_next"])
        return failure, control.timeout_seconds, latency


def injected_failure(call: str) -> tuple[float, HttpResponse | None, float]:
    """`(seconds to stall the answer, or 0; a response to send instead of doing the work;
    seconds of latency to add to the call)`."""
    failure, stall, latency = _take_failure(call)
    return (*_failure_answer(failure, stall), latency)


def _failure_answer(failure: str | None, stall: float) -> tuple[float, HttpResponse | None]:
    if failure is None:
        return 0.0, None
    if failure == "timeout":
        return stall, None
    if failure == "401":
        return 0.0, unauthenticated()
    if failure == "429":
        response = ZuoraError(errors.NO_PAYLOAD, errors.LIMIT_EXCEEDED,
                              "Too many requests: the rate limit was exceeded", status=429
                              ).response()
        response["Retry-After"] = "1"
        return 0.0, response
    if failure == "lock":  # a business error Zuora says is worth retrying, with HTTP 200
        return 0.0, ZuoraError(errors.NO_PAYLOAD, errors.LOCK_CONTENTION,
                               "Operation failed due to lock contention; please retry").response()
    status = int(failure) if failure.isdigit() else 500
    category = errors.INTERNAL if status == 500 else errors.TEMPORARY
    return 0.0, ZuoraError(errors.NO_PAYLOAD, category, "An unexpected error occurred",
                           status=status).response()


def bearer_is_valid(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return Token.objects.filter(access_token=token.strip(), expires_at__gt=timezone.now()).exists()


def unauthenticated() -> JsonResponse:
    return errors.error_response([{"code": errors.UNAUTHENTICATED_CODE,
                                   "message": "This resource is protected, please sign in first"}],
                                 status=401)


def fingerprint(request) -> str:
    try:
        body = json.dumps(json.loads(request.body or b"{}"), sort_keys=True)
    except ValueError:
        body = request.body.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def idempotent(request, answer) -> HttpResponse:
    """Zuora's `Idempotency-Key`: the first answer (success or failure, whatever its status) is
    stored and replayed to every retry with the same key for 24 hours. A concurrent retry while
    the first is running gets 409; the same key on a different request gets 422."""
    key = request.headers["Idempotency-Key"]
    if len(key) >= 255:
        return ZuoraError(errors.NO_PAYLOAD, errors.INVALID_VALUE, "The idempotency key must be "
                          "less than 255 characters", status=400).response()
    now = timezone.now()
    IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    IdempotencyRecord.objects.filter(done=False, created_at__lt=now - ABANDONED_AFTER).delete()
    this = fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(key=key, fingerprint=this)
    except IntegrityError:
        return replay(IdempotencyRecord.objects.get(key=key), this)
    response = answer()
    record.done, record.status = True, response.status_code
    record.body = response.content.decode()
    record.save(update_fields=["done", "status", "body"])
    return response


def replay(record: IdempotencyRecord, this_fingerprint: str) -> HttpResponse:
    if record.fingerprint != this_fingerprint:
        return ZuoraError(errors.NO_PAYLOAD, errors.INVALID_VALUE, "The idempotency key was "
                          "already used for a different request", status=422).response()
    if not record.done:
        return ZuoraError(errors.NO_PAYLOAD, errors.RULE_VIOLATION, "A request with the same "
                          "idempotency key is still being processed", status=409).response()
    response = HttpResponse(record.body, status=record.status, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response
