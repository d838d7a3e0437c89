"""Request ids: every log line written while a request is handled carries its `request_id`."""
from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from django.core.signals import request_finished

REQUEST_ID_HEADER = "X-Request-ID"
# An id from the caller (a load balancer, the storefront) is kept when it looks like one; anything
# else, which could forge log lines or grow them, is replaced by a new id.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

log = logging.getLogger("syncapp.request")


class RequestIdMiddleware:
    """Takes `X-Request-ID` from the request or makes one, binds it to the logging context for
    the request's duration, answers it in the same header, and logs one line per request (this
    line replaces gunicorn's access log, which knows no request id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _ACCEPTABLE.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        # Bound until the response is closed (request_finished), not just until this returns:
        # Django logs error responses ("Unauthorized: …") after the middleware has run.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        # The path only: a query string is the caller's and may carry anything.
        log.info("request", extra={"method": request.method, "path": request.path,
                                   "status": response.status_code,
                                   "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        response[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs):
    # Threads serve one request after another: the next one must not inherit this id.
    structlog.contextvars.unbind_contextvars("request_id")


request_finished.connect(_forget_request_id, dispatch_uid="syncapp.forget_request_id")
