"""Drafts made or edited in Zuora raise no event, so the hub watches Zuora for them: a poller over
the drafts updated since its watermark queues their billing→Salesforce sync."""
import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
import requests
from django.utils import timezone

from sandbox.zuora.models import Order as ZuoraOrder
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, SyncJob
from syncapp.sync.watch_zuora import CURSOR, OVERLAP, watch_zuora
from tests.connectors.harness import ZuoraHarness
from tests.connectors.test_billing_conformance import a_customer, a_draft

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harness(hub_settings, hub_url):
    hub_settings["billing_provider"] = "zuora"
    return ZuoraHarness(hub_url)  # webhooks from the emulator are held back


def test_a_draft_made_in_zuora_without_an_event_reaches_salesforce(harness, sf):
    assert watch_zuora(Vendors.from_settings()) == {"seen": 0, "queued": 0, "held": 0}  # the first run sets the watermark
    Cursor.objects.filter(name=CURSOR).update(
        value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    billing = harness.connector()
    draft = billing.create_order(a_draft(harness, customer=a_customer(crm_id=None)),
                                 idempotency_key="k-watch")
    billing.create_order(a_draft(harness, status=OrderStatus.ACTIVATED), idempotency_key="k-done")

    assert watch_zuora(Vendors.from_settings())["queued"] == 1  # the draft; the completed order has its own event
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=draft.order_id)
    assert engine.run(job.pk) == "succeeded"
    found = sf.query(f"SELECT Id FROM Order WHERE Billing_Order_Id__c = '{draft.order_id}'")
    assert len(found) == 1


def _synced_draft(harness, key: str):
    """A draft made in Zuora that one poll found and whose sync ran."""
    watch_zuora(Vendors.from_settings())
    Cursor.objects.filter(name=CURSOR).update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    billing = harness.connector()
    draft = billing.create_order(a_draft(harness, customer=a_customer(crm_id=None)), idempotency_key=key)
    assert watch_zuora(Vendors.from_settings()) == {"seen": 1, "queued": 1, "held": 0}
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=draft.order_id)
    assert engine.run(job.pk) == "succeeded"
    return billing, draft, job


def test_a_draft_that_did_not_change_costs_nothing_on_the_next_poll(harness, sf):
    _, draft, job = _synced_draft(harness, "k-quiet")
    before = harness.control()["call_counts"]
    assert watch_zuora(Vendors.from_settings()) == {"seen": 1, "queued": 0, "held": 0}  # listed again (the overlap), not queued
    after = harness.control()["call_counts"]
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "GET /v1/orders": 1}  # the listing only: no order read, now or by a job
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED


def test_a_change_in_the_watermarks_second_is_still_queued(harness, sf):
    billing, draft, _ = _synced_draft(harness, "k-tie")
    more = dataclasses.replace(draft.lines[0], quantity=D(7))
    billing.update_order(dataclasses.replace(draft, lines=(more, *draft.lines[1:])))
    stamp = ZuoraOrder.objects.get(order_number=draft.order_id).updated_date
    # The last poll read half a second into the second Zuora stamped the change with: the change
    # came after it, with a stamp before the watermark.
    Cursor.objects.filter(name=CURSOR).update(value=(stamp.replace(microsecond=500_000) + OVERLAP).isoformat())
    assert watch_zuora(Vendors.from_settings()) == {"seen": 1, "queued": 1, "held": 0}
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=draft.order_id)
    assert engine.run(job.pk) == "succeeded"
    quantities = sf.query(f"SELECT Quantity FROM OrderItem WHERE Order.Billing_Order_Id__c = '{draft.order_id}'")
    assert sorted(r["Quantity"] for r in quantities) == [4, 7]


def test_a_draft_whose_sync_is_running_is_tested_again_once_it_ran(harness, sf):
    billing, draft, job = _synced_draft(harness, "k-running")
    more = dataclasses.replace(draft.lines[0], quantity=D(7))
    billing.update_order(dataclasses.replace(draft, lines=(more, *draft.lines[1:])))
    # The change is five minutes old and its sync is running: has it read the change? Nobody knows yet.
    changed = (timezone.now() - dt.timedelta(minutes=5)).replace(microsecond=0)
    ZuoraOrder.objects.filter(order_number=draft.order_id).update(updated_date=changed)
    Cursor.objects.filter(name=CURSOR).update(value=changed.isoformat())
    engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", draft.order_id)
    assert engine.claim(job.pk)[0] is not None

    assert watch_zuora(Vendors.from_settings()) == {"seen": 1, "queued": 0, "held": 1}
    job.refresh_from_db()
    assert (job.status, job.rerun) == (SyncJob.Status.RUNNING, False)  # not queued to run again at once
    assert dt.datetime.fromisoformat(Cursor.objects.get(name=CURSOR).value) == changed  # the watermark waits

    # The run had read the order before the change: Salesforce shows the old content. The next
    # poll lists the draft again (five minutes back, past the overlap) and queues it.
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.SUCCEEDED, leased_by="", lease_until=None)
    assert watch_zuora(Vendors.from_settings()) == {"seen": 1, "queued": 1, "held": 0}
    assert engine.run(job.pk) == "succeeded"
    quantities = sf.query(f"SELECT Quantity FROM OrderItem WHERE Order.Billing_Order_Id__c = '{draft.order_id}'")
    assert sorted(r["Quantity"] for r in quantities) == [4, 7]
    assert watch_zuora(Vendors.from_settings()) == {"seen": 0, "queued": 0, "held": 0}  # the watermark moved on


def test_the_watcher_does_nothing_for_another_provider(hub_settings, hub_url):
    hub_settings["billing_provider"] = "nue"
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False},
                  timeout=10).raise_for_status()
    assert watch_zuora(Vendors.from_settings()) == {"seen": 0, "queued": 0, "held": 0}
    assert not Cursor.objects.filter(name=CURSOR).exists()
