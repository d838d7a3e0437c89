"""The connectors' reads of the shared cache are remembered in the process for a few seconds: a
job's billing calls do not each read the token and payment term from the database."""
import pytest
from django.core.cache import cache

from syncapp.connectors import shared

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [1_000.0]
    monkeypatch.setattr(shared.time, "monotonic", lambda: now[0])
    return now


def test_a_value_read_is_remembered_for_a_few_seconds_then_read_again(clock):
    cache.set("zuora:token:x", "first")
    assert shared.get("zuora:token:x") == "first"
    cache.set("zuora:token:x", "second")  # another process renewed it
    clock[0] += shared.REMEMBERED - 1
    assert shared.get("zuora:token:x") == "first"
    clock[0] += 2
    assert shared.get("zuora:token:x") == "second"


def test_a_value_written_is_remembered_no_longer_than_it_lives(clock):
    shared.set("zuora:term:a", "Net 30", timeout=5)
    cache.delete("zuora:term:a")
    assert shared.get("zuora:term:a") == "Net 30"
    clock[0] += 6
    assert shared.get("zuora:term:a") is None


def test_a_forgotten_value_is_read_from_the_shared_cache_again(clock):
    shared.set("zuora:token:y", "rejected", timeout=3600)
    cache.set("zuora:token:y", "renewed")
    shared.forget("zuora:token:y")
    assert shared.get("zuora:token:y") == "renewed"


def test_hubs_with_their_own_cache_prefix_do_not_share_what_they_remember(clock, settings):
    shared.set("zuora:token:z", "ours", timeout=3600)
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": "another-hub"}}
    assert shared.get("zuora:token:z") is None
