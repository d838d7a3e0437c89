"""Describe one Salesforce HTTP exchange as a `CallRecord`, with every secret taken out.

A call is ok only when everything in it worked: graph and collection calls answer
HTTP 200 even when some of their parts failed, so their record carries the first real failure
among the parts (not the PROCESSING_HALTED markers of the parts rolled back with it) as its error
code, and that failure in full in `extra["failure"]` for the console.

Login requests carry the password, client secret and security token (SOAP XML or an OAuth form);
login answers carry the session id or access token. Data calls carry the session only in the
Authorization header, which is never copied into a record.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from syncapp.connectors.http import EXCERPT_CHARS, REDACTED, SECRET_KEYS, CallRecord, excerpt, redact
from syncapp.exceptions import SyncError

from .errors import VENDOR, first_failure, first_real_error, graph_error, record_error

# Calls whose 2xx answer holds one outcome per part.
MULTIPART_OPERATIONS = ("graph", "collection update")

# SOAP elements whose text is a secret: <n1:password>, <sessionId>, <sf:securityToken>, …
_SECRET_XML = re.compile(
    r"<((?:[\w-]+:)?(?:password|sessionId|securityToken|access_token))(\s[^>]*)?>.*?</\1>",
    re.IGNORECASE | re.DOTALL,
)


def safe_url(url: str) -> str:
    """The URL without userinfo and with secret-looking query parameters redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = parts.query
    if any(k.lower() in SECRET_KEYS for k, _ in pairs):
        query = urlencode([(k, REDACTED if k.lower() in SECRET_KEYS else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def safe_excerpt(body: str | bytes | None, content_type: str = "") -> str:
    """A short excerpt of a JSON, XML or form body with the secrets replaced."""
    if body is None or body in (b"", ""):
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    if text.lstrip().startswith("<"):
        return _SECRET_XML.sub(lambda m: f"<{m[1]}>{REDACTED}</{m[1]}>", text)[:EXCERPT_CHARS]
    if "x-www-form-urlencoded" in content_type.lower():
        return excerpt(redact(dict(parse_qsl(text, keep_blank_values=True))))
    return excerpt(text)


def call_record(operation: str, elapsed_ms: float,
                response: requests.Response | None, request: requests.PreparedRequest | None,
                error: SyncError | None, *, login: bool = False) -> CallRecord:
    """The record of one exchange. `response` is None when no answer came (timeout, refused)."""
    parts: dict = {}
    if response is not None:
        request = response.request
        if error is None:
            error, parts = parts_failure(operation, response)
    failure = {**describe_failure(error), **parts, **failed_node(request, error)} if error else None
    return CallRecord(
        vendor=VENDOR,
        operation=operation,
        method=(request.method if request is not None else "") or "",
        url=safe_url(request.url) if request is not None and request.url else "",
        status=response.status_code if response is not None else None,
        duration_ms=round(elapsed_ms, 1),
        request_excerpt=safe_excerpt(request.body, request.headers.get("Content-Type", ""))
        if request is not None else "",
        response_excerpt=safe_excerpt(response.content, response.headers.get("Content-Type", ""))
        if response is not None else "",
        error_code=error.code if error else "",
        ok=error is None,
        extra={**({"login": True} if login else {}), **({"failure": failure} if failure else {})},
    )


def parts_failure(operation: str, response: requests.Response) -> tuple[SyncError | None, dict]:
    """The first real failure among the parts of a multipart call answered with 2xx, and how
    many parts failed of how many (`{"failed_parts", "parts"}`)."""
    if response.status_code >= 300 or operation not in MULTIPART_OPERATIONS:
        return None, {}
    try:
        body = response.json()
    except ValueError:
        return None, {}
    if isinstance(body, dict) and isinstance(body.get("graphs"), list):
        errors = [graph_error(g) for g in body["graphs"] if isinstance(g, dict)]
    elif isinstance(body, list):
        errors = [record_error(r) for r in body if isinstance(r, dict)]
    else:
        return None, {}
    failed = sum(e is not None for e in errors)
    return first_failure(errors), ({"failed_parts": failed, "parts": len(errors)} if failed else {})


def failed_node(request: requests.PreparedRequest | None, error: SyncError) -> dict:
    """The subrequest that failed, as sent: its method and URL (which name the record), and the
    values it gave the fields Salesforce named — so staff see which record and value to fix."""
    node, graph = error.details.get("reference_id"), error.details.get("graph_id")
    if not node or request is None or not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (TypeError, ValueError):
        return {}
    if not isinstance(body, dict):
        return {}
    graphs: list = body["graphs"] if isinstance(body.get("graphs"), list) else [body]
    for one in graphs:
        if not isinstance(one, dict) or (graph and one.get("graphId") != graph):
            continue
        for sent in one.get("compositeRequest") or []:
            if isinstance(sent, dict) and sent.get("referenceId") == node:
                values: dict = sent["body"] if isinstance(sent.get("body"), dict) else {}
                first = first_real_error(error.details.get("errors") or []) or {}
                return {"request": f"{sent.get('method', '')} {sent.get('url', '')}",
                        "values": {name: values[name] for name in first.get("fields") or [] if name in values}}
    return {}


def describe_failure(error: SyncError) -> dict:
    """What the console shows of a failed call: Salesforce's error code and message, the fields it
    names, and the subrequest (node) and graph it came from."""
    first = first_real_error(error.details.get("errors") or []) or {}
    return {"errorCode": error.code, "message": error.message, "fields": list(first.get("fields") or []),
            "node": error.details.get("reference_id") or "", "graph": error.details.get("graph_id") or ""}
