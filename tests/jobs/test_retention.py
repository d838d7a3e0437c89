"""The retention sweep keeps what the hub remembers bounded: old deliveries, outside calls and
finished jobs go (rejected deliveries sooner), in batches, with counts in the logs; what a person
must still act on stays."""
import itertools
import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from syncapp.jobs import retention
from syncapp.models import SyncAttempt, SyncJob, SyncSettings, WebhookEvent
from syncapp.schedules import ensure_schedules

pytestmark = pytest.mark.django_db
NOW = timezone.now()

EVENT_NUMBERS = itertools.count(1)


def days_ago(days: float):
    return NOW - timedelta(days=days)


def delivery(status, days, job=None):
    event = WebhookEvent.objects.create(provider="zuora", event_id=f"e-{next(EVENT_NUMBERS)}", status=status,
                                        verified=status != "rejected", job=job)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=days_ago(days))
    return event


def job(status, days, subject):
    return SyncJob.objects.create(kind="billing_to_salesforce", provider="zuora", subject=subject, status=status,
                                  finished_at=days_ago(days))


def attempt(days, job=None):
    made = SyncAttempt.objects.create(vendor="salesforce", operation="graph", method="POST", url="u", job=job)
    SyncAttempt.objects.filter(pk=made.pk).update(created_at=days_ago(days))
    return made


def test_the_sweep_prunes_by_the_default_retention_and_keeps_what_needs_a_person(caplog):
    old_done, new_done = job("succeeded", 31, "O-1"), job("succeeded", 29, "O-2")
    old_resolved, old_failed, old_dead = job("resolved", 40, "O-3"), job("failed", 90, "O-4"), job("dead", 90, "O-5")
    kept = {delivery("rejected", 6), delivery("accepted", 29, new_done), delivery("ignored", 29),
            delivery("accepted", 90, old_failed), attempt(90, old_dead), attempt(29, new_done), new_done,
            old_failed, old_dead}
    gone = {delivery("rejected", 8), delivery("accepted", 31), delivery("ignored", 31), attempt(31),
            attempt(10, old_done), old_done, old_resolved}  # a finished job takes its calls along
    with caplog.at_level(logging.INFO, logger="syncapp.jobs.retention"):
        pruned = retention.prune(now=NOW)
    assert pruned == {"rejected_webhooks": 1, "processed_webhooks": 2, "finished_jobs": 2, "attempts": 1}
    for obj in kept:
        assert type(obj).objects.filter(pk=obj.pk).exists(), obj
    for obj in gone:
        assert not type(obj).objects.filter(pk=obj.pk).exists(), obj
    line = next(r for r in caplog.records if r.getMessage() == "retention sweep")
    assert (line.rejected_webhooks, line.finished_jobs, line.processed_days, line.rejected_days) == (1, 2, 30, 7)


def test_the_retention_is_read_from_sync_settings():
    SyncSettings.objects.update_or_create(pk=1, defaults={"retention_processed_days": 2, "retention_rejected_days": 1})
    delivery("rejected", 1.5), delivery("accepted", 3), delivery("accepted", 1)
    assert retention.prune(now=NOW)["rejected_webhooks"] == 1
    assert WebhookEvent.objects.count() == 1


def test_a_backlog_goes_in_batches(monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 3)
    for _ in range(10):
        delivery("rejected", 30)
    assert retention.prune(now=NOW)["rejected_webhooks"] == 10
    assert not WebhookEvent.objects.exists()


def test_the_sweep_is_a_schedule_kept_by_code():
    Schedule.objects.filter(func="syncapp.tasks.prune_old_records").delete()
    ensure_schedules()
    schedule = Schedule.objects.get(func="syncapp.tasks.prune_old_records")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 60, -1)


def test_the_dashboard_says_what_the_retention_is(admin_client):
    SyncSettings.objects.update_or_create(pk=1, defaults={"retention_processed_days": 45, "retention_rejected_days": 3})
    page = admin_client.get("/admin/").content.decode()
    assert "kept 3 days; processed deliveries, calls and finished jobs 45 days" in page
