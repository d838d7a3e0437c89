"""Request plumbing shared by every Nue API view: the `nue-api-key` check, Nue's response envelope
and error shape, injected failures, call counting and `Idempotency-Key` replay.

Envelopes (Nue's documented shapes): success `{"status": "success", "data": …, "warnings": []}`;
failure `{"status": "failed", "data": null, "errors": [{"code", "message", "field"}],
"warnings": []}` with a fitting 4xx/5xx status.
"""
import hashlib
import hmac
import json
import time

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.nue import control
from sandbox.nue.models import IdempotentRequest

API_KEY = "sandbox"
IDEMPOTENCY_HEADER = "Idempotency-Key"
BODY_METHODS = {"POST", "PATCH", "PUT"}


class NueError(Exception):
    """A failed request; `errors` are (code, message, field) triples."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 more: list[tuple[str, str, str | None]] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = [(code, message, field)] + list(more or [])


def success(data, status: int = 200, warnings: list | None = None, **extra) -> JsonResponse:
    return JsonResponse({"status": "success", "data": data, "warnings": warnings or [], **extra},
                        status=status, safe=False)


def page_params(request, max_limit: int = 200) -> tuple[int, int]:
    """`page` (from 1) and `limit` (default 50) query parameters."""
    try:
        page = int(request.GET.get("page", 1))
        limit = int(request.GET.get("limit", 50))
    except ValueError:
        raise NueError(400, "INVALID_FILTER", "page and limit must be whole numbers.") from None
    if page < 1 or not 1 <= limit <= max_limit:
        raise NueError(400, "INVALID_FILTER", f"page must be >= 1 and limit 1..{max_limit}.")
    return page, limit


def paged(queryset, page: int, limit: int, render) -> JsonResponse:
    total = queryset.count()
    items = queryset[(page - 1) * limit: page * limit]
    return success([render(item) for item in items],
                   pagination={"page": page, "limit": limit, "total": total,
                               "hasMore": page * limit < total})


def failure(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return _failure_body(status, [(code, message, field)])


def _failure_body(status: int, errors) -> JsonResponse:
    body = {"status": "failed", "data": None, "warnings": [],
            "errors": [{"code": code, "message": message, "field": field}
                       for code, message, field in errors]}
    return JsonResponse(body, status=status)


def idempotent(handler):
    """Mark a create handler: a repeated `Idempotency-Key` replays its first successful answer."""
    handler.idempotent = True
    return handler


def _authorized(request) -> bool:
    given = request.headers.get("nue-api-key", "").encode("utf-8", "replace")
    return hmac.compare_digest(given, API_KEY.encode())


def _parse_body(request):
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        raise NueError(400, "MALFORMED_REQUEST", "The request body is not valid JSON.") from None


def api_view(name: str, **handlers):
    """A view answering the HTTP methods given as `GET=handler, POST=handler, …`.

    Each handler is called as `handler(request, body, **url_kwargs)` inside one transaction (so
    outbound webhooks queued by it leave only after commit) and returns a JsonResponse or raises
    `NueError`."""

    @csrf_exempt
    def view(request, **kwargs):
        control.count_call(f"{request.method} {name}")
        handler = handlers.get(request.method)
        if control.absent(f"{request.method} {name}"):
            return no_route(request)
        if handler is None:
            return failure(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported here.")
        if not _authorized(request):
            return failure(401, "UNAUTHORIZED", "Missing or invalid nue-api-key header.")
        injected = control.take_failure(f"{request.method} {name}")
        stall = 0.0
        if injected and injected[0] == control.TIMEOUT_AFTER_COMMIT:
            stall = injected[1]
        elif injected:
            return control.failure_response(*injected, failure)
        response = _handle(request, handler, kwargs)
        if stall:  # the work is committed; only the answer is late (a lost response)
            time.sleep(stall)
        return response

    return view


def no_route(request, *args, **kwargs) -> JsonResponse:
    """What a path or method Nue does not serve answers: the gateway's 404, not Nue's error
    envelope (assumed: docs/vendor-assumptions.md, Nue)."""
    return JsonResponse({"message": "Not Found"}, status=404)


def _handle(request, handler, kwargs) -> JsonResponse:
    try:
        body = _parse_body(request) if request.method in BODY_METHODS else None
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if key and getattr(handler, "idempotent", False) and control.honours_idempotency_keys():
            return _replayable(key, request, body, handler, kwargs)
        with transaction.atomic():
            return handler(request, body, **kwargs)
    except NueError as err:
        return _failure_body(err.status, err.errors)


def _fingerprint(request, body) -> str:
    canonical = json.dumps([request.method, request.path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(prior: IdempotentRequest, fingerprint: str) -> JsonResponse:
    if prior.fingerprint != fingerprint:
        raise NueError(409, "IDEMPOTENCY_KEY_REUSED",
                       "This Idempotency-Key was already used with a different request.")
    response = JsonResponse(prior.body, status=prior.status, safe=False)
    response["Idempotent-Replayed"] = "true"
    return response


def _replayable(key, request, body, handler, kwargs) -> JsonResponse:
    """Run a create once per key: the same key and body get the stored answer back; the same key
    with another body is refused. Only successful answers are stored (errors are deterministic)."""
    fingerprint = _fingerprint(request, body)
    try:
        with transaction.atomic():
            prior = IdempotentRequest.objects.filter(key=key).first()
            if prior:
                return _replay(prior, fingerprint)
            response = handler(request, body, **kwargs)
            if 200 <= response.status_code < 300:
                IdempotentRequest.objects.create(key=key, fingerprint=fingerprint,
                                                 status=response.status_code,
                                                 body=json.loads(response.content))
            return response
    except IntegrityError:
        # A concurrent request with the same key won the race; answer as it did.
        prior = IdempotentRequest.objects.filter(key=key).first()
        if prior is None:
            raise
        return _replay(prior, fingerprint)
