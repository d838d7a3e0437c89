"""Billing → Salesforce sync of one order, run in-process against the emulators over HTTP."""
import datetime as dt
import uuid
from decimal import Decimal
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.exceptions import PermanentError
from syncapp.models import LineLink, OrderLink, SyncJob, WebhookEvent
from syncapp.services import jobs
from syncapp.services.order_sync import sync_order
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, settings, hub_url):
    settings.BILLING_PROVIDER = request.param
    return request.param


@pytest.fixture
def billing():
    return billing_connector()


@pytest.fixture
def sf():
    return SalesforceConnector.from_settings()


class Calls:
    """Salesforce API calls as the emulator counts them."""

    def __init__(self, hub_url):
        self.url = f"{hub_url}/sandbox/salesforce/_control"

    def reset(self):
        requests.post(self.url, json={"reset_counts": True}, timeout=10)

    @property
    def total(self) -> int:
        return requests.get(self.url, timeout=10).json()["counts"]["total"]


@pytest.fixture
def calls(hub_url):
    return Calls(hub_url)


def order_of(billing, lines, crm_id=None, email="ana@acme.io"):
    customer = Customer(name="Acme Inc", email=email, currency="USD", crm_id=crm_id,
                        bill_to=Contact(email=email, first_name="Ana", last_name="Diaz"))
    return billing.create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT, customer=customer,
        terms=BillingTerms("Month", "Net 30", 1),
        lines=tuple(OrderLine(sku=sku, quantity=Decimal(q), list_price=Decimal(p), net_price=Decimal(p))
                    for sku, q, p in lines)), idempotency_key=str(uuid.uuid4()))


FIVE_LINES = [("PRO-MONTHLY", 1, "49"), ("PRO-MONTHLY", 2, "49"), ("TEAM-ANNUAL", 1, "990"),
              ("ADDON-SEATS", 4, "10"), ("ADDON-SEATS", 6, "10")]


def items(sf, sf_order_id):
    return sf.query(soql("SELECT Id, Billing_Line_Id__c, Quantity FROM OrderItem WHERE OrderId = {}", sf_order_id))


def test_a_five_line_order_of_a_known_account_takes_one_salesforce_call(billing, sf, calls, provider):
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    warm = order_of(billing, FIVE_LINES, crm_id=account_id)
    sync_order(provider, warm.order_id)  # resolves the price book entries once
    created = order_of(billing, FIVE_LINES, crm_id=account_id, email="bo@acme.io")
    calls.reset()
    result = sync_order(provider, created.order_id)
    assert calls.total == 1
    assert len(items(sf, result["salesforce_order_id"])) == 5


def test_an_unchanged_order_is_an_echo_and_costs_no_call(billing, calls, provider):
    created = order_of(billing, FIVE_LINES)
    sync_order(provider, created.order_id)
    calls.reset()
    assert "skipped" in sync_order(provider, created.order_id)
    assert calls.total == 0


@pytest.mark.parametrize("change, status", [("activate_order", "Activated"), ("cancel_order", "Canceled")])
def test_activation_and_cancellation_in_billing_are_reflected(billing, sf, provider, change, status):
    created = order_of(billing, FIVE_LINES[:2])
    sf_id = sync_order(provider, created.order_id)["salesforce_order_id"]
    getattr(billing, change)(created.order_id)
    sync_order(provider, created.order_id)
    assert sf.get("Order", sf_id)["Status"] == status


def test_an_order_activated_before_its_first_sync_arrives_activated_with_its_lines(billing, sf, provider):
    created = order_of(billing, FIVE_LINES[:3])
    billing.activate_order(created.order_id)
    sf_id = sync_order(provider, created.order_id)["salesforce_order_id"]
    assert sf.get("Order", sf_id)["Status"] == "Activated"
    assert len(items(sf, sf_id)) == 3


def test_deletion_in_billing_is_not_synced_but_marked_for_staff(billing, sf, calls, provider):
    created = order_of(billing, FIVE_LINES[:1])
    sf_id = sync_order(provider, created.order_id)["salesforce_order_id"]
    billing.delete_order(created.order_id)
    calls.reset()
    sync_order(provider, created.order_id)
    assert calls.total == 0
    assert OrderLink.objects.get(billing_order_id=created.order_id).deleted_in_billing_at is not None
    assert sf.get("Order", sf_id)["Id"] == sf_id


def test_lost_line_links_are_recovered_from_salesforce(billing, sf, provider):
    created = order_of(billing, FIVE_LINES[:3])
    sf_id = sync_order(provider, created.order_id)["salesforce_order_id"]
    LineLink.objects.all().delete()  # the hub forgot which items it wrote
    OrderLink.objects.update(billing_fingerprint="")
    billing.update_order(DraftOrder(**{**billing.get_order(created.order_id).__dict__,
                                       "lines": created.lines[:2]}))
    sync_order(provider, created.order_id)
    assert {i["Billing_Line_Id__c"] for i in items(sf, sf_id)} == {line.line_id for line in created.lines[:2]}


def test_a_sku_without_a_salesforce_product_fails_for_staff(billing, sf, provider):
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    created = order_of(billing, [("TEAM-ANNUAL", 1, "990")])
    with pytest.raises(PermanentError) as failure:
        sync_order(provider, created.order_id)
    assert failure.value.code == "unmapped_sku"


def test_resync_order_command_prints_the_result(billing, sf, provider):
    created = order_of(billing, FIVE_LINES[:2])
    out = StringIO()
    call_command("resync_order", created.order_id, stdout=out)
    assert '"status": "succeeded"' in out.getvalue()
    link = OrderLink.objects.get(billing_order_id=created.order_id)
    assert sf.get("Order", link.salesforce_order_id)["Status"] == "Draft"


def test_replay_webhooks_queues_the_orders_again(provider):
    event = WebhookEvent.objects.create(provider=provider, event_id="e1", event_type="order.updated",
                                        order_id="O-77", verified=True, status="accepted")
    WebhookEvent.objects.create(provider=provider, event_id="e2", event_type="order.updated",
                                order_id="O-78", verified=False, status="rejected")
    out = StringIO()
    call_command("replay_webhooks", "--id", str(event.pk), stdout=out)
    assert "Queued 1 order sync" in out.getvalue()
    assert list(SyncJob.objects.values_list("subject", "status")) == [("O-77", "pending")]
    call_command("replay_webhooks", stdout=out)
    assert SyncJob.objects.count() == 1  # the unverified event is never processed


def test_a_backlog_goes_to_salesforce_in_one_graph_call(billing, sf, calls, provider, hub_url):
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    warm = order_of(billing, FIVE_LINES, crm_id=account_id)
    sync_order(provider, warm.order_id)
    created = [order_of(billing, FIVE_LINES[:2], crm_id=account_id, email=f"u{i}@acme.io") for i in range(6)]
    ids = {o.order_id for o in created}
    wait_until(lambda: set(SyncJob.objects.filter(subject__in=ids).values_list("subject", flat=True)) == ids,
               message="the webhooks to queue every order")
    calls.reset()
    first = SyncJob.objects.get(subject=created[0].order_id)
    assert jobs.run(first.pk) == "succeeded"
    counts = requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]
    assert counts["composite/graph"] == 1 and counts["total"] == 1
    assert set(SyncJob.objects.filter(subject__in=ids).values_list("status", flat=True)) == {"succeeded"}
    for order in created:
        link = OrderLink.objects.get(billing_order_id=order.order_id)
        assert len(items(sf, link.salesforce_order_id)) == 2


def test_one_bad_order_in_a_batch_fails_alone(billing, sf, provider):
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    good = order_of(billing, [("PRO-MONTHLY", 1, "49")])
    bad = order_of(billing, [("TEAM-ANNUAL", 1, "990")], email="bad@acme.io")
    wait_until(lambda: SyncJob.objects.filter(subject__in=[good.order_id, bad.order_id]).count() == 2,
               message="both jobs")
    jobs.run(SyncJob.objects.get(subject=good.order_id).pk)
    assert SyncJob.objects.get(subject=good.order_id).status == "succeeded"
    failed = SyncJob.objects.get(subject=bad.order_id)
    assert (failed.status, failed.last_error_code) == ("failed", "unmapped_sku")
