"""Outbound webhooks: signed per Standard Webhooks, at-least-once, and the test switches."""
import base64
import datetime as dt
import json
import threading
import time

import pytest
import requests
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sandbox.webhooks.models import Delivery, Switches
from sandbox.webhooks.outbox import deliver_due, emit, request_release
from syncapp.models import WebhookEvent

DATA = {"order_id": "O-00000001", "account_id": "A00000001"}


def later(seconds):
    return timezone.now() + dt.timedelta(seconds=seconds)


def set_switches(**values):
    Switches.objects.filter(pk=1).update(**values)


def test_delivery_verifies_with_the_configured_secret(receiver, manual_delivery, hub_settings):
    emit("zuora", "order.created", DATA)

    assert deliver_due() == 1
    [request] = receiver.wait_for(1)
    assert request["path"] == "/api/v1/webhooks/zuora"
    payload = Webhook(hub_settings["zuora_webhook_secret"]).verify(request["body"], request["headers"])
    assert payload["id"] == request["headers"]["webhook-id"]
    assert payload["type"] == "order.created"
    assert payload["data"] == DATA
    assert payload["created_at"].endswith("Z")
    assert Delivery.objects.get().status == Delivery.DELIVERED


def test_each_provider_signs_with_its_own_secret(receiver, manual_delivery, hub_settings):
    emit("nue", "customer.created", {"order_id": None, "account_id": "C-1"})
    deliver_due()
    [request] = receiver.wait_for(1)

    assert request["path"] == "/api/v1/webhooks/nue"
    Webhook(hub_settings["nue_webhook_secret"]).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(hub_settings["zuora_webhook_secret"]).verify(request["body"], request["headers"])


def test_redelivers_on_the_schedule_when_the_receiver_answers_500(receiver, manual_delivery):
    receiver.statuses = [500]
    emit("zuora", "order.updated", DATA)

    assert deliver_due() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert deliver_due() == 0  # the retry waits for its turn (1 s)
    assert deliver_due(later(2)) == 1

    first, second = receiver.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


@pytest.mark.django_db(transaction=True)
def test_a_basic_auth_callout_and_the_signed_delivery_are_one_event_at_the_hub(
        hub_url, manual_delivery, hub_settings):
    """A sender configured with HTTP Basic posts the same body unsigned; the hub takes the event
    id from its `id`, so the signed delivery of that body is recognised as the same event."""
    hub_settings["zuora_webhook_basic"] = "hub:s3cret"
    emit("zuora", "order.created", DATA)
    delivery = Delivery.objects.get()

    callout = requests.post(f"{hub_url}/api/v1/webhooks/zuora", data=delivery.payload, timeout=10,
                            headers={"content-type": "application/json", "authorization":
                                     "Basic " + base64.b64encode(b"hub:s3cret").decode()})
    assert (callout.status_code, callout.json()) == (202, {"status": "accepted"})
    assert WebhookEvent.objects.get().event_id == delivery.msg_id

    assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (Delivery.DELIVERED, 200)
    assert json.loads(delivery.last_response) == {"status": "duplicate"}
    assert WebhookEvent.objects.filter(verified=True).count() == 1


def test_retries_when_the_receiver_is_unreachable_and_gives_up_after_the_schedule(
        manual_delivery, hub_settings):
    hub_settings["public_url"] = "http://127.0.0.1:9"  # discard port: nothing listens
    set_switches(retry_schedule=[1])
    emit("zuora", "order.created", DATA)

    assert deliver_due() == 1
    assert Delivery.objects.get().status == Delivery.PENDING
    assert deliver_due(later(2)) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.FAILED, 2)
    assert "ConnectionError" in delivery.last_response
    assert deliver_due(later(3600)) == 0


def test_nothing_is_sent_for_a_rolled_back_change(receiver, manual_delivery):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("zuora", "order.created", DATA)
        raise RuntimeError("the emulator's change failed")

    assert deliver_due() == 0
    assert receiver.requests == []


def test_duplicate_switch_sends_every_delivery_n_times(receiver, manual_delivery):
    set_switches(duplicate=3)
    emit("zuora", "order.activated", DATA)

    deliver_due()
    requests = receiver.wait_for(3)
    assert len(requests) == 3
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1


def test_reorder_holds_until_the_batch_is_full_then_sends_newest_first(receiver, manual_delivery):
    set_switches(reorder=True, reorder_batch=3)
    for event in ("order.created", "order.updated"):
        emit("zuora", event, DATA)
    assert deliver_due() == 0

    emit("zuora", "order.activated", DATA)
    assert deliver_due() == 3
    types = [json.loads(r["body"])["type"] for r in receiver.wait_for(3)]
    assert types == ["order.activated", "order.updated", "order.created"]


def test_reorder_releases_held_deliveries_on_demand(receiver, manual_delivery):
    set_switches(reorder=True, reorder_batch=10)
    emit("zuora", "order.created", DATA)
    emit("zuora", "order.canceled", DATA)
    assert deliver_due() == 0

    request_release()
    assert deliver_due() == 2
    types = [json.loads(r["body"])["type"] for r in receiver.wait_for(2)]
    assert types == ["order.canceled", "order.created"]
    assert Switches.current().release_requested is False


def test_paused_sends_nothing_until_resumed(receiver, manual_delivery):
    set_switches(paused=True)
    emit("zuora", "order.created", DATA)
    assert deliver_due() == 0

    set_switches(paused=False)
    assert deliver_due() == 1


def test_delay_switch_holds_each_send(receiver, manual_delivery):
    set_switches(delay_ms=300)
    emit("zuora", "order.created", DATA)

    started = time.monotonic()
    deliver_due()
    assert time.monotonic() - started >= 0.3


@pytest.mark.django_db(transaction=True)
def test_two_senders_never_send_the_same_attempt(receiver, manual_delivery):
    set_switches(delay_ms=200)  # both senders are inside deliver_due at the same time
    emit("zuora", "order.created", DATA)

    counts = []
    senders = [threading.Thread(target=lambda: counts.append(deliver_due())) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()

    assert sorted(counts) == [0, 1]
    assert len(receiver.wait_for(1, timeout=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_background_sender_delivers_after_commit(receiver):
    with transaction.atomic():
        emit("zuora", "customer.created", DATA)

    [request] = receiver.wait_for(1)
    assert json.loads(request["body"])["type"] == "customer.created"
    for _ in range(50):  # the thread records the outcome just after the receiver answered
        if Delivery.objects.get().status == Delivery.DELIVERED:
            break
        time.sleep(0.05)
    assert Delivery.objects.get().status == Delivery.DELIVERED


def test_control_endpoint_sets_switches_and_reports_deliveries(client, receiver, manual_delivery):
    response = client.post("/sandbox/webhooks/_control", {"duplicate": 2, "reorder": True,
                                                          "retry_schedule": [1, 2]},
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["switches"]["duplicate"] == 2
    assert response.json()["switches"]["retry_schedule"] == [1.0, 2.0]

    emit("zuora", "order.created", DATA)
    state = client.post("/sandbox/webhooks/_control", {"action": "release"},
                        content_type="application/json").json()
    assert state["counts"]["delivered"] == 1
    assert state["deliveries"][0]["type"] == "order.created"
    assert len(receiver.wait_for(2)) == 2

    state = client.post("/sandbox/webhooks/_control", {"action": "reset"},
                        content_type="application/json").json()
    assert state["deliveries"] == [] and state["switches"]["duplicate"] == 1


def test_control_endpoint_rejects_unknown_actions(client, db):
    response = client.post("/sandbox/webhooks/_control", {"action": "explode"},
                           content_type="application/json")
    assert response.status_code == 400
