"""Failed syncs as their own list: filters, search by order id or email, every attempt on the page,
retry now (one or many) and mark resolved."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syncapp.jobs import by_hand, engine
from syncapp.models import AuditEntry, SyncJob
from tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:syncapp_failedsync_changelist")


def listed(client, **params) -> set[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {job.subject for job in response.context["cl"].result_list}


@pytest.fixture
def ops(staff):
    return staff("Ops")


def test_only_failed_and_dead_jobs_are_listed(world, ops):
    SyncJobFactory(status="pending", subject="O-P")
    SyncJobFactory(status="resolved", subject="O-R", last_error_code="unmapped_sku")
    assert listed(ops) == {"O-WORLD-1", "O-WORLD-2"}


def test_filters_by_error_code_kind_provider_age_and_status(world, ops):
    SyncJobFactory(status="failed", subject="O-NUE", last_error_code="unmapped_sku", provider="nue",
                   kind=SyncJob.Kind.SALESFORCE_TO_BILLING, minutes_ago=10 * 24 * 60)
    assert listed(ops, last_error_code="SERVER_UNAVAILABLE") == {"O-WORLD-2"}
    assert listed(ops, kind__exact="salesforce_to_billing") == {"O-NUE"}
    assert listed(ops, provider="nue") == {"O-NUE"}
    assert listed(ops, age="1h") == {"O-WORLD-1"}
    assert listed(ops, age="7d") == {"O-WORLD-1", "O-WORLD-2"}
    assert listed(ops, age="older") == {"O-NUE"}
    assert listed(ops, status__exact="dead") == {"O-WORLD-2"}


def test_search_by_order_id_or_customer_email(world, ops):
    assert listed(ops, q="O-WORLD-2") == {"O-WORLD-2"}
    assert listed(ops, q="ana@acme.io") == {"O-WORLD-1"}  # its OrderLink's account
    assert listed(ops, q="@acme.io") == {"O-WORLD-1"}
    assert listed(ops, q="bo@elsewhere.io") == set()


def test_the_page_shows_every_attempt_with_its_excerpts(world, ops):
    page = ops.get(reverse("admin:syncapp_failedsync_change", args=[world["failed"].pk])).content.decode()
    for text in ("REQUEST-EXCERPT", "RESPONSE-EXCERPT", "FIELD_INTEGRITY_EXCEPTION", "unmapped_sku", "ana@acme.io",
                 "order.created"):
        assert text in page


def test_retry_now_queues_many_at_once_and_leaves_running_jobs_alone(world, ops):
    running = SyncJobFactory(status="running", subject="O-RUN")
    chosen = [world["failed"].pk, SyncJob.objects.get(subject="O-WORLD-2").pk, running.pk]
    response = ops.post(reverse("admin:syncapp_syncjob_changelist"),
                        {"action": "retry_now", "_selected_action": chosen}, follow=True)
    assert "Queued 2 job(s)" in response.content.decode() and "1 running job(s) left alone" in response.content.decode()
    statuses = dict(SyncJob.objects.filter(pk__in=chosen).values_list("subject", "status"))
    assert statuses == {"O-WORLD-1": "pending", "O-WORLD-2": "pending", "O-RUN": "running"}
    assert SyncJob.objects.get(subject="O-WORLD-2").attempts == 0  # a fresh count of attempts
    retried = AuditEntry.objects.filter(action=AuditEntry.Action.RETRIED)
    assert sorted(retried.values_list("object_id", flat=True)) == sorted(map(str, chosen[:2]))
    assert {e.username for e in retried} == {ops.user.username}


def test_mark_resolved_closes_a_failure_until_a_new_event_arrives(world, ops):
    job = world["failed"]
    ops.post(LIST, {"action": "mark_resolved", "_selected_action": [job.pk], "post": "yes", "note": "fixed by hand"})
    job.refresh_from_db()
    assert (job.status, job.last_error_code) == ("resolved", "unmapped_sku")  # the error is kept
    assert listed(ops) == {"O-WORLD-2"}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESOLVED)
    assert (entry.username, entry.details["status_before"]) == (ops.user.username, "failed")
    assert engine.enqueue(job.kind, job.provider, job.subject).status == "pending"  # runs again on news


def test_the_retry_button_runs_one_job_and_shows_it(world, ops):
    job = world["failed"]
    response = ops.post(reverse("admin:syncapp_failedsync_retry", args=[job.pk]))
    assert response.url == reverse("admin:syncapp_syncjob_change", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "pending" and job.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    assert ops.get(reverse("admin:syncapp_failedsync_retry", args=[job.pk])).status_code == 405


def test_resolving_needs_a_note_and_leaves_a_job_that_started_again_alone(world, ops):
    job = world["failed"]
    with pytest.raises(by_hand.NoteMissing):
        by_hand.resolve(job, ops.user, "  ")
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.RUNNING)  # a worker took it meanwhile
    assert by_hand.resolve(job, ops.user, "fixed by hand") is False
    job.refresh_from_db()
    assert job.status == "running" and not AuditEntry.objects.filter(action=AuditEntry.Action.RESOLVED).exists()
