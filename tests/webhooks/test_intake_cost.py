"""What a verified delivery costs the database: its event and its job are written in one statement
on PostgreSQL (one round trip; two statements in one transaction on SQLite) and no task is queued:
the dispatcher hands the job over. Both rows, or neither."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.brokers import get_broker

from syncapp.models import SyncJob, WebhookEvent
from tests.webhooks.test_intake_security import order_event, signed_headers

# Real commits: the path a delivery takes in production, outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def deliver(client, body, headers):
    return client.post("/api/v1/webhooks/zuora", data=body, content_type="application/json", **headers)


def test_a_verified_delivery_writes_its_event_and_job_in_one_statement_on_postgresql(client, hub_settings):
    get_broker().purge_queue()
    body = order_event()
    headers = signed_headers(hub_settings["zuora_webhook_secret"], body)
    with CaptureQueriesContext(connection) as statements:
        response = deliver(client, body, headers)
    assert response.status_code == 202
    # The emulators share the test's process: their own queries are not the hub's.
    hub = [q["sql"] for q in statements.captured_queries if "sandbox_" not in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(hub) == 1 and hub[0].startswith('WITH job AS (INSERT INTO "syncapp_syncjob"'), hub
    else:  # SQLite runs in this process: no round trips, one transaction
        assert [sql.split()[0] for sql in hub] == ["BEGIN", "INSERT", "INSERT", "COMMIT"], hub
    event, job = WebhookEvent.objects.get(), SyncJob.objects.get()
    assert (event.job_id, event.status, job.status, job.enqueued_at) == (job.pk, "accepted", "pending", None)
    assert get_broker().queue_size() == 0


def test_a_duplicate_delivery_leaves_the_job_as_it_was(client, hub_settings):
    body = order_event()
    headers = signed_headers(hub_settings["zuora_webhook_secret"], body)
    assert deliver(client, body, headers).status_code == 202
    SyncJob.objects.update(status="succeeded")  # the order synced since
    again = deliver(client, body, headers)
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    # The refused event took its job's refresh with it: the order is not synced again.
    assert list(SyncJob.objects.values_list("status", flat=True)) == ["succeeded"]
    assert WebhookEvent.objects.count() == 1
    news = order_event("order.updated")  # a new event about the same order does run it again
    assert deliver(client, news, signed_headers(hub_settings["zuora_webhook_secret"], news)).status_code == 202
    assert list(SyncJob.objects.values_list("status", flat=True)) == ["pending"]
