"""Acquire and release named leases (see `syncapp.models.locks`)."""
import random
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.exceptions import TransientError
from syncapp.models import Lease


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


@contextmanager
def lease(key: str, *, ttl: timedelta = timedelta(seconds=60), wait: float = 30.0):
    """Hold the lease `key` for the block; wait up to `wait` seconds for a current holder.
    Raises TransientError (retryable) when it stays taken."""
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    delay = 0.02
    while not try_acquire(key, holder, ttl):
        if time.monotonic() >= deadline:
            raise TransientError(f"{key} is busy; try again", code="lock_busy")
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 0.5)
    try:
        yield
    finally:
        release(key, holder)
