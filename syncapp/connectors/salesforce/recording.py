"""Describe one Salesforce HTTP exchange as a `CallRecord`, with every secret taken out.

Login requests carry the password, client secret and security token (SOAP XML or an OAuth form);
login answers carry the session id or access token. Data calls carry the session only in the
Authorization header, which is never copied into a record.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from syncapp.connectors.http import (EXCERPT_CHARS, REDACTED, SECRET_KEYS, CallRecord, excerpt,
                                     redact)
from syncapp.exceptions import SyncError

from .errors import VENDOR

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


def safe_excerpt(body, content_type: str = "") -> str:
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
    if response is not None:
        request = response.request
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
        extra={"login": True} if login else {},
    )
