"""Sales-assisted checkout end to end: a rep's draft in Salesforce is pushed to billing with the
Sync Order button, the customer pays in the billing portal, and the real worker cluster activates
the order in Salesforce (its origin) first — with no sync loop. And when an origin refuses an
activation, nothing is forced: the link shows a conflict and nothing else changes."""
import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.connectors.vendors import Vendors
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.records import Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.models import Cursor, OrderLink, SyncAttempt, SyncJob, WebhookEvent
from syncapp.sync import abandonment, watch
from tests.e2e.conftest import settled, wait_until
from tests.sync.test_salesforce_to_billing import account_owner, salesforce_draft

pytestmark = pytest.mark.django_db(transaction=True)
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(params=["zuora", "nue"])
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    return request.param


@pytest.fixture
def api(hub_url, make_token):
    """The hub's API as Salesforce's buttons and the console's readers call it."""
    headers = {scope: {"Authorization": f"Bearer {make_token(scope)}"} for scope in ("salesforce", "read")}

    class Api:
        def sync(self, sf_order_id):
            return requests.post(f"{hub_url}/api/v1/salesforce/orders/{sf_order_id}/sync",
                                 headers=headers["salesforce"], timeout=60).json()

        def order_state(self, billing_order_id):
            return requests.get(f"{hub_url}/api/v1/orders/{billing_order_id}", headers=headers["read"],
                                timeout=30).json()

    return Api()


@pytest.fixture
def webhooks(hub_url):
    """The billing emulators' outbound webhooks: `hold()` keeps them in the outbox, `release()`
    sends what was held."""
    control = f"{hub_url}/sandbox/webhooks/_control"

    class Webhooks:
        def hold(self):
            requests.post(control, json={"paused": True}, timeout=10).raise_for_status()

        def release(self):
            requests.post(control, json={"paused": False, "action": "release"}, timeout=30).raise_for_status()

    yield Webhooks()
    requests.post(control, json={"action": "reset"}, timeout=10)


@pytest.fixture
def watermark():
    """The watcher's first run only sets its watermark; start it a minute back so the changes a
    test makes are after it."""
    watch.watch_salesforce(Vendors.from_settings())
    Cursor.objects.update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())


def pay_in_portal(checkout_url: str) -> None:
    """Do what the customer's browser does: open the checkout page and press "Pay now"."""
    browser = requests.Session()
    page = browser.get(checkout_url, timeout=10)
    assert page.status_code == 200 and "Pay" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    form = {"csrfmiddlewaretoken": token.group(1)} if token else {}
    paid = browser.post(checkout_url, data=form, headers={"Referer": checkout_url}, timeout=10)
    assert paid.status_code == 200, paid.text[:300]


def hub_writes(vendor, since=0):
    """Writes the hub made to a vendor after attempt id `since` (logins and tokens are not writes)."""
    return (SyncAttempt.objects.filter(vendor=vendor, method__in=WRITES, pk__gt=since)
            .exclude(operation__icontains="token").exclude(operation="login"))


def writes(vendor) -> int:
    return hub_writes(vendor).count()


def last_attempt() -> int:
    return SyncAttempt.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def salesforce_order(sf, order_id):
    """The Order and its items as a rep sees them."""
    order = sf.get("Order", order_id)
    items = sf.query(soql("SELECT Id, Quantity, UnitPrice, Billing_Line_Id__c FROM OrderItem WHERE OrderId = {} "
                          "ORDER BY Id", order_id))
    return ({k: order[k] for k in ("Status", "Billing_Order_Id__c", "Billing_Checkout_URL__c", "Sync_Origin__c",
                                   "LastModifiedDate")}, items)


def billing_lines(order):
    return sorted((ln.sku, ln.quantity, ln.net_price) for ln in order.lines)


def billing_order(billing, order_id):
    """A billing order as its portal shows it."""
    order = billing.get_order(order_id)
    return order.status, billing_lines(order), order.terms, order.custom_fields, order.checkout_url


def billing_origin_order(billing, sku="TEAM-ANNUAL", price=990):
    return billing.create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku=sku, quantity=Decimal(1), list_price=Decimal(price), net_price=Decimal(price)),),
        customer=Customer(name="Initech", email="peter@initech.com", currency="USD",
                          bill_to=Contact(email="peter@initech.com", first_name="Peter", last_name="Gibbons"))),
        idempotency_key=str(uuid.uuid4()))


def test_rep_draft_paid_in_the_portal_is_activated_in_salesforce_first(provider, worker_cluster, watermark, api):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    order_id = salesforce_draft(sf)
    pushed = api.sync(order_id)
    assert api.sync(order_id) == {**pushed, "created": False}  # the rep presses it twice

    # Billing shows the rep's lines and prices, and the Salesforce Order links back to it.
    draft = billing.get_order(pushed["billing_order_id"])
    assert billing_lines(draft) == [("ADDON-SEATS", Decimal(10), Decimal("9.5")),
                                    ("PRO-MONTHLY", Decimal(2), Decimal(45))]
    order, items = salesforce_order(sf, order_id)
    assert (order["Billing_Order_Id__c"], order["Billing_Checkout_URL__c"], order["Sync_Origin__c"]) == \
        (pushed["billing_order_id"], pushed["checkout_url"], "Salesforce")
    assert {i["Billing_Line_Id__c"] for i in items} == {ln.line_id for ln in draft.lines}

    pay_in_portal(pushed["checkout_url"])

    wait_until(lambda: sf.get("Order", order_id)["Status"] == "Activated", message="activation in Salesforce")
    assert billing.get_order(pushed["billing_order_id"]).status == OrderStatus.ACTIVATED
    link = wait_until(lambda: OrderLink.objects.filter(salesforce_order_id=order_id, status="Activated").first(),
                      message="the link to show Activated")
    assert link.origin == "salesforce" and link.conflict is None
    settled()

    # No loop: the watcher (its watermark set before the round trip) sees the activation and
    # queues nothing for it, and the writes are exactly the round trip's.
    seen = watch.watch_salesforce(Vendors.from_settings())
    assert seen["seen"] >= 1 and seen["queued"] == 0
    sf_writes, billing_writes = writes("salesforce"), writes(provider)
    print(f"round trip writes: salesforce={sf_writes} {provider}={billing_writes}")
    assert sf_writes == 2  # ids and checkout link written back; activation
    assert billing_writes == 2  # the account, the draft


def test_billing_origin_order_activated_in_salesforce_is_activated_in_billing_and_synced_back(
        provider, worker_cluster, watermark, webhooks):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    created = billing_origin_order(billing)
    link = wait_until(lambda: OrderLink.objects.filter(billing_order_id=created.order_id)
                      .exclude(salesforce_order_id="").first(), message="the order in Salesforce")
    owner = account_owner(sf, link.salesforce_order_id)

    # Abandoned: the schedule fires three times; the workers make exactly one Task, for the owner.
    OrderLink.objects.update(created_at=timezone.now() - dt.timedelta(hours=30))
    for _ in range(3):
        abandonment.find_abandoned_carts()
    wait_until(lambda: OrderLink.objects.exclude(abandonment_task_id="").exists(), message="the Task")
    settled()
    tasks = sf.query(soql("SELECT Id, OwnerId FROM Task WHERE WhatId = {}", link.salesforce_order_id))
    assert [t["OwnerId"] for t in tasks] == [owner]

    # The rep closes it in Salesforce; the watcher notices and billing (the origin) activates
    # first. Billing's webhooks are held, so only the activation's own sync back can record
    # billing's new state on the link.
    webhooks.hold()
    sf.update("Order", link.salesforce_order_id, {"Status": "Activated"})
    assert watch.watch_salesforce(Vendors.from_settings())["queued"] == 1
    job = wait_until(lambda: SyncJob.objects.filter(kind=SyncJob.Kind.ACTIVATION, subject=link.salesforce_order_id,
                                                    status=SyncJob.Status.SUCCEEDED).first(), message="activation")
    activated = billing.get_order(created.order_id)
    assert activated.status == OrderStatus.ACTIVATED
    link.refresh_from_db()
    assert (link.status, link.billing_fingerprint, link.conflict) == ("Activated", fingerprint(activated), None)
    assert job.result == {"billing_status": "Activated", "salesforce_status": "Activated"}

    # Billing's activation webhook arrives late: an echo, nothing written to Salesforce.
    before = last_attempt()
    webhooks.release()
    wait_until(lambda: SyncJob.objects.filter(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=created.order_id,
                                              finished_at__gt=job.finished_at).exists(), message="the late webhook")
    settled()
    assert hub_writes("salesforce", before).count() == 0


def test_billing_refusing_an_activation_from_salesforce_leaves_a_conflict_and_changes_nothing_else(
        provider, worker_cluster, watermark, webhooks, api):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    created = billing_origin_order(billing)
    link = wait_until(lambda: OrderLink.objects.filter(billing_order_id=created.order_id)
                      .exclude(salesforce_order_id="").first(), message="the order in Salesforce")
    settled()
    # Billing cancels the cart, and the rep activates the order in Salesforce before the hub
    # hears of the cancellation (its webhook is held).
    webhooks.hold()
    billing.cancel_order(created.order_id)
    canceled = billing_order(billing, created.order_id)
    sf.update("Order", link.salesforce_order_id, {"Status": "Activated"})
    sf_before = salesforce_order(sf, link.salesforce_order_id)
    before = last_attempt()

    assert watch.watch_salesforce(Vendors.from_settings())["queued"] == 1
    job = wait_until(lambda: SyncJob.objects.filter(kind=SyncJob.Kind.ACTIVATION, subject=link.salesforce_order_id)
                     .exclude(status__in=SyncJob.ACTIVE).first(), message="the activation job to finish")
    settled()

    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "activation_refused")
    conflict = OrderLink.objects.get(pk=link.pk).conflict
    assert (conflict["refused_by"], conflict["billing_status"], conflict["salesforce_status"]) == \
        ("billing", "Canceled", "Activated")
    state = api.order_state(created.order_id)
    assert state["conflict"] == conflict and "refused" in state["last_error"]
    # Nothing forced: billing stays canceled, Salesforce stays as the rep left it, and the only
    # write is billing's refused activation.
    assert billing_order(billing, created.order_id) == canceled
    assert salesforce_order(sf, link.salesforce_order_id) == sf_before
    assert hub_writes("salesforce", before).count() == 0
    assert [w.ok for w in hub_writes(provider, before)] == [False]


def test_salesforce_refusing_to_activate_a_paid_order_leaves_a_conflict_and_changes_nothing_else(
        provider, worker_cluster, api):
    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    order_id = salesforce_draft(sf)
    pushed = api.sync(order_id)
    settled()
    # The rep takes the products off to rework the deal; Salesforce will not activate an Order
    # without products. The customer pays the link they already have.
    for item in sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {}", order_id)):
        sf.delete("OrderItem", item["Id"])
    sf_before = salesforce_order(sf, order_id)
    before, paid_at = last_attempt(), timezone.now()
    pay_in_portal(pushed["checkout_url"])
    paid = billing_order(billing, pushed["billing_order_id"])
    assert paid[0] == OrderStatus.ACTIVATED

    # The payment's webhook, then every run it causes: a run of the order's job that began before
    # the payment (the push's own webhook, say) may end after it.
    wait_until(lambda: WebhookEvent.objects.filter(provider=provider, order_id=pushed["billing_order_id"],
                                                   received_at__gt=paid_at).exists(), message="the payment's webhook")
    settled()
    job = SyncJob.objects.get(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, subject=pushed["billing_order_id"])

    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "activation_refused")
    conflict = OrderLink.objects.get(salesforce_order_id=order_id).conflict
    assert (conflict["refused_by"], conflict["billing_status"], conflict["salesforce_status"]) == \
        ("salesforce", "Activated", "Draft")
    state = api.order_state(pushed["billing_order_id"])
    assert (state["conflict"], state["sync_status"]) == (conflict, "failed")
    assert "refused" in state["last_error"]
    # Nothing forced: Salesforce keeps the rep's draft, billing keeps the paid order, and the
    # only writes are Salesforce's refused activations (one per webhook the worker handled).
    assert salesforce_order(sf, order_id) == sf_before
    assert billing_order(billing, pushed["billing_order_id"]) == paid
    assert hub_writes(provider, before).count() == 0
    refused = hub_writes("salesforce", before)
    assert refused.exists() and not refused.filter(ok=True).exists()
