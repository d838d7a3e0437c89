"""Nue's REST transport: the `nue-api-key` header, one call with its record for the call log,
the answer decoded or raised as the taxonomy, and creates sent under idempotency keys."""
from __future__ import annotations

import hashlib
import json

import requests
from django.core.cache import cache

from syncapp.connectors.billing.nue.errors import VENDOR, error_from_response, unsupported
from syncapp.connectors.http import (
    DEFAULT_TIMEOUT,
    CallRecord,
    Recorder,
    Timeout,
    VendorClient,
    excerpt,
    new_session,
)
from syncapp.exceptions import PermanentError, SyncError, TransientError

# How long a create sent under a key is remembered.
SENT_TTL = 24 * 3600


class NueClient(VendorClient):
    vendor = VENDOR

    def __init__(self, base_url: str, api_key: str, *, recorder: Recorder | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT):
        super().__init__(base_url, recorder=recorder, session=new_session(timeout=timeout))
        self.api_key = api_key

    def _sent_once(self, key: str, body, send):
        """`send()` a create, remembering that `body` went out under `key`: the next attempt under
        the same key looks for what it made first. That covers an unknown outcome (no answer, or a
        5xx) and a caller that failed later and starts again — a checkout whose order create was
        lost after its customer was made must not make a second customer. A refusal made nothing:
        it is forgotten, so a corrected request may use the key."""
        slot = _sent_slot(self.base_url, key)
        cache.set(slot, _digest(body), SENT_TTL)
        try:
            return send()
        except PermanentError:
            cache.delete(slot)
            raise

    def _sent_before(self, key: str, body) -> bool:
        """Whether a create went out under `key`; the same key with another body is the caller's
        mistake, refused as Nue's idempotent APIs would."""
        sent = cache.get(_sent_slot(self.base_url, key))
        if sent and sent != _digest(body):
            raise PermanentError(f"Idempotency key {key} was already used for another request",
                                 code="IDEMPOTENCY_KEY_REUSED", vendor=VENDOR)
        return bool(sent)

    def _call(self, operation: str, method: str, path: str, *, params=None, json=None,
              idempotency_key: str | None = None):
        """One request; returns the decoded body or raises the taxonomy. Always recorded."""
        headers = {"nue-api-key": self.api_key, "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key  # assumed honoured: docs/vendor-assumptions.md, Nue
        record = CallRecord(vendor=VENDOR, operation=operation, method=method,
                            url=self.base_url + path, request_excerpt=excerpt(json))
        with self._exchange(record, params=params, json=json, headers=headers) as response:
            record.url = response.url  # with the query string
            try:
                return _decode(response)
            except SyncError as err:
                raise (unsupported(operation, method, path, err) or err) from None


def _decode(response: requests.Response):
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    failed = isinstance(body, dict) and body.get("status") == "failed"
    if response.status_code >= 400 or failed:
        raise error_from_response(response, body)
    if body is None:
        raise TransientError("Nue answered without a JSON body", code="invalid_response",
                             vendor=VENDOR, status=response.status_code)
    return body


def _sent_slot(base_url: str, key: str) -> str:
    return "nue:sent:" + hashlib.sha256(f"{base_url}\n{key}".encode()).hexdigest()[:32]


def _digest(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

