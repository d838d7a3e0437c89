"""Salesforce failures mapped onto the hub's taxonomy (`syncapp.exceptions`).

Salesforce answers a failed call with an HTTP status and a list of errors,
`[{"message": …, "errorCode": …, "fields": […]}]` (`statusCode` instead of `errorCode` inside
`/composite/sobjects` results). The class of the hub error follows the first error that is not a
mere "rolled back because another part failed" marker:

- not-found only for an explicit list of codes, or a 404 on a record URL (dj-stripe's lesson:
  guessing "gone" from a message deletes links that were fine);
- transient for 5xx, lock contention, rate limits, an unavailable server and an expired session;
- permanent for everything else (validation, duplicates, bad logins, malformed queries).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.parsers.expat import ExpatError

import requests
from simple_salesforce import SalesforceAuthenticationFailed, SalesforceError

from syncapp.connectors.http import JsonLike, retry_after, transport_error
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError

VENDOR = "salesforce"

TRANSIENT_CODES = frozenset({
    "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "INVALID_SESSION_ID",
    "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT",
})
NOT_FOUND_CODES = frozenset({"NOT_FOUND", "ENTITY_IS_DELETED"})
# Composite, graph and collection results mark the parts that did not fail themselves but were
# rolled back with these; the real cause is elsewhere in the same answer.
ROLLED_BACK_CODES = frozenset({"PROCESSING_HALTED", "ALL_OR_NONE_OPERATION_ROLLED_BACK"})

# Salesforce sends no Retry-After for its limits: the daily allocation is a rolling 24 hours, the
# concurrent-request limit clears in seconds.
DAILY_LIMIT_RETRY_AFTER = 3600.0
RATE_LIMIT_RETRY_AFTER = 60.0


def error_code(error: dict) -> str:
    return str(error.get("errorCode") or error.get("statusCode") or "")


def parse_errors(content: JsonLike) -> list[dict]:
    """Salesforce's error list out of a response body (a list, or a single error object)."""
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return []
    return [dict(e) for e in content if isinstance(e, dict) and error_code(e)]


def first_real_error(errors: list[dict]) -> dict | None:
    for error in errors:
        if error_code(error) not in ROLLED_BACK_CODES:
            return error
    return errors[0] if errors else None


def duplicate_ids(errors: list[dict]) -> list[str]:
    """Ids of the records a duplicate rule matched (`DUPLICATES_DETECTED` errors)."""
    ids = []
    for error in errors:
        result = error.get("duplicateResult") or {}
        for match in result.get("matchResults") or []:
            for found in match.get("matchRecords") or []:
                record_id = (found.get("record") or {}).get("Id")
                if record_id and record_id not in ids:
                    ids.append(record_id)
    return ids


def error_from_response(status: int | None, content: JsonLike, *, record_url: bool = False,
                        retry_after: float | None = None) -> SyncError:
    """The hub error for a Salesforce answer with this HTTP status and body."""
    errors = parse_errors(content)
    first = first_real_error(errors)
    if first:
        code = error_code(first)
    elif status == 300:
        code = "MULTIPLE_CHOICES"
    else:
        code = f"http_{status}" if status else "UNKNOWN_ERROR"
    message = (first or {}).get("message") or (f"HTTP {status}" if status else "failed")
    details: dict[str, Any] = {"errors": errors} if errors else {}
    if status == 300:
        details["matches"] = content  # upsert by external id matched several records
    if any(error_code(e) == "DUPLICATES_DETECTED" for e in errors):
        details["duplicate_ids"] = duplicate_ids(errors)
    cls: type[SyncError]
    if code in NOT_FOUND_CODES or (status == 404 and record_url):
        cls = NotFoundError
    elif code in TRANSIENT_CODES or (status or 0) >= 500:
        cls = TransientError
    else:
        cls = PermanentError
    if code == "REQUEST_LIMIT_EXCEEDED" and retry_after is None:
        daily = "totalrequests" in message.lower().replace(" ", "")
        retry_after = DAILY_LIMIT_RETRY_AFTER if daily else RATE_LIMIT_RETRY_AFTER
    return cls(message, code=code, vendor=VENDOR, status=status, details=details,
               retry_after=retry_after if cls is TransientError else None)


def login_error(exc: SalesforceAuthenticationFailed,
                response: requests.Response | None) -> SyncError:
    """A refused or failed login. simple-salesforce gives the vendor's code when the body had one
    (`INVALID_LOGIN`, `invalid_grant`, …) and the bare HTTP status when it did not."""
    status = response.status_code if response is not None else None
    if status == 200 or exc.code == 200:
        # Salesforce refuses a login with 400 (OAuth) or 500 (a SOAP fault); a 200 that holds no
        # session is not Salesforce's answer at all (a captive portal's or a proxy's page).
        text = str(exc.auth_message or exc)[:200]
        return TransientError(f"unreadable login response: {text}",
                              code="invalid_response", vendor=VENDOR, status=200,
                              details={"login": True})
    if isinstance(exc.code, int):
        status = exc.code
        code = f"http_{exc.code}"
    else:
        code = str(exc.code or "INVALID_LOGIN")
    transient = code in TRANSIENT_CODES or (isinstance(exc.code, int) and exc.code >= 500)
    cls = TransientError if transient else PermanentError
    return cls(exc.auth_message or str(exc), code=code, vendor=VENDOR, status=status,
               details={"login": True})


def map_exception(exc: Exception, response: requests.Response | None, *,
                  record_url: bool = False) -> SyncError:
    """Translate what simple-salesforce or requests raised into exactly one hub error."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        return login_error(exc, response)
    if isinstance(exc, SalesforceError):
        return error_from_response(exc.status, exc.content, record_url=record_url,
                                   retry_after=retry_after(response))
    if isinstance(exc, (requests.JSONDecodeError, ExpatError)):
        # An answer that is not Salesforce's JSON or XML (a proxy's page, a cut-off body).
        status = response.status_code if response is not None else None
        return TransientError(f"unreadable response: {exc}", code="invalid_response",
                              vendor=VENDOR, status=status)
    if isinstance(exc, requests.RequestException):
        return transport_error(VENDOR, exc)
    raise TypeError(f"not a Salesforce failure: {exc!r}")


def node_error(node: dict) -> SyncError | None:
    """The error of one `/composite` or `/composite/graph` subrequest result, None if it worked."""
    status = node.get("httpStatusCode") or 0
    if status < 400:
        return None
    error = error_from_response(status, node.get("body"))
    error.details["reference_id"] = node.get("referenceId")
    return error


def record_error(result: dict) -> SyncError | None:
    """The error of one `/composite/sobjects` result (`{"id", "success", "errors"}`), or None."""
    if result.get("success", True):
        return None
    return error_from_response(None, result.get("errors"))


def first_failure(errors: Iterable[SyncError | None]) -> SyncError | None:
    """Of several parts' errors (None for the parts that worked), the first real cause: the
    rolled-back markers only when nothing else failed."""
    failed = [e for e in errors if e is not None]
    real = [e for e in failed if e.code not in ROLLED_BACK_CODES]
    return real[0] if real else failed[0] if failed else None


def graph_error(graph: dict) -> SyncError | None:
    """The error that failed one graph of a `/composite/graph` answer, or None if it succeeded.
    Its class follows the first real failing node; `details` names the graph and the node."""
    if graph.get("isSuccessful"):
        return None
    nodes = (graph.get("graphResponse") or {}).get("compositeResponse") or []
    error = first_failure(node_error(n) for n in nodes) or PermanentError(
        "graph failed without a failing node", code="graph_failed", vendor=VENDOR)
    error.details["graph_id"] = graph.get("graphId")
    return error


def graph_halted(graph: dict) -> bool:
    """Whether Salesforce never tried this graph: after 14 failed graphs in one request it halts
    the rest, and every node of theirs answers PROCESSING_HALTED. Such a graph did not fail.
    (The node shape is an assumption: docs/vendor-assumptions.md (Salesforce).)"""
    if graph.get("isSuccessful"):
        return False
    nodes = (graph.get("graphResponse") or {}).get("compositeResponse") or []
    codes = [error_code(e) for n in nodes for e in parse_errors(n.get("body"))]
    return bool(nodes) and bool(codes) and all(code == "PROCESSING_HALTED" for code in codes)
