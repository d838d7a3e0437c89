"""Acquire, renew and release named leases (see `syncapp.models.locks`)."""
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.exceptions import TransientError
from syncapp.models import Lease


class LeaseLost(TransientError):
    """The lease expired and another holder took it: what it guarded must not be written now."""

    default_code = "lease_lost"


def try_acquire(key: str, holder: str, ttl: timedelta) -> bool:
    now = timezone.now()
    with transaction.atomic():
        if Lease.objects.filter(key=key, expires_at__lt=now).update(holder=holder, expires_at=now + ttl):
            return True
        try:
            with transaction.atomic():
                Lease.objects.create(key=key, holder=holder, expires_at=now + ttl)
            return True
        except IntegrityError:
            return False


def release(key: str, holder: str) -> None:
    Lease.objects.filter(key=key, holder=holder).delete()


@dataclass(frozen=True)
class Held:
    """A lease as its holder sees it. Taking a lease over rewrites its holder and releasing deletes
    it, so while the row still names this holder nobody else has held the key since, even if
    its time ran out meanwhile."""

    key: str
    holder: str
    ttl: timedelta

    def renew(self) -> bool:
        """Give the lease its full ttl again; False when another holder has taken it."""
        return bool(Lease.objects.filter(key=self.key, holder=self.holder).update(
            expires_at=timezone.now() + self.ttl))

    def fence(self) -> None:
        """Call right before a write the lease guards: renews it, or raises `LeaseLost`."""
        if not self.renew():
            raise LeaseLost(f"{self.key} was taken over while this holder worked; try again")


_waiting: Counter = Counter()  # this process's threads waiting for each key
_waiting_lock = threading.Lock()


@contextmanager
def _turn_to_wait(key: str, waiters: int | None):
    """A place among the threads of this process waiting for `key`; `lock_busy` when `waiters`
    of them already are. Web threads are few: those spare ones serve everything else meanwhile."""
    with _waiting_lock:
        if waiters is not None and _waiting[key] >= waiters:
            raise TransientError(f"{key} is busy; try again", code="lock_busy")
        _waiting[key] += 1
    try:
        yield
    finally:
        with _waiting_lock:
            _waiting[key] -= 1
            if not _waiting[key]:
                del _waiting[key]


def _acquire(key: str, holder: str, ttl: timedelta, wait: float) -> None:
    deadline = time.monotonic() + wait
    delay = 0.02
    while not try_acquire(key, holder, ttl):
        if time.monotonic() >= deadline:
            raise TransientError(f"{key} is busy; try again", code="lock_busy")
        time.sleep(min(delay * random.uniform(0.5, 1.5), max(deadline - time.monotonic(), 0)))
        delay = min(delay * 2, 0.5)


@contextmanager
def lease(key: str, *, ttl: timedelta = timedelta(seconds=60), wait: float = 30.0,
          waiters: int | None = None) -> Iterator[Held]:
    """Hold the lease `key` for the block (yields a `Held`); wait up to `wait` seconds for a
    current holder, unless `waiters` threads of this process already wait for it. Raises
    TransientError `lock_busy` (retryable) when it stays taken."""
    holder = uuid.uuid4().hex
    if not try_acquire(key, holder, ttl):
        with _turn_to_wait(key, waiters):
            _acquire(key, holder, ttl, wait)
    try:
        yield Held(key, holder, ttl)
    finally:
        release(key, holder)
