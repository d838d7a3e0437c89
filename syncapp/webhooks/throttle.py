"""Rejected webhook deliveries, counted per sending address: past a burst in one minute, more are
answered 429 and not stored. Anyone can send a rejected delivery, and each one is a row.

Only deliveries that already failed verification are counted, after it failed: a verified delivery
is never counted, slowed or refused, whatever else its address sends. The counts live in the cache
(per process with the default local-memory cache, shared with a shared one).
"""
import time

from django.core.cache import cache

REJECTED_PER_MINUTE = 30


def rejected_too_often(address: str | None) -> bool:
    """Count one more rejected delivery from `address`; True once this minute's burst is spent."""
    key = f"hub:webhook-rejected:{address or '-'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between the two calls
        cache.set(key, 1, timeout=120)
        count = 1
    return count > REJECTED_PER_MINUTE
