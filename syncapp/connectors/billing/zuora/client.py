"""Zuora's REST transport: the OAuth token shared through Django's cache, one call with its
record for the call log, 401 -> a new token, and creates under idempotency keys."""
from __future__ import annotations

import functools
import hashlib
import threading
from typing import Any

import requests
from django.core.cache import cache

from syncapp.connectors import shared
from syncapp.connectors.billing.zuora.errors import decoded, error_for
from syncapp.connectors.http import (
    DEFAULT_TIMEOUT,
    CallRecord,
    JsonLike,
    Recorder,
    Timeout,
    VendorClient,
    excerpt,
    new_session,
)
from syncapp.exceptions import PermanentError, SyncError

VENDOR = "zuora"
# Zuora keeps the answer to an Idempotency-Key for 24 hours, failures included.
IDEMPOTENCY_TTL = 24 * 3600

# One token fetch at a time per process; the token itself is shared through Django's cache, as
# Zuora rate-limits its token endpoint and services build a connector per job.
_tokens_lock = threading.Lock()


@functools.lru_cache(maxsize=1024)  # asked on every call for the same few keys
def cache_key(kind: str, *parts: str) -> str:
    return f"zuora:{kind}:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class ZuoraClient(VendorClient):
    vendor = VENDOR

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 recorder: Recorder | None = None, timeout: Timeout = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None):
        super().__init__(base_url, recorder=recorder, session=session or new_session(timeout=timeout))
        self.client_id, self.client_secret = client_id, client_secret
        self.timeout = timeout

    def _keyed(self, operation: str, method: str, path: str, body: dict, key: str,
               find_created=None) -> dict:
        """A create under the caller's idempotency key. Zuora keeps the answer to a key for a
        day, failures included, so a retry with the same key would replay the failure. So:
        - after a failure that did nothing (HTTP 4xx, or 200 with `success: false`), the next
          attempt uses a key of its own ("<key>.2", …);
        - after a 5xx, which may have done the work, the next attempt first asks
          `find_created()` for what that attempt made: if found it is the answer, if not a new
          key is safe. Without a way to look, the key is kept.
        The attempt state is shared through the cache, as retries run in other jobs. What a 5xx
        did is not documented (assumed: docs/vendor-assumptions.md, Zuora)."""
        slot = cache_key("idempotency", self.base_url, key)
        attempt, unsure = cache.get(slot, (1, False))
        if unsure and find_created is not None:
            found = find_created()
            if found is not None:
                return found
            attempt += 1
        try:
            data = self._call(operation, method, path, json=body,
                              idempotency_key=key if attempt == 1 else f"{key}.{attempt}")
        except SyncError as err:
            status = err.status or 0
            if status >= 500:
                cache.set(slot, (attempt, True), IDEMPOTENCY_TTL)
            elif status and status not in (401, 409, 429):
                cache.set(slot, (attempt + 1, False), IDEMPOTENCY_TTL)
            raise
        if unsure:  # a later retry replays this answer under this key
            cache.set(slot, (attempt, False), IDEMPOTENCY_TTL)
        return data

    def _zoql(self, operation: str, query: str) -> list[dict]:
        """`POST /v1/action/query`, every page."""
        data = self._call(operation, "POST", "/v1/action/query", json={"queryString": query})
        records = list(data.get("records") or [])
        while not data.get("done", True) and data.get("queryLocator"):
            data = self._call(operation, "POST", "/v1/action/queryMore",
                              json={"queryLocator": data["queryLocator"]})
            records += data.get("records") or []
        return records

    def _call(self, operation: str, method: str, path: str, *, json=None, params=None,
              idempotency_key: str | None = None) -> dict:
        """One REST call with the cached token; a 401 refreshes the token and retries once."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        token = self._access_token()
        headers = {"Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {token}"
            response, data, error = self._send(operation, method, url, json=json,
                                               params=params, headers=headers)
            if response.status_code == 401 and attempt == 1:
                token = self._access_token(rejected=token)
                continue
            if error is not None:
                raise error
            return data
        raise AssertionError("unreachable")

    def _send(self, operation: str, method: str, url: str, **kwargs: Any
              ) -> tuple[requests.Response, JsonLike, SyncError | None]:
        """Send one request, recorded: `(response, data, error)`, the error Zuora's answer means
        (None when it succeeded); raises the transport error when there was no answer."""
        record = CallRecord(vendor=VENDOR, operation=operation, method=method, url=url,
                            request_excerpt=excerpt(kwargs.get("json") or kwargs.get("data")))
        if "Idempotency-Key" in kwargs.get("headers", {}):
            record.extra["idempotency_key"] = kwargs["headers"]["Idempotency-Key"]
        with self._exchange(record, timeout=self.timeout, **kwargs) as response:
            data = decoded(response)
            error = error_for(response, data)
            if error is not None:
                record.failed(error)
        return response, data, error

    def _access_token(self, rejected: str | None = None) -> str:
        """The shared token, or a new one when it is about to expire or was just rejected
        (shared across processes: docs/vendor-assumptions.md, Zuora)."""
        key = cache_key("token", self.base_url, self.client_id)
        cached = shared.get(key)
        if cached and cached != rejected:
            return cached
        with _tokens_lock:
            shared.forget(key)  # another thread or process may have put a newer one there
            cached = shared.get(key)
            if cached and cached != rejected:
                return cached
            form = {"client_id": self.client_id, "client_secret": self.client_secret,
                    "grant_type": "client_credentials"}
            response, data, error = self._send("oauth_token", "POST",
                                               f"{self.base_url}/oauth/token", data=form,
                                               headers={"Accept": "application/json"})
            if error is not None:
                if response.status_code in (400, 401, 403):
                    raise PermanentError("Zuora refused the OAuth client credentials",
                                         code="auth_failed", vendor=VENDOR,
                                         status=response.status_code, details=data) from error
                raise error
            lifetime = float(data.get("expires_in") or 3600)
            # Renewed a little before Zuora expires it, so no call leaves with a dying token.
            shared.set(key, data["access_token"], lifetime - min(60.0, lifetime / 10))
            return data["access_token"]
