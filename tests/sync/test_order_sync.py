"""Billing → Salesforce sync of one order, run in-process against the emulators over HTTP."""
import datetime as dt
import threading
import uuid
from decimal import Decimal
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.backends.signals import connection_created
from django.utils import timezone

from syncapp.connectors.salesforce import soql
from syncapp.connectors.salesforce.orders import SalesforceSide, order_graph, written_ids
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.exceptions import PermanentError
from syncapp.jobs import engine
from syncapp.models import LineLink, OrderLink, SyncJob, SyncSettings, WebhookEvent
from syncapp.sync import prefetch
from syncapp.sync.order_sync import TURNED_OFF, pricebook_entries, sync_order
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    return request.param


class Calls:
    """Salesforce API calls as the emulator counts them."""

    def __init__(self, hub_url):
        self.url = f"{hub_url}/sandbox/salesforce/_control"

    def reset(self):
        requests.post(self.url, json={"reset_counts": True}, timeout=10)

    @property
    def total(self) -> int:
        return requests.get(self.url, timeout=10).json()["counts"]["total"]

    @property
    def logins(self) -> int:
        return requests.get(self.url, timeout=10).json()["logins"]


@pytest.fixture
def calls(hub_url):
    return Calls(hub_url)


def order_of(billing, lines, crm_id=None, email="ana@acme.io", currency="USD"):
    customer = Customer(name="Acme Inc", email=email, currency=currency, crm_id=crm_id,
                        bill_to=Contact(email=email, first_name="Ana", last_name="Diaz"))
    return billing.create_order(DraftOrder(
        currency=currency, order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT, customer=customer,
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
    sync_order(provider, warm.order_id, Vendors.from_settings())  # resolves the price book entries once
    created = order_of(billing, FIVE_LINES, crm_id=account_id, email="bo@acme.io")
    calls.reset()
    result = sync_order(provider, created.order_id, Vendors.from_settings())  # new connectors, as another job builds
    assert calls.total == 1
    assert calls.logins == 0  # the session of the first job's login is reused
    assert len(items(sf, result["salesforce_order_id"])) == 5


def test_the_first_sync_ever_also_reads_the_price_book_once(billing, sf, calls, provider):
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    created = order_of(billing, FIVE_LINES, crm_id=account_id)
    calls.reset()
    sync_order(provider, created.order_id, Vendors.from_settings())
    counts = requests.get(calls.url, timeout=10).json()["counts"]
    assert (counts["query"], counts["composite/graph"], counts["total"]) == (2, 1, 3)


def test_an_unchanged_order_is_an_echo_and_costs_no_call(billing, calls, provider):
    created = order_of(billing, FIVE_LINES)
    sync_order(provider, created.order_id, Vendors.from_settings())
    calls.reset()
    assert "skipped" in sync_order(provider, created.order_id, Vendors.from_settings())
    assert calls.total == 0


@pytest.mark.parametrize("change, status", [("activate_order", "Activated"), ("cancel_order", "Canceled")])
def test_activation_and_cancellation_in_billing_are_reflected(billing, sf, provider, change, status):
    created = order_of(billing, FIVE_LINES[:2])
    sf_id = sync_order(provider, created.order_id, Vendors.from_settings())["salesforce_order_id"]
    getattr(billing, change)(created.order_id)
    sync_order(provider, created.order_id, Vendors.from_settings())
    assert sf.get("Order", sf_id)["Status"] == status


def test_an_order_activated_before_its_first_sync_arrives_activated_with_its_lines(billing, sf, provider):
    created = order_of(billing, FIVE_LINES[:3])
    billing.activate_order(created.order_id)
    sf_id = sync_order(provider, created.order_id, Vendors.from_settings())["salesforce_order_id"]
    assert sf.get("Order", sf_id)["Status"] == "Activated"
    assert len(items(sf, sf_id)) == 3


def test_deletion_in_billing_is_not_synced_but_marked_for_staff(billing, sf, calls, provider):
    created = order_of(billing, FIVE_LINES[:1])
    sf_id = sync_order(provider, created.order_id, Vendors.from_settings())["salesforce_order_id"]
    billing.delete_order(created.order_id)
    calls.reset()
    sync_order(provider, created.order_id, Vendors.from_settings())
    assert calls.total == 0
    assert OrderLink.objects.get(billing_order_id=created.order_id).deleted_in_billing_at is not None
    assert sf.get("Order", sf_id)["Id"] == sf_id


def test_lost_line_links_are_recovered_from_salesforce(billing, sf, provider):
    created = order_of(billing, FIVE_LINES[:3])
    sf_id = sync_order(provider, created.order_id, Vendors.from_settings())["salesforce_order_id"]
    LineLink.objects.all().delete()  # the hub forgot which items it wrote
    OrderLink.objects.update(billing_fingerprint="")
    billing.update_order(DraftOrder(**{**billing.get_order(created.order_id).__dict__,
                                       "lines": created.lines[:2]}))
    sync_order(provider, created.order_id, Vendors.from_settings())
    assert {i["Billing_Line_Id__c"] for i in items(sf, sf_id)} == {line.line_id for line in created.lines[:2]}


def test_a_sku_without_a_salesforce_product_fails_for_staff(billing, sf, provider):
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    created = order_of(billing, [("TEAM-ANNUAL", 1, "990")])
    with pytest.raises(PermanentError) as failure:
        sync_order(provider, created.order_id, Vendors.from_settings())
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
    sync_order(provider, warm.order_id, Vendors.from_settings())
    created = [order_of(billing, FIVE_LINES[:2], crm_id=account_id, email=f"u{i}@acme.io") for i in range(6)]
    ids = {o.order_id for o in created}
    wait_until(lambda: jobs_of(ids) == len(ids), message="the webhooks to queue every order")
    calls.reset()
    first = SyncJob.objects.get(subject=created[0].order_id)
    assert engine.run(first.pk) == "succeeded"
    counts = requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]
    assert counts["composite/graph"] == 1 and counts["total"] == 1
    assert set(SyncJob.objects.filter(subject__in=ids).values_list("status", flat=True)) == {"succeeded"}
    for order in created:
        link = OrderLink.objects.get(billing_order_id=order.order_id)
        assert len(items(sf, link.salesforce_order_id)) == 2


def test_a_batch_reads_its_orders_ahead_and_each_job_keeps_its_own_calls(billing, sf, provider, hub_url):
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    created = [order_of(billing, FIVE_LINES[:2], crm_id=account_id, email=f"p{i}@acme.io") for i in range(5)]
    ids = [o.order_id for o in created]
    wait_until(lambda: jobs_of(ids) == 5, message="every job")
    billing.delete_order(ids[2])  # gone before the batch reads it
    settled_webhooks(hub_url)
    assert engine.run(SyncJob.objects.get(subject=ids[0]).pk) == "succeeded"

    by_subject = {job.subject: job for job in SyncJob.objects.filter(subject__in=ids)}
    assert [by_subject[i].status for i in ids] == ["succeeded"] * 5
    assert by_subject[ids[2]].result["skipped"].startswith("deleted in billing")
    assert [synced_lines(sf, i) for i in ids] == [2, 2, None, 2, 2]
    for order_id, job in by_subject.items():  # each read on the job it was made for, once
        reads = job.calls.filter(operation="get_order").values_list("url", "ok")
        assert [(order_id in url, ok) for url, ok in reads] == [(True, order_id != ids[2])]


def test_batch_after_batch_reads_ahead_on_the_database_connections_already_open(billing, sf, monkeypatch, hub_url):
    # As deployed, connections are kept a minute (the suite closes them at once).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(threading.current_thread().name)

    connection_created.connect(count)
    try:
        account_id = sf.create("Account", {"Name": "Acme Inc"})
        for batch in range(2):
            ids = [order_of(billing, FIVE_LINES[:1], crm_id=account_id, email=f"b{batch}{i}@acme.io").order_id
                   for i in range(prefetch.THREADS // 2 + 1)]
            wait_until(lambda ids=ids: jobs_of(ids) == len(ids), message="jobs")
            settled_webhooks(hub_url)
            assert engine.run(SyncJob.objects.get(subject=ids[0]).pk) == "succeeded"
            assert [synced_lines(sf, i) for i in ids] == [1] * len(ids)
    finally:
        connection_created.disconnect(count)
    # Besides the test's own thread and the emulators' (their live server opens one per request,
    # their webhook sender one per delivery round), the batches' reads made ahead opened at most
    # one per thread, however many batches ran (a thread per batch would open one per order).
    # With the cache on Redis they open none; on the database (the SQLite suite) this is the test.
    emulators = ("MainThread", "sandbox-webhook-sender")
    reads = [name for name in opened if name not in emulators and not name.endswith("(process_request_thread)")]
    assert len(reads) <= prefetch.THREADS, reads


def test_one_bad_order_in_a_batch_fails_alone(billing, sf, provider):
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    good = order_of(billing, [("PRO-MONTHLY", 1, "49")])
    bad = order_of(billing, [("TEAM-ANNUAL", 1, "990")], email="bad@acme.io")
    wait_until(lambda: jobs_of([good.order_id, bad.order_id]) == 2, message="both jobs")
    engine.run(SyncJob.objects.get(subject=good.order_id).pk)
    assert SyncJob.objects.get(subject=good.order_id).status == "succeeded"
    failed = SyncJob.objects.get(subject=bad.order_id)
    assert (failed.status, failed.last_error_code) == ("failed", "unmapped_sku")


def test_orders_whose_graphs_salesforce_halted_are_queued_again_not_failed(billing, sf, provider, hub_url):
    """After 14 failed graphs Salesforce halts the rest of the request: those orders did not fail,
    so they go back to the queue as they were (no attempt spent) and sync on the next run."""
    account_id = sf.create("Account", {"Name": "Acme Inc"})
    sync_order(provider, order_of(billing, FIVE_LINES[:1], crm_id=account_id).order_id,
               Vendors.from_settings())  # the price book
    missing_account = "001000000000000AAA"
    bad = [order_of(billing, FIVE_LINES[:1], crm_id=missing_account, email=f"b{i}@acme.io") for i in range(14)]
    good = [order_of(billing, FIVE_LINES[:1], crm_id=account_id, email=f"g{i}@acme.io") for i in range(2)]
    ids = [o.order_id for o in bad + good]
    wait_until(lambda: jobs_of(ids) == len(ids), message="every job")
    settled_webhooks(hub_url)
    first_due = timezone.now() - dt.timedelta(minutes=1)
    for i, order_id in enumerate(ids):  # one batch, its graphs in this order
        SyncJob.objects.filter(subject=order_id).update(next_attempt_at=first_due + dt.timedelta(seconds=i))
    engine.run(SyncJob.objects.get(subject=ids[0]).pk)

    by_subject = {job.subject: job for job in SyncJob.objects.filter(subject__in=ids)}
    assert {(by_subject[i].status, by_subject[i].last_error_code) for i in ids[:14]} == \
        {("failed", "INVALID_CROSS_REFERENCE_KEY")}
    assert [(by_subject[i].status, by_subject[i].attempts, by_subject[i].last_error_code) for i in ids[14:]] == \
        [("pending", 0, "")] * 2
    run_queued()
    assert [synced_lines(sf, i) for i in ids[14:]] == [1, 1]


def test_a_multi_currency_org_gets_the_order_in_its_currency(sf, hub_settings, hub_url):
    """With multi-currency on, the Order carries the billing order's currency and its items are
    priced from the price book entries in that currency (Salesforce refuses any other)."""
    requests.post(f"{hub_url}/sandbox/salesforce/_control", json={"multi_currency": True}, timeout=10)
    hub_settings["salesforce_multi_currency"] = True
    pricebook_id, entries = pricebook_entries(sf, {"PRO-MONTHLY"}, "EUR")
    order = DraftOrder(currency="EUR", order_date=dt.date(2026, 11, 22), order_id="EU-1", lines=(
        OrderLine(sku="PRO-MONTHLY", quantity=Decimal(2), list_price=Decimal(45), net_price=Decimal(45),
                  line_id="EU-1-1"),))
    side = SalesforceSide(account_id=sf.create("Account", {"Name": "Acme GmbH"}), pricebook_id=pricebook_id,
                          entries=entries, currency="EUR")
    order_id, _ = written_ids(order, sf.graph([order_graph("eu", order, side, sf.data_path)])[0])
    assert sf.get("Order", order_id, ["CurrencyIsoCode"])["CurrencyIsoCode"] == "EUR"
    priced = sf.query(soql("SELECT PricebookEntry.CurrencyIsoCode FROM OrderItem WHERE OrderId = {}", order_id))
    assert [p["PricebookEntry"]["CurrencyIsoCode"] for p in priced] == ["EUR"]
    assert sf.read_order(order_id).draft.currency == "EUR"


def turn(**switches):
    config = SyncSettings.load()
    for name, on in switches.items():
        setattr(config, name, on)
    config.save()


def queued(order_id) -> SyncJob:
    """The job the emulator's webhook for `order_id` queued through the hub's intake, taken in as
    the dispatcher does."""
    def taken_in():
        engine.take_in()
        return WebhookEvent.objects.filter(order_id=order_id, job__isnull=False).first()

    return wait_until(taken_in, message=f"the webhook of {order_id}").job


def jobs_of(order_ids) -> int:
    """How many of the orders have their job, once the events delivered so far are taken in (as
    the dispatcher does)."""
    engine.take_in()
    return SyncJob.objects.filter(subject__in=order_ids).count()


def settled_webhooks(hub_url):
    """Wait until the billing emulator has delivered every webhook it queued."""
    wait_until(lambda: requests.get(f"{hub_url}/sandbox/webhooks/_control", timeout=10).json()
               ["counts"]["pending"] == 0, message="every webhook delivered")


def run_queued():
    """Do what the dispatcher and the workers do with every job that is due."""
    engine.take_in()
    for job_id in SyncJob.objects.filter(status="pending").values_list("pk", flat=True):
        engine.run(job_id)


def synced_lines(sf, order_id) -> int | None:
    link = OrderLink.objects.filter(billing_order_id=order_id).exclude(salesforce_order_id="").first()
    return len(items(sf, link.salesforce_order_id)) if link else None


def test_resync_order_syncs_with_auto_sync_off(billing, sf, provider):
    turn(auto_sync=False)
    created = order_of(billing, FIVE_LINES[:2])
    job = queued(created.order_id)
    run_queued()
    job.refresh_from_db()
    assert job.result[TURNED_OFF] == "auto_sync" and synced_lines(sf, created.order_id) is None
    out = StringIO()
    call_command("resync_order", created.order_id, stdout=out)  # an explicit request
    assert '"status": "succeeded"' in out.getvalue() and "skipped" not in out.getvalue()
    assert synced_lines(sf, created.order_id) == 2


def test_resync_order_refuses_with_sync_draft_orders_off(billing, sf, calls, provider):
    turn(sync_draft_orders=False)
    created = order_of(billing, FIVE_LINES[:2])
    calls.reset()
    with pytest.raises(CommandError, match="sync draft orders is turned off"):  # exit status 1
        call_command("resync_order", created.order_id, stdout=StringIO())
    assert calls.total == 0 and synced_lines(sf, created.order_id) is None


def test_a_batch_starts_no_new_order_past_its_time_budget(billing, sf, settings, provider):
    created = [order_of(billing, FIVE_LINES[:1], email=f"t{i}@acme.io") for i in range(3)]
    first, *rest = [queued(order.order_id) for order in created]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 0}  # every order but the first is past it
    assert engine.run(first.pk) == "succeeded"
    assert synced_lines(sf, created[0].order_id) == 1
    assert set(SyncJob.objects.filter(pk__in=[j.pk for j in rest]).values_list("status", "attempts")) == \
        {("pending", 0)}
    assert [synced_lines(sf, order.order_id) for order in created[1:]] == [None, None]


def test_replay_webhooks_failed_reruns_only_the_failed_syncs(billing, sf, provider):
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    good = order_of(billing, [("PRO-MONTHLY", 1, "49")])
    bad = order_of(billing, [("TEAM-ANNUAL", 1, "990")], email="bad@acme.io")
    good_job, bad_job = queued(good.order_id), queued(bad.order_id)
    run_queued()
    bad_job.refresh_from_db()
    assert (bad_job.status, bad_job.last_error_code) == ("failed", "unmapped_sku")
    sf.update("PricebookEntry", entry["Id"], {"IsActive": True})  # staff fixed the product
    out = StringIO()
    call_command("replay_webhooks", "--failed", stdout=out)
    assert "Queued 1 order sync" in out.getvalue()
    good_job.refresh_from_db()
    assert good_job.status == "succeeded"  # not queued again
    assert engine.run(bad_job.pk) == "succeeded"
    assert synced_lines(sf, bad.order_id) == 1


def test_replay_webhooks_since_reruns_the_orders_of_later_events(billing, sf, provider, hub_url):
    turn(auto_sync=False)
    earlier = order_of(billing, FIVE_LINES[:1])
    later = order_of(billing, FIVE_LINES[:2], email="bo@acme.io")
    queued(earlier.order_id), queued(later.order_id)
    settled_webhooks(hub_url)
    run_queued()
    now = timezone.now()
    WebhookEvent.objects.filter(order_id=earlier.order_id).update(received_at=now - dt.timedelta(hours=2))
    turn(auto_sync=True)
    out = StringIO()
    call_command("replay_webhooks", "--since", (now - dt.timedelta(hours=1)).isoformat(), stdout=out)
    assert "Queued 1 order sync" in out.getvalue()
    run_queued()
    assert (synced_lines(sf, earlier.order_id), synced_lines(sf, later.order_id)) == (None, 2)


def test_syncs_skipped_while_sync_was_off_are_caught_up_by_replay_webhooks_skipped(billing, sf, provider):
    turn(sync_draft_orders=False)
    missed = order_of(billing, FIVE_LINES[:2])
    job = queued(missed.order_id)
    run_queued()
    job.refresh_from_db()
    assert (job.status, job.result[TURNED_OFF]) == ("succeeded", "sync_draft_orders")
    turn(sync_draft_orders=True)
    seen = order_of(billing, FIVE_LINES[:1], email="bo@acme.io")
    queued(seen.order_id)
    run_queued()
    assert (synced_lines(sf, missed.order_id), synced_lines(sf, seen.order_id)) == (None, 1)
    out = StringIO()
    call_command("replay_webhooks", "--skipped", stdout=out)
    assert "Queued 1 order sync" in out.getvalue()
    run_queued()
    assert synced_lines(sf, missed.order_id) == 2
