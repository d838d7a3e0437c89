"""One security test case, run against every webhook provider: only verified, well-formed
deliveries are processed; every delivery is stored."""
import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from syncapp.jobs import engine
from syncapp.models import SyncJob, WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("provider", ["zuora", "nue"])]


def order_event(event_type="order.created", order_id="O-1"):
    return json.dumps({"type": event_type, "created_at": "2026-11-22T10:00:00Z",
                       "data": {"order_id": order_id, "account_id": "A-1"}})


def signed_headers(secret, body, msg_id=None, when=None):
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = when or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, when, body)
    return {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
            "HTTP_WEBHOOK_SIGNATURE": signature}


@pytest.fixture
def post(client, settings):
    def post(provider, body, **headers):
        return client.post(f"/api/v1/webhooks/{provider}", data=body, content_type="application/json", **headers)

    return post


def secret(hub_settings, provider):
    return hub_settings[f"{provider}_webhook_secret"]


def test_signed_delivery_is_stored_and_queues_one_job(post, hub_settings, provider):
    body = order_event()
    response = post(provider, body, **signed_headers(secret(hub_settings, provider), body))
    assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    event = WebhookEvent.objects.get()
    assert (event.verified, event.status, event.event_type, event.order_id) == (True, "accepted", "order.created", "O-1")
    assert event.body == body
    assert event.headers["Webhook-Signature"] == "[redacted]"
    # The intake wrote the event alone; the dispatcher's next round queues its order's job.
    assert (event.job, SyncJob.objects.count()) == (None, 0)
    assert engine.take_in() == 1
    event.refresh_from_db()
    job = SyncJob.objects.get()
    assert (job.kind, job.provider, job.subject, job.status) == ("billing_to_salesforce", provider, "O-1", "pending")
    assert event.job == job


def test_same_event_id_again_is_a_duplicate(post, hub_settings, provider):
    body = order_event()
    headers = signed_headers(secret(hub_settings, provider), body)
    assert post(provider, body, **headers).status_code == 202
    again = post(provider, body, **headers)
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert WebhookEvent.objects.filter(verified=True).count() == 1
    assert engine.take_in() == 1
    assert SyncJob.objects.count() == 1


def test_events_for_one_order_share_one_job(post, hub_settings, provider):
    def deliver(event_type):
        body = order_event(event_type)
        assert post(provider, body, **signed_headers(secret(hub_settings, provider), body)).status_code == 202

    deliver("order.created")
    assert engine.take_in() == 1
    for event_type in ("order.updated", "order.updated"):  # taken in together, after the first
        deliver(event_type)
    assert engine.take_in() == 2
    job = SyncJob.objects.get()
    assert list(WebhookEvent.objects.values_list("job", flat=True)) == [job.pk] * 3
    assert engine.take_in() == 0


def _assert_rejected(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    event = WebhookEvent.objects.get()
    assert event.status == "rejected"
    assert SyncJob.objects.count() == 0


def test_bad_signature_is_401_and_not_processed(post, provider):
    body = order_event()
    headers = signed_headers("whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode(), body)
    _assert_rejected(post(provider, body, **headers), 401, "invalid_signature")
    assert WebhookEvent.objects.get().verified is False


def test_missing_signature_is_401(post, provider):
    _assert_rejected(post(provider, order_event()), 401, "missing_signature")


def test_garbage_signature_header_is_401_not_500(post, provider):
    body = order_event()
    headers = {"HTTP_WEBHOOK_ID": "x", "HTTP_WEBHOOK_TIMESTAMP": "nonsense", "HTTP_WEBHOOK_SIGNATURE": "v1"}
    _assert_rejected(post(provider, body, **headers), 401, "invalid_signature")


def test_body_changed_after_signing_is_401(post, hub_settings, provider):
    body = order_event()
    headers = signed_headers(secret(hub_settings, provider), body)
    _assert_rejected(post(provider, order_event(order_id="O-2"), **headers), 401, "invalid_signature")


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)], ids=["stale", "future"])
def test_timestamp_outside_five_minutes_is_401(post, hub_settings, provider, skew):
    body = order_event()
    headers = signed_headers(secret(hub_settings, provider), body, when=datetime.now(UTC) + skew)
    _assert_rejected(post(provider, body, **headers), 401, "invalid_signature")


def test_oversize_body_is_413_and_not_processed(post, hub_settings, provider):
    body = json.dumps({"type": "order.created", "data": {"order_id": "O-1", "pad": "x" * (1024 * 1024)}})
    _assert_rejected(post(provider, body, **signed_headers(secret(hub_settings, provider), body)), 413, "body_too_large")


@pytest.mark.parametrize("body", [
    "not json", "[1, 2]", json.dumps({"type": "order.created"}), json.dumps({"data": {"order_id": "O-1"}}),
    json.dumps({"type": "order.updated", "data": {"order_id": ""}}), json.dumps({"type": 5, "data": {}}),
], ids=["not-json", "array", "no-data", "no-type", "empty-order-id", "numeric-type"])
def test_malformed_but_signed_body_is_400(post, hub_settings, provider, body):
    _assert_rejected(post(provider, body, **signed_headers(secret(hub_settings, provider), body)), 400, "malformed_body")


def test_unknown_type_is_stored_and_ignored(post, hub_settings, provider):
    body = json.dumps({"type": "invoice.paid", "data": {"invoice": "I-1"}})
    response = post(provider, body, **signed_headers(secret(hub_settings, provider), body))
    assert response.status_code == 202
    assert WebhookEvent.objects.get().status == "ignored"
    assert SyncJob.objects.count() == 0


def test_basic_credentials_where_configured(post, hub_settings, provider):
    hub_settings[f"{provider}_webhook_basic"] = "hub:s3cret"
    body = json.dumps({"id": "evt-1", "type": "order.updated", "data": {"order_id": "O-9"}})
    good = "Basic " + base64.b64encode(b"hub:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"hub:wrong").decode()
    assert post(provider, body, HTTP_AUTHORIZATION=bad).status_code == 401
    assert post(provider, body, HTTP_AUTHORIZATION=good).status_code == 202
    assert post(provider, body, HTTP_AUTHORIZATION=good).json() == {"status": "duplicate"}
    accepted = WebhookEvent.objects.get(verified=True)
    assert accepted.event_id == "evt-1" and accepted.headers["Authorization"] == "[redacted]"
