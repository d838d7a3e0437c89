"""The shared cache (Django's default: Redis, else the database) as the connectors read it: what a
process read or wrote there is remembered in the process for `REMEMBERED` seconds.

Tokens, sessions, catalogs and payment terms are shared across processes until they expire; a job
reads some of them on every billing call. Without Redis every such read is a database query (and
an unpickling), a twentieth of the workers' CPU. A value remembered here is at most `REMEMBERED`
seconds older than the shared one: far inside the margins the values are kept with (a token is
renewed a minute before it expires, a catalog or payment term is kept five minutes, and a rejected
token is `forget`-ten before it is read again).
"""
from __future__ import annotations

import threading
import time
from typing import Any

from django.core.cache import cache

REMEMBERED = 20.0
MAX_REMEMBERED = 10_000  # entries before the expired ones are dropped

_remembered: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def get(key: str) -> Any:
    """The value under `key` (None when there is none)."""
    full, now = cache.make_key(key), time.monotonic()
    hit = _remembered.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = cache.get(key)
    if value is not None:
        _remember(full, value, now + REMEMBERED)
    return value


def set(key: str, value: Any, timeout: float) -> None:
    cache.set(key, value, timeout)
    _remember(cache.make_key(key), value, time.monotonic() + min(REMEMBERED, timeout))


def forget(key: str) -> None:
    """Read `key` from the shared cache next time (its value was found wrong)."""
    _remembered.pop(cache.make_key(key), None)


def _remember(full: str, value: Any, until: float) -> None:
    with _lock:
        if len(_remembered) >= MAX_REMEMBERED:
            now = time.monotonic()
            for stale in [k for k, (expires, _) in _remembered.items() if expires <= now]:
                del _remembered[stale]
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()
        _remembered[full] = (until, value)
