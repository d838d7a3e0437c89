"""Sales-assisted checkout end to end: a rep's draft in Salesforce is pushed to billing with the
Sync Order button, the customer pays in the billing portal, and the real worker cluster activates
the order in Salesforce (its origin) first — with no sync loop."""
import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.models import Cursor, OrderLink, SyncAttempt, SyncJob
from syncapp.services import abandonment, watch
from tests.e2e.conftest import wait_until
from tests.services.test_salesforce_to_billing import salesforce_draft

pytestmark = pytest.mark.django_db(transaction=True)
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(params=["zuora", "nue"])
def provider(request, settings, hub_url):
    settings.BILLING_PROVIDER = request.param
    return request.param


def pay_in_portal(checkout_url: str) -> None:
    """Do what the customer's browser does: open the checkout page and press "Pay now"."""
    browser = requests.Session()
    page = browser.get(checkout_url, timeout=10)
    assert page.status_code == 200 and "Pay" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    form = {"csrfmiddlewaretoken": token.group(1)} if token else {}
    paid = browser.post(checkout_url, data=form, headers={"Referer": checkout_url}, timeout=10)
    assert paid.status_code == 200, paid.text[:300]


def writes(vendor) -> int:
    """Writes the hub made to a vendor (logins and token requests are not writes)."""
    return (SyncAttempt.objects.filter(vendor=vendor, method__in=WRITES)
            .exclude(operation__icontains="token").exclude(operation="login").count())


def test_rep_draft_paid_in_the_portal_is_activated_in_salesforce_first(provider, worker_cluster, hub_url,
                                                                         make_token):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    order_id = salesforce_draft(sf)
    token = make_token("salesforce")
    pushed = requests.post(f"{hub_url}/api/v1/salesforce/orders/{order_id}/sync", timeout=60,
                           headers={"Authorization": f"Bearer {token}"}).json()

    pay_in_portal(pushed["checkout_url"])

    wait_until(lambda: sf.get("Order", order_id)["Status"] == "Activated", message="activation in Salesforce")
    assert billing.get_order(pushed["billing_order_id"]).status == OrderStatus.ACTIVATED
    link = wait_until(lambda: OrderLink.objects.filter(salesforce_order_id=order_id, status="Activated").first(),
                      message="the link to show Activated")
    assert link.origin == "salesforce" and link.conflict is None
    wait_until(lambda: not SyncJob.objects.filter(status__in=SyncJob.ACTIVE).exists(), message="quiet")

    # No loop: the watcher sees nothing to do, and the writes are exactly the round trip's.
    assert watch.watch_salesforce()["queued"] == 0
    sf_writes, billing_writes = writes("salesforce"), writes(provider)
    print(f"round trip writes: salesforce={sf_writes} {provider}={billing_writes}")
    assert sf_writes == 2  # ids and checkout link written back; activation
    assert billing_writes == 2  # the account, the draft



def test_billing_origin_order_activated_in_salesforce_is_activated_in_billing_and_synced_back(
        provider, worker_cluster):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    watch.watch_salesforce()
    Cursor.objects.update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    created = billing.create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku="TEAM-ANNUAL", quantity=Decimal(1), list_price=Decimal(990), net_price=Decimal(990)),),
        customer=Customer(name="Initech", email="peter@initech.com", currency="USD",
                          bill_to=Contact(email="peter@initech.com", first_name="Peter", last_name="Gibbons"))),
        idempotency_key=str(uuid.uuid4()))
    link = wait_until(lambda: OrderLink.objects.filter(billing_order_id=created.order_id)
                      .exclude(salesforce_order_id="").first(), message="the order in Salesforce")

    # Abandoned: the schedule fires three times; the workers make exactly one Task.
    OrderLink.objects.update(created_at=timezone.now() - dt.timedelta(hours=30))
    for _ in range(3):
        abandonment.find_abandoned_carts()
    wait_until(lambda: OrderLink.objects.exclude(abandonment_task_id="").exists(), message="the Task")
    wait_until(lambda: not SyncJob.objects.filter(status__in=SyncJob.ACTIVE).exists(), message="quiet")
    assert len(sf.query(f"SELECT Id FROM Task WHERE WhatId = '{link.salesforce_order_id}'")) == 1

    # The rep closes it in Salesforce; the watcher notices and billing (the origin) activates first.
    sf.update("Order", link.salesforce_order_id, {"Status": "Activated"})
    assert watch.watch_salesforce()["queued"] == 1
    wait_until(lambda: billing.get_order(created.order_id).status == OrderStatus.ACTIVATED,
               message="activation in billing")
    wait_until(lambda: OrderLink.objects.filter(pk=link.pk, status="Activated").exists(), message="synced back")
