"""What a verified delivery costs the database: one row, its event, in one statement, and no task.
The dispatcher's next round queues the order's job (`engine.take_in`) and links the event to it."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.brokers import get_broker

from syncapp.jobs import engine
from syncapp.models import SyncJob, WebhookEvent
from tests.webhooks.test_intake_security import order_event, signed_headers

# Real commits: the path a delivery takes in production, outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def deliver(client, body, headers):
    return client.post("/api/v1/webhooks/zuora", data=body, content_type="application/json", **headers)


def test_a_verified_delivery_writes_its_event_in_one_statement_and_the_dispatcher_queues_its_job(
        client, hub_settings):
    get_broker().purge_queue()
    body = order_event()
    headers = signed_headers(hub_settings["zuora_webhook_secret"], body)
    with CaptureQueriesContext(connection) as statements:
        response = deliver(client, body, headers)
    assert response.status_code == 202
    # The emulators share the test's process: their own queries are not the hub's.
    hub = [q["sql"] for q in statements.captured_queries if "sandbox_" not in q["sql"]]
    assert len(hub) == 1 and hub[0].startswith('INSERT INTO "syncapp_webhookevent"'), hub
    event = WebhookEvent.objects.get()
    assert (event.status, event.job, SyncJob.objects.count()) == ("accepted", None, 0)

    assert engine.take_in() == 1
    event.refresh_from_db()
    job = SyncJob.objects.get()
    assert (event.job_id, job.subject, job.status, job.enqueued_at) == (job.pk, "O-1", "pending", None)
    assert get_broker().queue_size() == 0  # handing the job over is dispatch's part


def test_a_duplicate_delivery_leaves_the_job_as_it_was(client, hub_settings):
    body = order_event()
    headers = signed_headers(hub_settings["zuora_webhook_secret"], body)
    assert deliver(client, body, headers).status_code == 202
    assert engine.take_in() == 1
    SyncJob.objects.update(status="succeeded")  # the order synced since
    again = deliver(client, body, headers)
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    # Nothing of the refused event is left to take in: the order is not synced again.
    assert engine.take_in() == 0
    assert list(SyncJob.objects.values_list("status", flat=True)) == ["succeeded"]
    assert WebhookEvent.objects.count() == 1
    news = order_event("order.updated")  # a new event about the same order does run it again
    assert deliver(client, news, signed_headers(hub_settings["zuora_webhook_secret"], news)).status_code == 202
    assert engine.take_in() == 1
    assert list(SyncJob.objects.values_list("status", flat=True)) == ["pending"]


def test_taking_in_follows_enqueue_a_running_job_runs_again_a_pending_one_keeps_its_backoff(client, hub_settings):
    secret = hub_settings["zuora_webhook_secret"]
    for order_id in ("O-1", "O-2"):
        body = order_event(order_id=order_id)
        assert deliver(client, body, signed_headers(secret, body)).status_code == 202
    assert engine.take_in() == 2
    SyncJob.objects.filter(subject="O-1").update(status="running")
    backing_off = SyncJob.objects.get(subject="O-2").next_attempt_at.replace(year=2099)
    SyncJob.objects.filter(subject="O-2").update(attempts=2, next_attempt_at=backing_off)
    for order_id in ("O-1", "O-2"):
        body = order_event("order.updated", order_id=order_id)
        assert deliver(client, body, signed_headers(secret, body)).status_code == 202
    assert engine.take_in() == 2
    running, pending = SyncJob.objects.get(subject="O-1"), SyncJob.objects.get(subject="O-2")
    assert (running.status, running.rerun) == ("running", True)
    assert (pending.status, pending.attempts, pending.next_attempt_at) == ("pending", 2, backing_off)
    assert SyncJob.objects.count() == 2


def test_taking_in_many_orders_costs_the_same_few_statements_as_one(client, hub_settings):
    secret = hub_settings["zuora_webhook_secret"]

    def deliver_and_take_in(order_ids):
        for order_id in order_ids:
            body = order_event(order_id=order_id)
            assert deliver(client, body, signed_headers(secret, body)).status_code == 202
        with CaptureQueriesContext(connection) as statements:
            assert engine.take_in() == len(order_ids)
        return len(statements)

    one, many = deliver_and_take_in(["O-1"]), deliver_and_take_in([f"O-{n}" for n in range(2, 22)])
    assert many == one  # one upsert for all their jobs, one UPDATE for all their events
    linked = WebhookEvent.objects.values_list("order_id", "job__subject")
    assert len(linked) == 21 and all(order_id == subject for order_id, subject in linked)
