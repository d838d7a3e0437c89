"""What an unauthenticated sender can cost the hub is bounded: a rejected delivery keeps an excerpt,
not its body; past a burst, an address's rejected deliveries are refused (429) without being stored,
and verified deliveries are never held back. Ids and fields longer than the hub stores are refused,
never cut."""
import base64
import hashlib
import json

import pytest

from syncapp.models import SyncJob, WebhookEvent
from syncapp.models.webhooks import UNVERIFIED_EXCERPT_BYTES
from syncapp.webhooks import throttle
from tests.webhooks.test_intake_security import order_event, secret, signed_headers

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("provider", ["zuora", "nue"])]
MIB = 1024 * 1024


@pytest.fixture
def post(client):
    def post(provider, body, address="198.51.100.7", **headers):
        return client.post(f"/api/v1/webhooks/{provider}", data=body, content_type="application/json",
                           REMOTE_ADDR=address, **headers)

    return post


def test_an_unsigned_delivery_keeps_an_excerpt_its_size_and_hash(post, provider):
    body = json.dumps({"type": "order.created", "data": {"order_id": "O-1", "pad": "x" * (MIB - 100)}}).encode()
    response = post(provider, body, HTTP_X_PADDING="y" * 8000)
    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert (event.verified, event.status) == (False, "rejected")
    assert event.body.encode() == body[:UNVERIFIED_EXCERPT_BYTES]
    assert (event.body_size, event.body_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert len(json.dumps(event.headers)) < UNVERIFIED_EXCERPT_BYTES * 2


def test_an_over_size_delivery_keeps_an_excerpt_too(post, provider):
    response = post(provider, b"x" * (MIB + 10))
    assert response.status_code == 413
    event = WebhookEvent.objects.get()
    assert len(event.body) == UNVERIFIED_EXCERPT_BYTES and event.body_size > MIB


def test_a_verified_delivery_keeps_its_whole_body(post, hub_settings, provider):
    body = json.dumps({"type": "order.created", "data": {"order_id": "O-1", "note": "n" * 50_000}})
    assert post(provider, body, **signed_headers(secret(hub_settings, provider), body)).status_code == 202
    event = WebhookEvent.objects.get()
    assert (event.body, event.body_size) == (body, len(body))
    assert event.body_sha256 == hashlib.sha256(body.encode()).hexdigest()


def test_rejected_deliveries_past_a_burst_answer_429_and_are_not_stored(post, hub_settings, provider):
    for _ in range(throttle.REJECTED_PER_MINUTE):
        assert post(provider, order_event()).status_code == 401
    refused = post(provider, order_event())
    assert refused.status_code == 429
    assert (refused["Content-Type"], refused["Retry-After"]) == ("application/json", "60")
    assert refused.json()["error"]["code"] == "too_many_rejected_deliveries"
    assert WebhookEvent.objects.count() == throttle.REJECTED_PER_MINUTE
    # A verified delivery from the same address goes through, as does another address's rejection.
    body = order_event(order_id="O-2")
    assert post(provider, body, **signed_headers(secret(hub_settings, provider), body)).status_code == 202
    assert post(provider, order_event(), address="203.0.113.9").status_code == 401
    assert WebhookEvent.objects.get(order_id="O-2").status == "accepted"


def test_an_over_long_webhook_id_is_refused_naming_it(post, hub_settings, provider):
    body = order_event()
    response = post(provider, body, **signed_headers(secret(hub_settings, provider), body, msg_id="m" * 256))
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"webhook-id": "at most 255 characters"}
    assert not WebhookEvent.objects.exclude(status="rejected").exists()
    assert not SyncJob.objects.exists()


@pytest.mark.parametrize("field, body", [
    ("data.order_id", order_event(order_id="O" * 5000)),
    ("data.account_id", json.dumps({"type": "order.created", "data": {"order_id": "O-1", "account_id": "A" * 101}})),
    ("type", json.dumps({"type": "t" * 101, "data": {}})),
])
def test_an_over_long_field_is_refused_naming_it_nothing_is_cut(post, hub_settings, provider, field, body):
    response = post(provider, body, **signed_headers(secret(hub_settings, provider), body))
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    event = WebhookEvent.objects.get()
    assert (event.status, event.order_id, event.body) == ("rejected", "", body)
    assert not SyncJob.objects.exists()


def test_an_over_long_basic_auth_event_id_is_refused_naming_it(post, hub_settings, provider):
    hub_settings[f"{provider}_webhook_basic"] = "hub:s3cret"
    body = json.dumps({"id": "e" * 256, "type": "order.created", "data": {"order_id": "O-1"}})
    response = post(provider, body, HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hub:s3cret").decode())
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"id": "at most 255 characters"}
