"""HTTP plumbing shared by every connector: sessions, timeouts, idempotency keys, call records.

Connectors never touch the ORM. Each outside call is described by a `CallRecord` handed to the
`recorder` callable the caller supplied (services store them as `SyncAttempt` rows); the billing
clients make theirs through `VendorClient`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from syncapp.exceptions import SyncError, TransientError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)
Timeout = float | tuple[float, float]  # seconds: one for both, or (connect, read)
# JSON as decoded: its shape is the vendor's, checked where each field is read.
JsonLike = Any
EXCERPT_CHARS = 2000
REDACTED = "[redacted]"
SECRET_KEYS = {"password", "client_secret", "access_token", "authorization", "nue-api-key",
               "security_token", "refresh_token", "sessionid", "session_id", "token",
               "assertion"}  # a signed JWT bearer assertion logs in for minutes


@dataclass
class CallRecord:
    vendor: str
    operation: str
    method: str
    url: str
    status: int | None = None
    duration_ms: float = 0.0
    request_excerpt: str = ""
    response_excerpt: str = ""
    error_code: str = ""
    ok: bool = True
    extra: dict = field(default_factory=dict)

    def failed(self, error: SyncError) -> SyncError:
        """Mark the call failed with `error`; returns it, to be raised."""
        self.ok, self.error_code = False, error.code
        return error


Recorder = Callable[[CallRecord], None]


def redact(value: JsonLike) -> JsonLike:
    """Return a copy of a JSON-like value with secret-looking keys replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def excerpt(body: JsonLike | bytes) -> str:
    """A short, redacted text of a request or response body for the call log."""
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        lowered = body.lower()
        if "\\u" not in body and not any(f'"{key}"' in lowered for key in SECRET_KEYS):
            return body[:EXCERPT_CHARS]  # no secret-looking key, escaped or not: the text as it came
        try:
            body = json.loads(body)
        except ValueError:
            return body[:EXCERPT_CHARS]
    return json.dumps(redact(body), default=str)[:EXCERPT_CHARS]


class TimeoutHTTPAdapter(HTTPAdapter):
    """Puts the default timeout on every request that does not set its own."""

    def __init__(self, *args: Any, timeout: Timeout = DEFAULT_TIMEOUT, **kwargs: Any):
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, *args, **kwargs)


def new_session(timeout: Timeout = DEFAULT_TIMEOUT, pool_size: int = 10) -> requests.Session:
    """This thread's session with these settings (`kept`)."""
    return kept(("plain", timeout, pool_size), lambda: plain_session(timeout, pool_size))


class VendorSession(requests.Session):
    """A session that reads the environment's proxy and CA bundle settings once per vendor host,
    not before every request: on a kept session they cannot change, and reading them was a sixth
    of the client's CPU per call."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple, Any] = {}

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        if proxies:  # the caller's own: as requests does it
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings = self._environment[key]
        return {**settings, "proxies": dict(settings["proxies"])}


def plain_session(timeout: Timeout = DEFAULT_TIMEOUT, pool_size: int = 10) -> requests.Session:
    """A new session whose requests time out after `timeout` unless they say otherwise."""
    session = VendorSession()
    adapter = TimeoutHTTPAdapter(timeout=timeout, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_kept = threading.local()


def kept(key: Hashable, build: Callable[[], requests.Session]) -> requests.Session:
    """This thread's session for `key` (what the session is set up with), made by `build` on first
    use and kept: its connections to a vendor stay open from one job, batch or request to the
    next, where a new session would open a new connection (a TLS handshake, with a real vendor)
    each time. A session is not shared between threads, nor with a forked child."""
    pid, sessions = getattr(_kept, "sessions", (None, None))
    if sessions is None or pid != os.getpid():
        sessions = {}
        _kept.sessions = (os.getpid(), sessions)
    if key not in sessions:
        sessions[key] = build()
    session: requests.Session = sessions[key]
    return session


def transport_error(vendor: str, err: requests.RequestException) -> TransientError:
    """Map a `requests` failure (no HTTP answer at all) onto the taxonomy."""
    code = "timeout" if isinstance(err, requests.Timeout) else "connection_error"
    return TransientError(str(err) or err.__class__.__name__, code=code, vendor=vendor)


def retry_after(response: requests.Response | None, *, now: dt.datetime | None = None) -> float | None:
    """The seconds an answer's `Retry-After` asks the caller to wait: delay-seconds or an HTTP-date
    (RFC 9110, 10.2.3; a date already past is 0). None when the header is absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip() if response is not None else ""
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.ms = (time.perf_counter() - self.start) * 1000
        return False


class VendorClient:
    """A vendor's HTTP client: its API's root, a session, and the `recorder` each call is reported
    to. The vendor builds each call's record and reads each answer its own way; `_exchange` does
    what is the same for every vendor in between."""

    vendor = ""

    def __init__(self, base_url: str, *, recorder: Recorder | None, session: requests.Session):
        self.base_url = base_url.rstrip("/")
        self.recorder = recorder
        self.session = session

    @contextmanager
    def _exchange(self, record: CallRecord, **request: Any) -> Iterator[requests.Response]:
        """Send `record`'s request (`request`: the rest of `session.request`'s arguments) and
        yield the answer for the block to read. The record gets the request's duration and the
        answer's status and excerpt; a request that got no answer raises `transport_error`. When
        the block ends, however it ends, the record goes to the recorder: failed with the
        `SyncError` that ended the block, if one did."""
        watch = Stopwatch()
        try:
            with watch:
                response = self.session.request(record.method, record.url, **request)
            record.status, record.response_excerpt = response.status_code, excerpt(response.text)
            yield response
        except requests.RequestException as err:
            raise record.failed(transport_error(self.vendor, err)) from err
        except SyncError as err:
            record.failed(err)
            raise
        finally:
            record.duration_ms = watch.ms
            if self.recorder is not None:
                self.recorder(record)
