"""Nue's answers -> the hub's error taxonomy: 5xx, 429 and no answer are transient (with the
answer's Retry-After), the codes in `NOT_FOUND_CODES` are not found, the rest permanent; an assumed
endpoint that Nue answers as absent is unsupported."""
from __future__ import annotations

import requests

from syncapp.connectors.http import retry_after
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError, UnsupportedError

VENDOR = "nue"
# Nue's error codes are assumed (docs/vendor-assumptions.md, Nue): the self-service pages show none.
NOT_FOUND_CODES = frozenset({"ORDER_NOT_FOUND", "CUSTOMER_NOT_FOUND"})
UNKNOWN_SKU_CODES = frozenset({"PRODUCT_NOT_FOUND", "PRICE_BOOK_ENTRY_NOT_FOUND"})
NOT_DRAFT_CODES = frozenset({"INVALID_ORDER_STATUS"})
# Calls on an order whose endpoint Nue's reference does not document → the action, and what a
# person does in Nue instead when the endpoint turns out to be absent.
ASSUMED_OPERATIONS = {"get_order": ("get", "look the order up"),
                      "update_order": ("update", "change the order"),
                      "cancel_order": ("cancel", "cancel the order"),
                      "delete_order": ("delete", "delete the order")}
NO_ROUTE_CODES = frozenset({"METHOD_NOT_ALLOWED"})


def error_from_response(response: requests.Response, body: object) -> SyncError:
    status = response.status_code
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = [e for e in errors or [] if isinstance(e, dict)]
    first = errors[0] if errors else {}
    code = str(first.get("code") or f"http_{status}")
    message = first.get("message") or f"Nue answered HTTP {status}"
    # Nue's own answer (its error envelope) or something in front of it (a gateway's 404 for a
    # route it does not serve): docs/vendor-assumptions.md, Nue.
    from_nue = isinstance(body, dict) and body.get("status") == "failed"
    details = {"errors": errors, "from_nue": from_nue}
    if status == 429 or status >= 500:
        return TransientError(message, code=code, vendor=VENDOR, status=status, details=details,
                              retry_after=retry_after(response))
    if code in NOT_FOUND_CODES or (status == 404 and from_nue and code not in NO_ROUTE_CODES):
        return NotFoundError(message, code=code, vendor=VENDOR, status=status, details=details)
    if any(e.get("code") in UNKNOWN_SKU_CODES for e in errors):
        code = "unknown_sku"
    elif code in NOT_DRAFT_CODES:
        code = "order_not_draft"
    return PermanentError(message, code=code, vendor=VENDOR, status=status, details=details)


def unsupported(operation: str, method: str, path: str, err: SyncError) -> SyncError | None:
    """An assumed endpoint that Nue answers as absent: 405, or a 404 that is not Nue's error
    envelope (or names no route). A 404 in Nue's envelope is about the order: not found."""
    absent = err.status == 405 or (err.status == 404 and (
        err.code in NO_ROUTE_CODES or not err.details.get("from_nue")))
    if operation not in ASSUMED_OPERATIONS or not absent:
        return None
    instead = ASSUMED_OPERATIONS[operation][1]
    return UnsupportedError(
        f"Nue's API does not offer this: {method} {path} answered HTTP {err.status}. The hub "
        f"assumed the endpoint (docs/vendor-assumptions.md, Nue); {instead} in Nue itself.",
        vendor=VENDOR, status=err.status, details=err.details)
