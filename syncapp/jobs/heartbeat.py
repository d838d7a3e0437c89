"""The queue's heartbeat: proof that a worker took a task off the broker recently.

The sweeper is a django-q2 schedule that runs every minute: the scheduler puts it on the broker and
a worker runs it, so the time of its last run says the whole path works (scheduler → broker →
worker → database) with the ORM broker and Redis alike. django-q2's own cluster stats would not do:
with the ORM broker they live in the cache, which is per process unless a shared one is set up.
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp.models import Cursor

HEARTBEAT = "queue-heartbeat"


def beat() -> None:
    """Called by the scheduled sweep task, in a worker."""
    Cursor.objects.update_or_create(name=HEARTBEAT, defaults={"value": timezone.now().isoformat()})


def last_beat() -> dt.datetime | None:
    """When a worker last ran the sweeper, or None when none ever has."""
    value = Cursor.objects.filter(name=HEARTBEAT).values_list("value", flat=True).first()
    return dt.datetime.fromisoformat(value) if value else None
