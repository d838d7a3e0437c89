"""The hub's small, closed error taxonomy (docs/architecture.md).

Every error the hub raises on purpose is a `HubError`: a machine `code`, a `message` for people and
`details` a caller can act on. The flows raise them and know nothing of HTTP; the API answers each
kind with one status and body (`syncapp/api/errors.py`, the only place that maps them).

Every failure of an outside call becomes exactly one `SyncError`:

- `TransientError`: worth retrying later as it is (5xx, timeouts, lock contention, expired
  sessions, rate limits).
- `PermanentError`: retrying will fail the same way; a person must act (validation errors, bad
  credentials, missing configuration on the vendor's side). `StateConflict`: the order's state
  forbids what was asked (it is activated, or its system of origin refused).
- `NotFoundError`: the object is gone. Raised only for an explicit list of vendor codes.

What the caller asked for can be refused before any outside call (`RequestRefused`), collide with
an earlier request of the same idempotency key (`IdempotencyConflict`, `StillRunning`), or wait on
the hub's own lock (`Busy`); a flow stopped part-way by an outside failure, that the same request
resumes, is `Interrupted`.

Configuration mistakes in the hub itself are Django's `ImproperlyConfigured`, outside this
hierarchy, so no `except SyncError` can swallow them.
"""
from __future__ import annotations


class HubError(Exception):
    retryable = False
    default_code = "error"

    def __init__(self, message: str, *, code: str = "", details: dict | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}
        self.retry_after = retry_after

    def __str__(self):
        return f"{self.code}: {self.message}"


# --- what the caller asked for ------------------------------------------------------------------
class RequestRefused(HubError):
    """The request itself is wrong (a field, an unknown SKU); nothing was done, and the same request
    is refused the same way. `details` says what to change."""

    default_code = "invalid_request"


class IdempotencyConflict(HubError):
    """The idempotency key was used before with a different request."""

    default_code = "idempotency_conflict"


class StillRunning(HubError):
    """Another request with the same idempotency key is running; the same request later gets its answer."""

    retryable = True
    default_code = "idempotency_in_progress"


class Busy(HubError):
    """The hub's own lock for this work is held by another request; nothing was done. Retry after
    `retry_after` seconds."""

    retryable = True
    default_code = "busy"


class Interrupted(HubError):
    """A flow stopped part-way on an outside failure (`cause`): what was done is kept, and the same
    request again resumes where it stopped."""

    default_code = "interrupted"

    def __init__(self, cause: SyncError):
        super().__init__(cause.message, code=cause.code)
        self.cause = cause
        self.retryable = cause.retryable


# --- outside calls --------------------------------------------------------------------------------
class SyncError(HubError):
    default_code = "sync_error"

    def __init__(self, message: str, *, code: str = "", vendor: str = "", status: int | None = None,
                 details: dict | None = None, retry_after: float | None = None):
        super().__init__(message, code=code, details=details, retry_after=retry_after)
        self.vendor = vendor
        self.status = status  # the vendor's HTTP status, when it answered one

    def __str__(self):
        prefix = f"{self.vendor} " if self.vendor else ""
        return f"{prefix}{self.code}: {self.message}"


class TransientError(SyncError):
    retryable = True
    default_code = "transient"


class PermanentError(SyncError):
    default_code = "permanent"


class StateConflict(PermanentError):
    """The order's state forbids what was asked: it is no longer a draft, or its system of origin
    refused the change. Nothing is forced; the link may record the conflict for staff."""

    default_code = "state_conflict"


class NotFoundError(PermanentError):
    # One spelling whichever vendor said it (Salesforce's), so the console lists and filters one code.
    default_code = "NOT_FOUND"

    def __init__(self, message: str, *, code: str = "", **kwargs):
        super().__init__(message, code=self.default_code if code.lower() == "not_found" else code, **kwargs)


class UnsupportedError(PermanentError):
    """The vendor's API offers no such action (e.g. no endpoint to delete an order): a person
    does it in the vendor's own app instead."""

    default_code = "unsupported"
