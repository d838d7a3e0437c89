"""The hub's small, closed error taxonomy (docs/architecture.md).

Every failure of an outside call becomes exactly one of these:

- `TransientError`: worth retrying later as it is (5xx, timeouts, lock contention, expired
  sessions, rate limits).
- `PermanentError`: retrying will fail the same way; a person must act (validation errors, bad
  credentials, missing configuration on the vendor's side).
- `NotFoundError`: the object is gone. Raised only for an explicit list of vendor codes.

Configuration mistakes in the hub itself are Django's `ImproperlyConfigured`, outside this
hierarchy, so no `except SyncError` can swallow them.
"""


class SyncError(Exception):
    retryable = False

    def __init__(self, message: str, *, code: str = "", vendor: str = "", status: int | None = None,
                 details: dict | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.vendor = vendor
        self.status = status
        self.details = details or {}
        self.retry_after = retry_after

    default_code = "sync_error"

    def __str__(self):
        prefix = f"{self.vendor} " if self.vendor else ""
        return f"{prefix}{self.code}: {self.message}"


class TransientError(SyncError):
    retryable = True
    default_code = "transient"


class PermanentError(SyncError):
    default_code = "permanent"


class NotFoundError(PermanentError):
    # One spelling whichever vendor said it (Salesforce's), so the console lists and filters one code.
    default_code = "NOT_FOUND"

    def __init__(self, message: str, *, code: str = "", **kwargs):
        super().__init__(message, code=self.default_code if code.lower() == "not_found" else code, **kwargs)


class UnsupportedError(PermanentError):
    """The vendor's API offers no such action (e.g. no endpoint to delete an order): a person
    does it in the vendor's own app instead."""

    default_code = "unsupported"
