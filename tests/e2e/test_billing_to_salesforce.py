"""A draft order saved in billing reaches Salesforce through the whole pipeline: the emulator's
signed webhook, the hub's intake, the job engine and a real django-q2 cluster, the connectors."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import (
    BillingTerms,
    Contact,
    Customer,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)
from syncapp.models import FieldMapping, OrderLink, SyncAttempt, SyncJob, SyncSettings, WebhookEvent
from syncapp.models.webhooks import AWAITING_JOB
from syncapp.sync.order_sync import TURNED_OFF
from tests.e2e.conftest import settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"])
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    return request.param


@pytest.fixture
def billing(provider):
    return billing_connector()


@pytest.fixture
def sf(hub_url):
    return SalesforceConnector.from_settings()


def sf_counts(hub_url, reset=False) -> dict:
    """Salesforce API calls per resource (and `total`) as the emulator counts them."""
    if reset:
        requests.post(f"{hub_url}/sandbox/salesforce/_control", json={"reset_counts": True}, timeout=10)
    return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]


def calls_by_sync_jobs(since) -> list[str]:
    """The Salesforce API calls the hub's jobs recorded since `since` (logins are not API calls;
    the scheduled Salesforce watcher, whose polls the emulator counts too, runs outside jobs)."""
    return list(SyncAttempt.objects.filter(vendor="salesforce", job__isnull=False, created_at__gte=since)
                .exclude(operation="login").exclude(operation__icontains="token").values_list("operation", flat=True))


def not_queries(counts: dict) -> dict:
    """Counts but the SOQL queries (the watcher polls with those, on its own schedule)."""
    return {name: n for name, n in counts.items() if name not in ("query", "total")}


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
    def finished():
        if WebhookEvent.objects.filter(AWAITING_JOB, provider=provider, order_id=order_id).exists():
            return None
        return SyncJob.objects.filter(provider=provider, subject=order_id).exclude(status__in=SyncJob.ACTIVE).first()

    return wait_until(finished, message="the sync job to finish")


# What differs between two Salesforce records of the same content: ids, numbers, audit stamps, and
# the billing ids (the checkout URL names the billing order).
PER_RECORD = {"Id", "OrderNumber", "OrderItemNumber", "OrderId", "Billing_Order_Id__c", "Billing_Line_Id__c",
              "Billing_Checkout_URL__c", "CreatedDate", "LastModifiedDate", "SystemModstamp"}


def every_field(sf, order_id) -> dict:
    """The Salesforce Order and its items, every field but PER_RECORD, items by quantity."""
    found = salesforce_order(sf, order_id)
    keep = lambda record: {k: v for k, v in record.items() if k not in PER_RECORD}  # noqa: E731
    items = sorted((sf.get("OrderItem", item["Id"]) for item in found["items"]),
                   key=lambda item: (item["Quantity"], item["PricebookEntryId"]))
    return {**keep(sf.get("Order", found["Id"])), "items": [keep(item) for item in items]}


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
    contacts = sf.query(soql("SELECT FirstName, LastName, Email FROM Contact WHERE AccountId = {}", account["Id"]))
    assert contacts == [{"FirstName": "Ana", "LastName": "Diaz", "Email": "ana@acme.io"}]
    assert OrderLink.objects.get(billing_order_id=created.order_id).salesforce_order_id == order["Id"]


def create_and_edit(billing):
    """A draft, then an edit that drops its last line: the events order.created, order.updated."""
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    return created, billing.update_order(DraftOrder(**{**created.__dict__, "lines": created.lines[:2]}))


def test_duplicated_and_reordered_deliveries_converge(worker_cluster, billing, sf, provider, hub_url):
    # Only this test's requests send, so every batch goes out in one known order.
    webhooks(hub_url, auto_deliver=False, duplicate=3, reorder=True, reorder_batch=100)
    created, changed = create_and_edit(billing)
    held = [d["id"] for d in reversed(webhooks(hub_url)["deliveries"])]  # oldest first
    assert len(held) >= 2
    webhooks(hub_url, action="release")  # newest first, each sent three times
    webhooks(hub_url, reorder=False, duplicate=1)
    sent = {d["id"]: d for d in webhooks(hub_url)["deliveries"] if d["id"] in held}
    # The first copy was accepted (202); the third got "200 duplicate".
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in sent.values()} == {("delivered", 1, 200)}
    arrived = list(WebhookEvent.objects.filter(provider=provider, event_id__in=held).order_by("id")
                   .values_list("event_id", flat=True))
    assert arrived == held[::-1]  # one row per event, in reverse order

    order = synced(sf, created.order_id, lambda o: len(o["items"]) == 2)
    idle(provider, created.order_id)
    assert {i["Billing_Line_Id__c"] for i in order["items"]} == {ln.line_id for ln in changed.lines}
    assert len(sf.query(soql("SELECT Id FROM Order WHERE Billing_Order_Id__c = {}", created.order_id))) == 1
    assert order["Billing_Checkout_URL__c"] == created.checkout_url

    # The same story delivered once, in order, ends in the same Salesforce state.
    webhooks(hub_url, action="reset")
    once, _ = create_and_edit(billing)
    synced(sf, once.order_id, lambda o: len(o["items"]) == 2)
    settled()
    compared = every_field(sf, created.order_id)
    assert {"AccountId", "Status", "EffectiveDate", "Pricebook2Id", "TotalAmount", "Payment_Term__c"} <= \
        compared.keys()
    assert {"PricebookEntryId", "Quantity", "UnitPrice", "Discount_Percent__c"} <= compared["items"][1].keys()
    assert compared == every_field(sf, once.order_id)


def test_edits_update_salesforce_and_remove_deleted_lines(worker_cluster, billing, sf, provider, hub_url):
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    before = synced(sf, created.order_id, lambda o: len(o["items"]) == 3)
    settled()
    item_ids = {i["Billing_Line_Id__c"]: i["Id"] for i in before["items"]}
    first, second, _ = created.lines
    edited = DraftOrder(**{**created.__dict__, "lines": (
        OrderLine(**{**first.__dict__, "quantity": Decimal(7)}), second)})
    sf_counts(hub_url, reset=True)
    since = timezone.now()
    billing.update_order(edited)
    # Wait on the hub's own state, so the test's reads of Salesforce are not counted.
    wait_until(lambda: WebhookEvent.objects.filter(order_id=created.order_id, event_type="order.updated").exists(),
               message="the edit's webhook")
    settled()
    assert sf_counts(hub_url)["composite/graph"] == 1
    assert calls_by_sync_jobs(since) == ["graph"]  # and nothing else: no re-read after a refusal
    order = salesforce_order(sf, created.order_id)
    assert any(Decimal(str(i["Quantity"])) == 7 for i in order["items"])
    # Updated in place: the Order and the kept items keep their Ids; the dropped line is gone.
    assert order["Id"] == before["Id"]
    assert {i["Billing_Line_Id__c"]: i["Id"] for i in order["items"]} == {
        line_id: item_ids[line_id] for line_id in (first.line_id, second.line_id)}


def test_the_hubs_own_write_back_costs_no_salesforce_call(worker_cluster, billing, sf, provider, hub_url):
    webhooks(hub_url, auto_deliver=False)  # the test hands each webhook over, to count what it causes
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    webhooks(hub_url, action="deliver")
    synced(sf, created.order_id, lambda o: len(o["items"]) == 3)
    settled()
    # Writing the CRM id back made the billing emulator queue a webhook of its own.
    write_back = [d for d in webhooks(hub_url)["deliveries"] if d["status"] == "pending"]
    assert [d["type"] for d in write_back] == ["customer.updated"]
    # So does a save in billing that changes nothing.
    billing.update_order(billing.get_order(created.order_id))
    echoes = [d["id"] for d in webhooks(hub_url)["deliveries"] if d["status"] == "pending"]
    assert len(echoes) == 2

    before, since = sf_counts(hub_url), timezone.now()
    sent = webhooks(hub_url, action="deliver")["deliveries"]
    assert {d["last_status_code"] for d in sent if d["id"] in echoes} == {202}
    assert WebhookEvent.objects.filter(event_id__in=echoes, verified=True).count() == 2
    job = idle(provider, created.order_id)
    settled()
    assert not_queries(sf_counts(hub_url)) == not_queries(before)
    assert calls_by_sync_jobs(since) == []
    assert job.status == "succeeded" and "skipped" in job.result  # the order.updated ran, and was an echo


@pytest.mark.parametrize("switch", ["auto_sync", "sync_draft_orders"])
def test_turning_the_settings_off_stops_the_sync(worker_cluster, billing, sf, provider, switch):
    config = SyncSettings.load()
    setattr(config, switch, False)
    config.save()
    created = billing.create_order(draft(), idempotency_key=str(uuid.uuid4()))
    job = wait_until(lambda: SyncJob.objects.filter(subject=created.order_id, status="succeeded").first(),
                     message="the job to run")
    assert job.result[TURNED_OFF] == switch  # marked, for replay_webhooks --skipped
    assert salesforce_order(sf, created.order_id) is None
