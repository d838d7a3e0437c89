"""Every API error has the contract's shape: {"error": {"code", "message", "details"}}.

`answer_for` is the one mapping from the hub's errors (`syncapp/exceptions.py`) to an HTTP status,
body and headers: DRF's exception handler below answers with it whatever a view lets through, and
the checkout keeps the answer it made on its session.
"""
import math
from typing import NamedTuple

from django.core.exceptions import RequestDataTooBig
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from syncapp import conf
from syncapp.exceptions import (
    Busy,
    HubError,
    IdempotencyConflict,
    Interrupted,
    NotFoundError,
    PermanentError,
    RequestRefused,
    StateConflict,
    StillRunning,
    SyncError,
)
from syncapp.json_errors import error_body, json_error


class ApiError(exceptions.APIException):
    """An error with a machine code, raised by views and services' adapters."""

    def __init__(self, code: str, message: str, *, status_code: int = 400, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.details = details or {}


def error_response(code: str, message: str, status_code: int, details: dict | None = None) -> Response:
    return Response(error_body(code, message, details), status=status_code)


# Every response under /api/ is JSON, also where no view of ours answers (hub/urls.py handlers).
def not_found(request, exception=None):
    """The hub's handler404: under /api/ the contract's JSON error (an unknown webhook provider, a path
    no endpoint matches), elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return json_error("not_found", "No API endpoint at this path.", 404, {"path": request.path})
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """The hub's handler400: under /api/ the contract's JSON error — a body over the size limit is
    413 `payload_too_large` — elsewhere Django's own page."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return json_error("payload_too_large", f"Request bodies over {conf.upload_limit_bytes()} bytes "
                          "are refused.", 413, {"limit_bytes": conf.upload_limit_bytes()})
    return json_error("bad_request", "The request could not be read.", 400)


def server_error(request):
    """The hub's handler500: under /api/ the contract's JSON error, elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return json_error("server_error", "The hub failed unexpectedly; the error is logged.", 500)
    return defaults.server_error(request)


class ErrorAnswer(NamedTuple):
    status: int
    body: dict
    headers: dict


def answer_for(err: HubError) -> ErrorAnswer | None:
    """The status, body and headers that answer `err`; None for an error no endpoint expects
    (a bug: it is left to the 500 handler, which logs it)."""
    if isinstance(err, RequestRefused):
        return ErrorAnswer(400, error_body(err.code, err.message, err.details), {})
    if isinstance(err, IdempotencyConflict | StateConflict):
        return ErrorAnswer(409, error_body(err.code, err.message), {})
    if isinstance(err, StillRunning):
        return ErrorAnswer(409, error_body(err.code, err.message, {"retryable": True}), {})
    if isinstance(err, Busy):
        return ErrorAnswer(503, error_body(err.code, err.message, {"retryable": True}),
                           {"Retry-After": str(math.ceil(err.retry_after or 1))})
    if isinstance(err, NotFoundError):
        return ErrorAnswer(404, error_body("not_found", err.message), {})
    if isinstance(err, Interrupted):  # resumable: the same request again carries on
        return _upstream(err.cause, 502)
    if isinstance(err, SyncError):  # a permanent refusal needs a person, not a retry
        return _upstream(err, 422 if isinstance(err, PermanentError) and not err.retryable else 502)
    return None


def _upstream(err: SyncError, status: int) -> ErrorAnswer:
    return ErrorAnswer(status, error_body(
        "upstream_unavailable", f"{err.vendor or 'An upstream system'} failed: {err.message}",
        {"retryable": err.retryable, "vendor": err.vendor, "vendor_code": err.code}), {})


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "malformed_body",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return error_response(exc.code, exc.message, exc.status_code, exc.details)
    if isinstance(exc, HubError) and (answer := answer_for(exc)):
        return Response(answer.body, status=answer.status, headers=answer.headers)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid_request", "The request has invalid fields.", details)
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = error_body(code, str(detail))
    return response
