"""A sync batch's cost on the hub's own database: a few statements for the batch, however many
orders it holds, not a dozen per order (the workers' CPU went mostly to building and running them)."""
import datetime as dt
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.jobs import allocation, engine
from syncapp.models import LineLink, OrderLink, SyncAttempt, SyncJob
from syncapp.sync.known import Written, link_new, remember_written
from syncapp.sync.order_sync import sync_order
from tests.e2e.conftest import wait_until
from tests.factories import AccountLinkFactory, LineLinkFactory, OrderLinkFactory
from tests.sync.test_order_sync import jobs_of, settled_webhooks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def zuora(hub_settings, hub_url):
    hub_settings["billing_provider"] = "zuora"


def order_of(billing, customer) -> str:
    """A two-line draft of the billing account `customer`, as a returning buyer makes it."""
    lines = tuple(OrderLine(sku=sku, quantity=Decimal(2), list_price=Decimal(49), net_price=Decimal(49))
                  for sku in ("PRO-MONTHLY", "ADDON-SEATS"))
    return billing.create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT, lines=lines,
        terms=BillingTerms("Month", "Net 30", 1), account_id=customer.account_id, customer=customer),
        idempotency_key=str(uuid.uuid4())).order_id


def run_batch(billing, hub_url, customer, count):
    """Sync `count` new orders of a known customer as one batch; the statements it ran."""
    ids = [order_of(billing, customer) for _ in range(count)]
    wait_until(lambda: jobs_of(ids) == count, message="every job")
    settled_webhooks(hub_url)
    with CaptureQueriesContext(connection) as statements:
        assert engine.run(SyncJob.objects.get(subject=ids[0]).pk) == "succeeded"
    assert list(SyncJob.objects.filter(subject__in=ids).values_list("status", flat=True)) == ["succeeded"] * count
    assert LineLink.objects.filter(order_link__billing_order_id__in=ids).exclude(salesforce_item_id="").count() == 2 * count
    assert SyncAttempt.objects.filter(job__subject__in=ids, operation="get_order").count() == count
    return [s["sql"] for s in statements.captured_queries]


def test_a_batch_costs_one_statement_per_new_order_and_a_few_for_the_batch(billing, sf, hub_url, monkeypatch):
    # The once-a-minute look at the API usage is a statement more in whichever batch it falls on:
    # keep it out of both.
    monkeypatch.setattr(allocation, "_last_look", time.monotonic() + 3600)
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    customer = billing.create_account(Customer(
        name="Acme Inc", email="ana@acme.io", crm_id=account_id,
        bill_to=Contact(email="ana@acme.io", first_name="Ana", last_name="Diaz")), idempotency_key=str(uuid.uuid4()))
    warm = order_of(billing, customer)
    sync_order("zuora", warm, Vendors.from_settings())  # the account and price book entries, linked
    wait_until(lambda: jobs_of([warm]) == 1, message="the warm order's job")
    engine.run(SyncJob.objects.get(subject=warm).pk)

    small = run_batch(billing, hub_url, customer, 3)
    large = run_batch(billing, hub_url, customer, 9)
    # Six more orders cost no more statements: links (the new ones made in one INSERT before the
    # write, so staff find an order whose first write failed), line links, attempts and the jobs'
    # outcomes are read and written for the batch.
    assert len(large) == len(small), "\n".join(large)
    assert sum("INSERT INTO \"syncapp_orderlink\"" in sql for sql in large) == 1
    assert OrderLink.objects.exclude(salesforce_order_id="").count() == 13


def test_orders_written_together_are_recorded_together_and_a_bad_one_fails_alone():
    def draft(*line_ids):
        return DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
                          lines=tuple(OrderLine(sku="PRO-MONTHLY", quantity=Decimal(1), list_price=Decimal(49),
                                                net_price=Decimal(49), line_id=i) for i in line_ids))

    taken = OrderLinkFactory(salesforce_order_id="801000000000001AAA")
    kept = OrderLinkFactory()
    LineLinkFactory(order_link=kept, billing_line_id="gone", salesforce_item_id="802000000000009AAA")
    clash = OrderLinkFactory()
    failed = remember_written([
        Written(kept, draft("L1", "L2"), "digest-1", "801000000000002AAA", {"L1": "802000000000001AAA"}),
        Written(clash, draft("L3"), "digest-2", taken.salesforce_order_id, {"L3": "802000000000003AAA"}),
    ])
    assert list(failed) == [clash.pk]  # Salesforce's Order is another link's: this one fails alone
    kept.refresh_from_db()
    assert (kept.salesforce_order_id, kept.billing_fingerprint) == ("801000000000002AAA", "digest-1")
    assert dict(kept.lines.values_list("billing_line_id", "salesforce_item_id")) == {
        "L1": "802000000000001AAA", "L2": ""}  # the line gone from the order lost its link
    assert not clash.lines.exists()


def test_new_order_links_are_made_together_and_a_clashing_one_fails_alone():
    account = AccountLinkFactory()
    OrderLinkFactory(billing_provider="zuora", billing_order_id="O-2")  # by another run, with no customer
    links = {job: OrderLink(billing_provider="zuora", billing_order_id=order_id, origin=OrderLink.Origin.BILLING,
                            account_link=account) for job, order_id in ((1, "O-1"), (2, "O-2"), (3, "O-3"))}
    failed = link_new(links)
    assert list(failed) == [2] and "UNIQUE" in str(failed[2]).upper()
    assert links[1].pk and links[3].pk and links[2].pk is None
    assert dict(OrderLink.objects.values_list("billing_order_id", "account_link")) == {
        "O-1": account.pk, "O-2": None, "O-3": account.pk}


def test_a_lone_new_order_link_that_clashes_fails_only_its_own_order():
    account = AccountLinkFactory()
    OrderLinkFactory(billing_provider="zuora", billing_order_id="O-9")
    links = {"O-9": OrderLink(billing_provider="zuora", billing_order_id="O-9", origin=OrderLink.Origin.BILLING,
                              account_link=account),
             "O-10": OrderLinkFactory(billing_order_id="O-10")}  # linked before: not made again
    assert list(link_new(links)) == ["O-9"]  # returned, not raised: the batch goes on
