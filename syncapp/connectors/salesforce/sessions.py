"""Salesforce sessions shared by every job and worker process through Django's cache (Redis when
REDIS_URL is set, the database otherwise), so a lone order does not pay for a login.

A session is kept as long as Salesforce said it lives (a SOAP login's `sessionSecondsValid`), or
`SALESFORCE_SESSION_SECONDS` when it said nothing (OAuth token answers carry no expiry; assumed
in docs/vendor-assumptions.md (Salesforce), as is a session working from every process). The
connector drops it the moment Salesforce answers INVALID_SESSION_ID. The cache is an optimisation:
when it fails, the connector simply logs in.
"""
from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache

from syncapp.conf import SalesforceConfig

log = logging.getLogger(__name__)


def _key(config: SalesforceConfig) -> str:
    """One entry per org, user and app: whatever would log in as someone else gets its own."""
    who = "|".join((config.instance_url, config.domain, config.username, config.consumer_key,
                    config.flow))
    return "salesforce:session:" + hashlib.sha256(who.encode()).hexdigest()[:32]


def cached(config: SalesforceConfig) -> tuple[str, str] | None:
    """(session id, instance host) of a live shared session, or None."""
    try:
        value = cache.get(_key(config))
    except Exception:  # the cache is down: log in instead
        log.warning("salesforce session cache unreadable", exc_info=True)
        return None
    return tuple(value) if value else None


def remember(config: SalesforceConfig, session_id: str, instance: str, seconds: float) -> None:
    try:
        cache.set(_key(config), (session_id, instance), timeout=max(1, int(seconds)))
    except Exception:
        log.warning("salesforce session cache unwritable", exc_info=True)


def forget(config: SalesforceConfig, session_id: str) -> None:
    """Drop the shared session if it is still the refused one (another worker may already have
    put a fresh one there)."""
    try:
        key = _key(config)
        value = cache.get(key)
        if value and value[0] == session_id:
            cache.delete(key)
    except Exception:
        log.warning("salesforce session cache unwritable", exc_info=True)
