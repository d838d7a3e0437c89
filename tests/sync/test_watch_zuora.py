"""Drafts made or edited in Zuora raise no event, so the hub watches Zuora for them: a poller over
the drafts updated since its watermark queues their billing→Salesforce sync."""
import dataclasses
import datetime as dt

import pytest
import requests
from django.utils import timezone

from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, SyncJob
from syncapp.sync.watch_zuora import CURSOR, watch_zuora
from tests.connectors.harness import ZuoraHarness
from tests.connectors.test_billing_conformance import a_customer, a_draft

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harness(hub_settings, hub_url):
    hub_settings["billing_provider"] = "zuora"
    return ZuoraHarness(hub_url)  # webhooks from the emulator are held back


def test_a_draft_made_in_zuora_without_an_event_reaches_salesforce(harness, sf):
    assert watch_zuora() == {"seen": 0, "queued": 0}  # the first run sets the watermark
    Cursor.objects.filter(name=CURSOR).update(
        value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    billing = harness.connector()
    draft = billing.create_order(a_draft(harness, customer=a_customer(crm_id=None)),
                                 idempotency_key="k-watch")
    billing.create_order(a_draft(harness, status=OrderStatus.ACTIVATED), idempotency_key="k-done")

    assert watch_zuora()["queued"] == 1  # the draft; the completed order has its own event
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=draft.order_id)
    assert engine.run(job.pk) == "succeeded"
    found = sf.query(f"SELECT Id FROM Order WHERE Billing_Order_Id__c = '{draft.order_id}'")
    assert len(found) == 1


def test_a_draft_salesforce_already_shows_is_not_queued_again_until_it_changes(harness, sf):
    watch_zuora()
    Cursor.objects.filter(name=CURSOR).update(
        value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    billing = harness.connector()
    draft = billing.create_order(a_draft(harness, customer=a_customer(crm_id=None)), idempotency_key="k-synced")
    assert watch_zuora()["queued"] == 1
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=draft.order_id)
    assert engine.run(job.pk) == "succeeded"

    Cursor.objects.filter(name=CURSOR).update(
        value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    assert watch_zuora() == {"seen": 1, "queued": 0}  # listed again, as Salesforce has it
    assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.SUCCEEDED

    current = billing.get_order(draft.order_id)
    billing.update_order(dataclasses.replace(current, lines=current.lines[:1]))
    Cursor.objects.filter(name=CURSOR).update(
        value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    assert watch_zuora() == {"seen": 1, "queued": 1}  # edited in Zuora: synced again
    assert engine.run(job.pk) == "succeeded"
    items = sf.query(f"SELECT Id FROM OrderItem WHERE Order.Billing_Order_Id__c = '{draft.order_id}'")
    assert len(items) == 1


def test_the_watcher_does_nothing_for_another_provider(hub_settings, hub_url):
    hub_settings["billing_provider"] = "nue"
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False},
                  timeout=10).raise_for_status()
    assert watch_zuora() == {"seen": 0, "queued": 0}
    assert not Cursor.objects.filter(name=CURSOR).exists()
