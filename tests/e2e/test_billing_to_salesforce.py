"""A draft order saved in billing reaches Salesforce through the whole pipeline: the emulator's
signed webhook, the hub's intake, the job engine and a real django-q2 cluster, the connectors."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
import requests

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import (
    BillingTerms, Contact, Customer, Discount, DraftOrder, OrderLine, OrderStatus,
)
from syncapp.models import FieldMapping, OrderLink, SyncJob, SyncSettings
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"])
def provider(request, settings, hub_url):
    settings.BILLING_PROVIDER = request.param
    return request.param


@pytest.fixture
def billing(provider):
    return billing_connector()


@pytest.fixture
def sf(hub_url):
    return SalesforceConnector.from_settings()


def sf_calls(hub_url) -> int:
    return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]["total"]


def webhooks(hub_url, **switches):
    return requests.post(f"{hub_url}/sandbox/webhooks/_control", json=switches, timeout=10).json()


def line(sku, qty, price, discount=None):
    price = Decimal(price)
    net = price * (1 - Decimal(discount) / 100) if discount else price
    return OrderLine(sku=sku, quantity=Decimal(qty), list_price=price, net_price=net,
                     discount=Discount(percent=Decimal(discount)) if discount else None)


def draft(email="ana@acme.io", lines=None, **kw):
    return DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=tuple(lines or [line("PRO-MONTHLY", 3, "49.00"), line("ADDON-SEATS", 5, "10.00", discount="20"),
                              line("TEAM-ANNUAL", 1, "990.00")]),
        terms=BillingTerms(billing_period="Month", payment_term="Net 30", bill_cycle_day=1),
        custom_fields=(("Campaign__c", "spring-sale"),),
        customer=Customer(name="Acme Inc", email=email, currency="USD",
                          bill_to=Contact(email=email, first_name="Ana", last_name="Diaz")), **kw)


def salesforce_order(sf, order_id):
    rows = sf.query(soql("SELECT Id, AccountId, Status, EffectiveDate, Pricebook2Id, Sync_Origin__c, "
                         "Billing_Checkout_URL__c, Billing_Period__c, Payment_Term__c, Description "
                         "FROM Order WHERE Billing_Order_Id__c = {}", order_id))
    if not rows:
        return None
    items = sf.query(soql("SELECT Id, Billing_Line_Id__c, Quantity, UnitPrice, Discount_Percent__c, "
                          "PricebookEntry.ProductCode FROM OrderItem WHERE OrderId = {} ORDER BY Quantity",
                          rows[0]["Id"]))
    return {**rows[0], "items": items}


def synced(sf, order_id, expect):
    """Wait until Salesforce shows the order and `expect(sf_order)` holds."""
    def check():
        found = salesforce_order(sf, order_id)
        return found if found and expect(found) else None
    return wait_until(check, message=f"order {order_id} in Salesforce")


def idle(provider, order_id):
    return wait_until(lambda: SyncJob.objects.filter(provider=provider, subject=order_id)
                      .exclude(status__in=SyncJob.ACTIVE).first(), message="the sync job to finish")


def test_draft_order_appears_in_salesforce_with_every_field_and_line(worker_cluster, billing, sf, provider):
    FieldMapping.objects.create(billing_field="Campaign__c", salesforce_field="Description")
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))

    order = synced(sf, created.order_id, lambda o: len(o["items"]) == 3)
    assert (order["Status"], order["EffectiveDate"], order["Sync_Origin__c"]) == ("Draft", "2026-11-22", "Billing")
    assert (order["Billing_Period__c"], order["Payment_Term__c"]) == ("Month", "Net 30")
    assert order["Billing_Checkout_URL__c"] == created.checkout_url
    assert order["Description"] == "spring-sale"
    standard = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"]
    assert order["Pricebook2Id"] == standard
    by_line = {i["Billing_Line_Id__c"]: i for i in order["items"]}
    for billing_line in created.lines:
        item = by_line[billing_line.line_id]
        assert item["PricebookEntry"]["ProductCode"] == billing_line.sku
        assert Decimal(str(item["Quantity"])) == billing_line.quantity
        assert Decimal(str(item["UnitPrice"])) == billing_line.net_price
    seats = next(i for i in order["items"] if i["PricebookEntry"]["ProductCode"] == "ADDON-SEATS")
    assert seats["Discount_Percent__c"] == 20

    # The customer's Account was created by the matching rules and written back as the CRM id.
    account = sf.get("Account", order["AccountId"])
    assert account["Name"] == "Acme Inc" and account["Website"] == "acme.io"
    assert billing.get_account(created.account_id).crm_id == account["Id"]
    assert OrderLink.objects.get(billing_order_id=created.order_id).salesforce_order_id == order["Id"]


def test_duplicated_and_reordered_deliveries_converge(worker_cluster, billing, sf, provider, hub_url):
    webhooks(hub_url, duplicate=3, reorder=True, reorder_batch=4)
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    changed = billing.update_order(DraftOrder(**{**created.__dict__, "lines": created.lines[:2]}))
    webhooks(hub_url, reorder=False, action="release")
    order = synced(sf, created.order_id, lambda o: len(o["items"]) == 2)
    idle(provider, created.order_id)
    assert {i["Billing_Line_Id__c"] for i in order["items"]} == {ln.line_id for ln in changed.lines}
    assert len(sf.query(soql("SELECT Id FROM Order WHERE Billing_Order_Id__c = {}", created.order_id))) == 1


def test_edits_update_salesforce_and_remove_deleted_lines(worker_cluster, billing, sf, provider):
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    synced(sf, created.order_id, lambda o: len(o["items"]) == 3)
    first, second, _ = created.lines
    edited = DraftOrder(**{**created.__dict__, "lines": (
        OrderLine(**{**first.__dict__, "quantity": Decimal(7)}), second)})
    billing.update_order(edited)
    order = synced(sf, created.order_id, lambda o: len(o["items"]) == 2 and
                   any(Decimal(str(i["Quantity"])) == 7 for i in o["items"]))
    assert {i["Billing_Line_Id__c"] for i in order["items"]} == {first.line_id, second.line_id}


def test_the_hubs_own_write_back_costs_no_salesforce_call(worker_cluster, billing, sf, provider, hub_url):
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    synced(sf, created.order_id, lambda o: len(o["items"]) == 3)
    job = idle(provider, created.order_id)
    assert job.status == "succeeded"
    calls = sf_calls(hub_url)
    # Deliver the order's events again, as the CRM-id write-back and any redelivery would.
    from syncapp.services import jobs
    jobs.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, created.order_id)
    job = wait_until(lambda: SyncJob.objects.filter(pk=job.pk, status="succeeded", result__has_key="skipped").first(),
                     message="the echo to be skipped")
    assert sf_calls(hub_url) == calls


def test_turning_the_settings_off_stops_the_sync(worker_cluster, billing, sf, provider):
    config = SyncSettings.load()
    config.auto_sync = False
    config.save()
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    job = wait_until(lambda: SyncJob.objects.filter(subject=created.order_id, status="succeeded").first(),
                     message="the job to run")
    assert job.result == {"skipped": "sync turned off in settings"}
    assert salesforce_order(sf, created.order_id) is None
