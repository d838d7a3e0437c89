"""Real situations for the console's tests, made through the hub's own connectors and services
against the emulators on the live server: orders that synced, orders whose sync failed."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
import requests

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.jobs import engine
from syncapp.models import OrderLink, SyncJob

PRICES = {"PRO-MONTHLY": "49", "TEAM-ANNUAL": "990", "ADDON-SEATS": "10"}


@pytest.fixture
def sandbox(hub_url, hub_settings):
    """The live emulators, with webhook deliveries held back: the tests decide when syncs run."""
    hub_settings["billing_provider"] = "zuora"
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False}, timeout=5).raise_for_status()
    return hub_url


def salesforce_fail_next(hub_url, *faults):
    requests.post(f"{hub_url}/sandbox/salesforce/_control", json={"fail_next": list(faults)},
                  timeout=5).raise_for_status()


def billing_order(skus, *, provider="zuora", email="ana@acme.io", company="Acme Inc") -> DraftOrder:
    customer = Customer(name=company, email=email, currency="USD",
                        bill_to=Contact(email=email, first_name="Ana", last_name="Diaz"))
    lines = tuple(OrderLine(sku=sku, quantity=Decimal(1), list_price=Decimal(PRICES[sku]),
                            net_price=Decimal(PRICES[sku])) for sku in skus)
    return billing_connector(provider=provider).create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT, customer=customer,
        terms=BillingTerms("Month", "Net 30", 1), lines=lines), idempotency_key=str(uuid.uuid4()))


def run_sync(provider: str, order_id: str) -> SyncJob:
    """Sync a billing order as a worker does: through its job, every call kept as an attempt."""
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, order_id)
    assert engine.run(job.pk) == SyncJob.Status.SUCCEEDED
    return job


def synced_order(skus, *, provider="zuora", activate=False, **customer) -> OrderLink:
    """A billing order synced to Salesforce (activated on both sides when `activate`)."""
    order = billing_order(skus, provider=provider, **customer)
    run_sync(provider, order.order_id)
    if activate:
        billing_connector(provider=provider).activate_order(order.order_id)
        run_sync(provider, order.order_id)
    return OrderLink.objects.get(billing_provider=provider, billing_order_id=order.order_id)


def set_entry_active(sku: str, active: bool) -> str:
    """Activate or deactivate the standard PricebookEntry of `sku` in Salesforce; returns its id."""
    sf = SalesforceConnector.from_settings()
    entry = sf.query(f"SELECT Id FROM PricebookEntry WHERE ProductCode = '{sku}'")[0]["Id"]
    sf.update("PricebookEntry", entry, {"IsActive": active})
    return entry


def failed_sync(skus=("TEAM-ANNUAL",), provider="zuora") -> SyncJob:
    """A real failed sync: the order's product is not sold in Salesforce (its price book entry is
    inactive), so the job fails with `unmapped_sku` for staff. Reactivate the entry to fix it."""
    set_entry_active(skus[0], False)
    order = billing_order(skus, provider=provider)
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, order.order_id)
    assert engine.run(job.pk) == SyncJob.Status.FAILED
    job.refresh_from_db()
    return job
