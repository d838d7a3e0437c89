"""Zuora's answers -> the hub's error taxonomy. An answer with `success: false` is a failure
whatever its HTTP status; the eight-digit codes end in Zuora's documented category (its "Error
codes" guide), which decides transient vs permanent."""
from __future__ import annotations

from typing import Any

import requests

from syncapp.connectors.http import JsonLike, retry_after
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError

# "Cannot find entity by key": Zuora's answer for an order or account key in the URL that does
# not exist (resource code 500000 is what Zuora reports for calls without a payload).
NOT_FOUND_CODES = {50000040}
# Unknown product rate plan / charge (assumed: docs/vendor-assumptions.md, Zuora).
UNKNOWN_RATE_PLAN_CODES = {53110040, 53120040}
# Categories (last two digits) Zuora's error-handling guide says are worth retrying: locking
# contention, internal and temporary errors, concurrency limit, external-system errors.
RETRYABLE_CATEGORIES = {50, 60, 61, 70, 99}
CATEGORY_CODES = {10: "permission_denied", 11: "auth_failed", 20: "invalid_value",
                  21: "unknown_field", 22: "missing_field", 23: "missing_parameter",
                  27: "invalid_parameter", 30: "rule_violation", 40: "reference_not_found",
                  45: "unsupported_request", 90: "malformed_request"}


def decoded(response: requests.Response) -> JsonLike:
    """The decoded body: {} when there is none, None when it is not JSON."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return None

def error_for(response: requests.Response, data: JsonLike) -> SyncError | None:
    """Map one answer onto the taxonomy; None when it succeeded."""
    status = response.status_code
    if data is None and 200 <= status < 300:
        # Zuora answers JSON, even its errors; a page in its place is someone else's (a portal,
        # a proxy) and says nothing about whether Zuora did the work.
        return TransientError("Zuora answered with a body that is not JSON",
                              code="invalid_response", vendor="zuora", status=status,
                              details={"http_status": status})
    body = data if isinstance(data, dict) else {}
    if body.get("success") is True and status in (200, 201, 409):
        return None  # 409 + success: a replay of the first answer to this idempotency key
    if 200 <= status < 300 and body.get("success") is not False:
        return None
    reasons = body.get("reasons") or []
    # A number in Zuora's sample, a string in its schema: both read
    # (docs/vendor-assumptions.md, Zuora).
    codes = [int(r["code"]) for r in reasons if str(r.get("code", "")).isdigit()]
    message = "; ".join(str(r.get("message", "")) for r in reasons) or \
        body.get("error_description") or f"HTTP {status}"
    details = {"http_status": status, "reasons": reasons, "process_id": body.get("processId")}
    common: dict[str, Any] = {"vendor": "zuora", "status": status, "details": details}
    if status == 429 or status >= 500:
        return TransientError(message, code="rate_limited" if status == 429 else "server_error",
                              retry_after=retry_after(response), **common)
    if status == 401:
        return TransientError(message, code="unauthorized", **common)
    if status == 404 or NOT_FOUND_CODES.intersection(codes):
        return NotFoundError(message, code="not_found", **common)
    if UNKNOWN_RATE_PLAN_CODES.intersection(codes):
        return PermanentError(message, code="unknown_sku", **common)
    if any(code % 100 in RETRYABLE_CATEGORIES for code in codes):
        return TransientError(message, code="zuora_retryable", **common)
    if status == 409:
        return TransientError(message, code="idempotency_in_progress", **common)
    if status == 422:
        return PermanentError(message, code="idempotency_conflict", **common)
    code = CATEGORY_CODES.get(codes[0] % 100, "rejected") if codes else "rejected"
    return PermanentError(message, code=code, **common)


def query_unavailable(err: SyncError) -> bool:
    """A tenant without Object Query answers 404 or refuses the request as unsupported
    (assumed: docs/vendor-assumptions.md, Zuora)."""
    return isinstance(err, NotFoundError) or err.code in ("unsupported_request",
                                                          "permission_denied")
