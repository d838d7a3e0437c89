"""Salesforce → billing: Sync Order, activation by origin, the watcher and abandoned carts —
through the hub's API and services, against the emulators over HTTP, for both providers."""
import datetime as dt
import time
import uuid
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.salesforce import soql
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, FieldMapping, OrderLink, SyncJob, SyncSettings
from syncapp.sync import abandonment, watch
from syncapp.sync.order_sync import sync_order
from tests.salesforce_seed import create_records

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    return request.param


@pytest.fixture
def api(hub_url, make_token):
    token = make_token("salesforce")

    def post(path):
        return requests.post(f"{hub_url}/api/v1/salesforce/orders/{path}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)

    return post


def entry(sf, sku):
    return sf.query(soql("SELECT Id, Pricebook2Id FROM PricebookEntry WHERE ProductCode = {}", sku))[0]


def salesforce_draft(sf, lines=(("PRO-MONTHLY", 2, 45.0), ("ADDON-SEATS", 10, 9.5))):
    """A deal a rep prepared in Salesforce."""
    account = sf.create("Account", {"Name": "Globex", "Website": "globex.com"})
    sf.create("Contact", {"AccountId": account, "FirstName": "Hank", "LastName": "Scorpio",
                          "Email": "hank@globex.com"})
    pricebook = entry(sf, lines[0][0])["Pricebook2Id"]
    order = sf.create("Order", {"AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
                                "Pricebook2Id": pricebook, "Payment_Term__c": "Net 30",
                                "Billing_Period__c": "Month"})
    for sku, qty, price in lines:
        sf.create("OrderItem", {"OrderId": order, "PricebookEntryId": entry(sf, sku)["Id"], "Quantity": qty,
                                "UnitPrice": price})
    return order


def account_owner(sf, sf_order_id) -> str:
    """Hand the Order's Account to a sales rep of its own — a User other than the org's default
    owner, which every record gets — and return the rep's User Id."""
    rep = sf.create("User", {"Username": f"rep-{uuid.uuid4().hex[:8]}@sandbox.example", "Email": "rep@initech.com",
                             "FirstName": "Bill", "LastName": "Lumbergh", "Alias": "blumb"})
    account = sf.get("Order", sf_order_id, fields=["AccountId"])["AccountId"]
    sf.update("Account", account, {"OwnerId": rep})
    return rep


def billing_calls(hub_url, provider) -> int:
    state = requests.get(f"{hub_url}/sandbox/{provider}/_control", timeout=10).json()
    return sum((state.get("call_counts") or state.get("calls") or {}).values())


def sf_calls(hub_url) -> int:
    return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]["total"]


def test_sync_order_creates_the_billing_draft_and_links_back(api, sf, billing, provider, hub_settings,
                                                             hub_url):
    if provider == "zuora":  # only with Flexible Billing Attributes does an order keep its own term
        hub_settings["zuora_flexible_billing"] = True
        requests.post(f"{hub_url}/sandbox/zuora/_control", json={"flexible_billing": True},
                      timeout=10).raise_for_status()
    order_id = salesforce_draft(sf)
    response = api(f"{order_id}/sync")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] is True and body["status"] == "Draft" and body["checkout_url"]

    draft = billing.get_order(body["billing_order_id"])
    assert draft.status == OrderStatus.DRAFT
    assert sorted((ln.sku, ln.quantity, ln.net_price) for ln in draft.lines) == \
        [("ADDON-SEATS", Decimal(10), Decimal("9.5")), ("PRO-MONTHLY", Decimal(2), Decimal(45))]
    assert draft.terms.payment_term == "Net 30"
    account = billing.get_account(draft.account_id)
    assert account.crm_id == sf.get("Order", order_id)["AccountId"]

    written = sf.get("Order", order_id)
    assert (written["Billing_Order_Id__c"], written["Billing_Checkout_URL__c"], written["Sync_Origin__c"]) == \
        (body["billing_order_id"], body["checkout_url"], "Salesforce")
    items = sf.query(soql("SELECT Billing_Line_Id__c FROM OrderItem WHERE OrderId = {}", order_id))
    assert {i["Billing_Line_Id__c"] for i in items} == {ln.line_id for ln in draft.lines}


def test_discounts_and_mapped_fields_reach_billing(api, sf, billing):
    FieldMapping.objects.create(billing_field="Sales_Notes__c", salesforce_field="Description")
    order_id = salesforce_draft(sf, lines=(("PRO-MONTHLY", 2, 44.1),))
    sf.update("Order", order_id, {"Description": "Annual review in May"})
    item = sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {}", order_id))[0]
    sf.update("OrderItem", item["Id"], {"Discount_Percent__c": 10})

    draft = billing.get_order(api(f"{order_id}/sync").json()["billing_order_id"])
    [line] = draft.lines
    assert (line.list_price, line.net_price, line.discount.percent) == (Decimal(49), Decimal("44.1"), Decimal(10))
    assert draft.custom_field_map["Sales_Notes__c"] == "Annual review in May"


def test_an_org_without_multi_currency_bills_in_its_configured_currency(api, sf, billing, hub_settings):
    hub_settings["salesforce_currency"] = "EUR"  # the emulated org has no CurrencyIsoCode on Order
    order_id = salesforce_draft(sf)
    response = api(f"{order_id}/sync")
    # The customer is billed in EUR; the emulators' catalogs price only USD, so billing refuses
    # the order itself, naming the currency it was asked for.
    account = billing.find_account_by_crm_id(sf.get("Order", order_id)["AccountId"])
    assert billing.get_account(account.account_id).currency == "EUR"
    assert response.status_code == 422 and "EUR" in response.json()["error"]["message"]


def test_pressing_twice_changes_nothing_the_second_time(api, sf, hub_url, provider):
    order_id = salesforce_draft(sf)
    first = api(f"{order_id}/sync").json()
    billing_before, sf_before = billing_calls(hub_url, provider), sf_calls(hub_url)
    again = api(f"{order_id}/sync").json()
    assert again == {**first, "created": False}
    assert billing_calls(hub_url, provider) == billing_before
    assert sf_calls(hub_url) == sf_before + 1  # reading the Order, nothing written


@pytest.mark.parametrize("lost", ["POST customers", "POST orders"])
def test_sync_order_pressed_again_after_a_lost_nue_answer_makes_one_order(api, sf, provider, hub_url, hub_settings,
                                                                           lost):
    if provider != "nue":
        pytest.skip("Nue keeps no idempotency key; Zuora's replay is covered with its connector")
    from sandbox.nue.models import Customer, Order

    hub_settings["billing_read_timeout"] = 0.5
    requests.post(f"{hub_url}/sandbox/nue/_control", timeout=10, json={
        "idempotency_keys": False, "timeout_seconds": 1.5,
        "fail_next": [f"timeout_after_commit {lost}"]}).raise_for_status()
    order_id = salesforce_draft(sf)
    failed = api(f"{order_id}/sync")
    assert failed.status_code == 502 and failed.json()["error"]["details"]["retryable"] is True, failed.text
    time.sleep(1.5)  # the emulator finishes holding the lost answer back

    again = api(f"{order_id}/sync")
    assert again.status_code == 200, again.text
    [customer] = Customer.objects.all()
    [order] = Order.objects.all()
    assert (again.json()["billing_order_id"], order.customer_id) == (order.id, customer.id)
    assert sf.get("Order", order_id)["Billing_Order_Id__c"] == order.id


def test_edits_in_salesforce_win(api, sf, billing):
    order_id = salesforce_draft(sf)
    billing_id = api(f"{order_id}/sync").json()["billing_order_id"]
    item = sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {} ORDER BY CreatedDate LIMIT 1", order_id))[0]
    sf.update("OrderItem", item["Id"], {"Quantity": 5, "UnitPrice": 40})
    assert api(f"{order_id}/sync").json()["created"] is False
    lines = billing.get_order(billing_id).lines
    assert ("PRO-MONTHLY", Decimal(5), Decimal(40)) in [(ln.sku, ln.quantity, ln.net_price) for ln in lines]


def test_activated_or_unknown_orders_are_refused(api, sf):
    order_id = salesforce_draft(sf)
    sf.update("Order", order_id, {"Status": "Activated"})
    refused = api(f"{order_id}/sync")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "order_not_draft")
    assert api("801000000000000AAA/sync").status_code == 404


def test_activating_a_salesforce_origin_order_activates_salesforce_then_billing(api, sf, billing):
    order_id = salesforce_draft(sf)
    billing_id = api(f"{order_id}/sync").json()["billing_order_id"]
    response = api(f"{order_id}/activate")
    assert response.status_code == 200, response.text
    assert response.json() == {"billing": {"order_id": billing_id, "status": "Activated"},
                               "salesforce": {"order_id": order_id, "status": "Activated"}}
    assert billing.get_order(billing_id).status == OrderStatus.ACTIVATED


def billing_origin_order(billing, provider):
    created = billing.create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku="PRO-MONTHLY", quantity=Decimal(1), list_price=Decimal(49), net_price=Decimal(49)),),
        customer=Customer(name="Initech", email="peter@initech.com", currency="USD",
                          bill_to=Contact(email="peter@initech.com", first_name="Peter", last_name="Gibbons"))),
        idempotency_key=str(uuid.uuid4()))
    sf_id = sync_order(provider, created.order_id, Vendors.from_settings())["salesforce_order_id"]
    return created.order_id, sf_id


def test_activating_a_billing_origin_order_activates_billing_first_then_syncs_back(api, sf, billing, provider):
    billing_id, sf_id = billing_origin_order(billing, provider)
    response = api(f"{sf_id}/activate")
    assert response.status_code == 200, response.text
    assert billing.get_order(billing_id).status == OrderStatus.ACTIVATED
    assert sf.get("Order", sf_id)["Status"] == "Activated"


def test_a_refused_activation_leaves_a_visible_conflict_and_changes_nothing(api, sf, billing, provider):
    billing_id, sf_id = billing_origin_order(billing, provider)
    billing.cancel_order(billing_id)  # billing will refuse to activate it
    response = api(f"{sf_id}/activate")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "activation_refused")
    conflict = OrderLink.objects.get(billing_order_id=billing_id).conflict
    assert (conflict["refused_by"], conflict["billing_status"], conflict["salesforce_status"]) == \
        ("billing", "Canceled", "Draft")
    assert sf.get("Order", sf_id)["Status"] == "Draft"
    assert billing.get_order(billing_id).status == OrderStatus.CANCELED


def test_the_watcher_sees_an_activation_done_in_salesforce(sf, billing, provider):
    watch.watch_salesforce(Vendors.from_settings())  # the first run sets the watermark
    Cursor.objects.update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    billing_id, sf_id = billing_origin_order(billing, provider)
    sf.update("Order", sf_id, {"Status": "Activated"})  # a rep activates it in Salesforce
    assert watch.watch_salesforce(Vendors.from_settings())["queued"] == 1
    job = SyncJob.objects.get(kind=SyncJob.Kind.ACTIVATION, subject=sf_id)
    assert engine.run(job.pk) == "succeeded"
    assert billing.get_order(billing_id).status == OrderStatus.ACTIVATED
    assert OrderLink.objects.get(billing_order_id=billing_id).status == "Activated"


def test_an_abandoned_cart_makes_exactly_one_task_for_the_owner(sf, billing, provider):
    billing_id, sf_id = billing_origin_order(billing, provider)
    owner = account_owner(sf, sf_id)
    assert abandonment.find_abandoned_carts() == 0  # too young
    OrderLink.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    for _ in range(3):  # the schedule fires again and again
        abandonment.find_abandoned_carts()
        for job in SyncJob.objects.filter(kind=SyncJob.Kind.ABANDONED_CART):
            engine.run(job.pk)
    tasks = sf.query(soql("SELECT Id, OwnerId, Subject, ActivityDate, Description FROM Task WHERE WhatId = {}",
                          sf_id))
    assert len(tasks) == 1
    assert tasks[0]["OwnerId"] == owner
    assert tasks[0]["ActivityDate"] == timezone.localdate().isoformat()
    assert "49.00 USD" in tasks[0]["Subject"] and "Checkout link: http" in tasks[0]["Description"]


def test_edits_to_salesforce_drafts_are_pushed_only_when_switched_on(api, sf, billing):
    watch.watch_salesforce(Vendors.from_settings())
    Cursor.objects.update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    order_id = salesforce_draft(sf)
    billing_id = api(f"{order_id}/sync").json()["billing_order_id"]
    item = sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {} ORDER BY CreatedDate LIMIT 1", order_id))[0]
    sf.update("OrderItem", item["Id"], {"Quantity": 3, "UnitPrice": 45})
    assert watch.watch_salesforce(Vendors.from_settings())["queued"] == 0  # off by default

    switch_on_salesforce_edits()
    sf.update("OrderItem", item["Id"], {"Quantity": 4, "UnitPrice": 45})  # the rep edits again
    assert watch.watch_salesforce(Vendors.from_settings())["queued"] == 1
    engine.run(SyncJob.objects.get(kind=SyncJob.Kind.SALESFORCE_TO_BILLING, subject=order_id).pk)
    assert ("PRO-MONTHLY", Decimal(4)) in [(ln.sku, ln.quantity) for ln in billing.get_order(billing_id).lines]


def switch_on_salesforce_edits():
    config = SyncSettings.load()
    config.sync_salesforce_edits = True
    config.save()


def stamp_in_one_second(ids):
    """What a Bulk API load does: give all these Orders one SystemModstamp (set in the emulator's
    store, as no API call can choose a stamp)."""
    from sandbox.salesforce.models import Record

    stamp = timezone.now().replace(microsecond=500000)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S.500+0000")
    for record in Record.objects.filter(sf_id__in=ids):
        record.data.update(SystemModstamp=text, LastModifiedDate=text)
        record.system_modstamp = stamp
        record.save(update_fields=["data", "system_modstamp"])


def test_the_watcher_pages_through_a_second_shared_by_more_orders_than_a_batch(sf, provider):
    watch.watch_salesforce(Vendors.from_settings())
    Cursor.objects.update(value=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    switch_on_salesforce_edits()
    account = sf.create("Account", {"Name": "Bulk Co"})
    ids = []
    for _ in range(3):
        ids += create_records(sf, [
            {"attributes": {"type": "Order"}, "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft"}
            for _ in range(150)])
    stamp_in_one_second(ids)
    OrderLink.objects.bulk_create(OrderLink(billing_provider=provider, billing_order_id=f"BULK-{i}",
                                            salesforce_order_id=sf_id, origin="salesforce", status="Draft")
                                  for i, sf_id in enumerate(ids))

    assert watch.watch_salesforce(Vendors.from_settings())["queued"] >= len(ids)
    queued = set(SyncJob.objects.filter(kind=SyncJob.Kind.SALESFORCE_TO_BILLING).values_list("subject", flat=True))
    assert queued == set(ids)
    assert watch.watch_salesforce(Vendors.from_settings())["seen"] == 0  # past that second, not stuck in it
