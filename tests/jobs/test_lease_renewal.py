"""Leases that a slow holder keeps, and a write fenced when it did not: `Held.renew` / `fence`."""
import threading
import time
from datetime import timedelta

import pytest

from syncapp.exceptions import TransientError
from syncapp.jobs.leases import LeaseLost, lease, try_acquire

pytestmark = pytest.mark.django_db(transaction=True)
SHORT = timedelta(milliseconds=300)


def test_a_renewed_lease_outlives_its_ttl():
    with lease("match:k", ttl=SHORT, wait=0) as held:
        for _ in range(3):
            time.sleep(0.2)
            assert held.renew()
        assert not try_acquire("match:k", "other", SHORT)
        held.fence()


def test_an_expired_lease_taken_over_fences_its_write():
    with lease("match:k", ttl=SHORT, wait=0) as held:
        time.sleep(0.4)
        assert try_acquire("match:k", "other", timedelta(minutes=1))
        assert not held.renew()
        with pytest.raises(LeaseLost):
            held.fence()


def test_an_expired_lease_nobody_took_is_still_the_holders():
    with lease("match:k", ttl=SHORT, wait=0) as held:
        time.sleep(0.4)
        held.fence()  # nobody held the key in between: writing is still safe
        assert not try_acquire("match:k", "other", SHORT)


def test_only_one_thread_of_a_process_waits_for_a_key():
    waiting = threading.Event()
    results = []

    def wait_for_it():
        waiting.set()
        try:
            with lease("match:k", wait=1.0, waiters=1):
                results.append("got it")
        except TransientError as err:
            results.append(err.code)

    with lease("match:k", wait=0, waiters=1):
        first = threading.Thread(target=wait_for_it)
        first.start()
        waiting.wait()
        time.sleep(0.1)
        with pytest.raises(TransientError) as refused:
            with lease("match:k", wait=1.0, waiters=1):
                pass
        assert refused.value.code == "lock_busy"
    first.join()
    assert results == ["got it"]
