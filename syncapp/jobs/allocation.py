"""The Salesforce API allocation is the hub's real ceiling.

Every Salesforce answer carries `Sforce-Limit-Info: api-usage=N/M`; the connector reads it and each
`SyncAttempt` keeps it. Past 80% the hub warns (log and dashboard); past 95% it defers non-urgent
work; after `REQUEST_LIMIT_EXCEEDED` it pauses Salesforce work for a while, then lets jobs probe again
(a pause renews while Salesforce keeps refusing) — jobs wait, nothing is lost.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from syncapp import conf
from syncapp.models import Cursor, SyncAttempt, SyncJob

log = logging.getLogger(__name__)
_last_look = -3600.0

WARN_AT = 0.80
DEFER_AT = 0.95
DEFER_FOR = timedelta(minutes=15)
PAUSED_UNTIL = "salesforce-paused-until"
NON_URGENT = {SyncJob.Kind.ABANDONED_CART, "reconcile"}  # "reconcile": syncapp.sync.reconcile's reads


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0


def usage() -> Usage | None:
    """The latest usage Salesforce reported."""
    row = (SyncAttempt.objects.filter(vendor="salesforce", api_limit__isnull=False)
           .order_by("-id").values_list("api_used", "api_limit").first())
    if row is None or row[0] is None or row[1] is None:
        return None
    return Usage(used=row[0], limit=row[1])


def paused_until() -> datetime | None:
    value = Cursor.objects.filter(name=PAUSED_UNTIL).values_list("value", flat=True).first()
    moment = datetime.fromisoformat(value) if value else None
    return moment if moment and moment > timezone.now() else None


def hold(kind: str) -> datetime | None:
    """When a job of `kind` must wait rather than call Salesforce now: the moment to try again."""
    paused = paused_until()
    if paused:
        return paused
    if kind in NON_URGENT:
        current = usage()
        if current and current.share >= DEFER_AT:
            log.warning("Salesforce API usage %s/%s: deferring %s", current.used, current.limit, kind)
            return timezone.now() + DEFER_FOR
    return None


def limit_exceeded(retry_after: float | None) -> None:
    """Salesforce refused a call for the allocation: pause Salesforce work, then probe."""
    pause = conf.salesforce_pause_seconds()
    until = timezone.now() + timedelta(seconds=min(retry_after or pause, pause))
    Cursor.objects.update_or_create(name=PAUSED_UNTIL, defaults={"value": until.isoformat()})
    log.warning("Salesforce REQUEST_LIMIT_EXCEEDED: pausing Salesforce work until %s", until.isoformat())


def warn_when_high() -> None:
    """Look at the usage at most once a minute per process (not after every task), and log when it
    is past the warning level."""
    global _last_look
    if time.monotonic() - _last_look < 60:
        return
    _last_look = time.monotonic()
    current = usage()
    if current and current.share >= WARN_AT:
        log.warning("Salesforce API usage at %.0f%% (%s/%s)", current.share * 100, current.used, current.limit)
