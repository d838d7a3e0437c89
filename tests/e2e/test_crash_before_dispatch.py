"""A crash between a webhook's intake and its dispatch loses nothing.

Real deliveries from the Zuora emulator reach the hub's intake, and a real worker cluster is killed
with SIGKILL (its whole process group, as a crash would): once right after the intake stored a first
set of webhooks, before its dispatcher could queue and hand them all over or its workers finish
them, and a second set arrives while no cluster runs at all (stored as events, with no job yet). A
new cluster then syncs every order to Salesforce exactly once."""
import datetime as dt
import os
import signal
import uuid
from collections import Counter
from decimal import Decimal

import pytest
import requests

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.models import SyncJob, WebhookEvent
from tests.e2e.conftest import cluster_env, start_qcluster, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = 6  # in each of the two sets


def draft(i: int) -> DraftOrder:
    email = f"buyer@crash{i}.example"
    return DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku="PRO-MONTHLY", quantity=Decimal(1 + i), list_price=Decimal("49.00"),
                         net_price=Decimal("49.00")),),
        terms=BillingTerms(billing_period="Month"),
        customer=Customer(name=f"Crash {i}", email=email, currency="USD",
                          bill_to=Contact(email=email, first_name="Pat", last_name=f"Buyer{i}")))


def control(hub_url, system, **switches) -> dict:
    response = requests.post(f"{hub_url}/sandbox/{system}/_control", json=switches, timeout=60)
    response.raise_for_status()
    return response.json()


def held_orders(hub_url, billing, numbers) -> list[str]:
    """Create the orders with their webhooks held back."""
    control(hub_url, "webhooks", paused=True)
    return [billing.create_order(draft(i), idempotency_key=str(uuid.uuid4())).order_id for i in numbers]


def deliver(hub_url, order_ids) -> None:
    """Let the held webhooks go; return once the intake has stored them all."""
    control(hub_url, "webhooks", paused=False, action="deliver")
    stored = WebhookEvent.objects.filter(order_id__in=order_ids, status="accepted")
    wait_until(lambda: stored.count() == len(order_ids), interval=0.02, message="the webhooks' events")


def test_a_cluster_killed_before_it_dispatches_loses_no_order(hub_url, hub_settings, settings, tmp_path):
    hub_settings["billing_provider"] = "zuora"
    billing = billing_connector()
    env = cluster_env(hub_url, settings, HUB_LOG_LEVEL="INFO")  # " running." tells it is up
    log = open(tmp_path / "qcluster.log", "w")
    first = start_qcluster(env, log)
    early = held_orders(hub_url, billing, range(ORDERS))
    wait_until(lambda: " running." in (tmp_path / "qcluster.log").read_text(errors="replace"),
               message="the first cluster to start")

    control(hub_url, "salesforce", latency_ms=300)  # runs still in flight when the kill comes
    deliver(hub_url, early)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    at_the_kill = Counter(SyncJob.objects.filter(subject__in=early).values_list("status", flat=True))
    assert at_the_kill["succeeded"] < ORDERS, "the cluster finished before the kill: nothing was at stake"

    control(hub_url, "salesforce", latency_ms=0)
    late = held_orders(hub_url, billing, range(ORDERS, 2 * ORDERS))
    deliver(hub_url, late)  # while no cluster runs: their events are all there is of them
    assert WebhookEvent.objects.filter(order_id__in=late, status="accepted", job__isnull=True).count() == ORDERS
    assert not SyncJob.objects.filter(subject__in=late).exists()

    second = start_qcluster(env, log)
    try:
        order_ids = early + late
        wait_until(lambda: SyncJob.objects.filter(subject__in=order_ids, status="succeeded").count() == 2 * ORDERS,
                   timeout=120, message="every order to sync after the restart")
    finally:
        second.terminate()
        second.wait(timeout=30)
        log.close()

    sf = SalesforceConnector.from_settings()
    orders = {r["Id"]: r["Billing_Order_Id__c"] for r in sf.query("SELECT Id, Billing_Order_Id__c FROM Order")}
    assert Counter(orders.values()) == Counter(order_ids), "an order is missing or in Salesforce twice"
    items = sorted((orders[r["OrderId"]], int(r["Quantity"])) for r in sf.query("SELECT OrderId, Quantity FROM OrderItem"))
    assert items == sorted((order_id, 1 + i) for i, order_id in enumerate(order_ids))
    assert WebhookEvent.objects.filter(order_id__in=order_ids, status="accepted").count() == 2 * ORDERS
    print(f"\nat the kill: {dict(at_the_kill)}; after the restart every job succeeded, attempts: "
          f"{dict(Counter(SyncJob.objects.filter(subject__in=order_ids).values_list('attempts', flat=True)))}")
