"""Reconcile against the emulators over HTTP: drift injected behind the hub's back is reported
exactly, `--fix` repairs it through the job engine, and the console shows the last report."""
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from syncapp.connectors.salesforce import soql
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import Discount
from syncapp.jobs import engine
from syncapp.models import OrderLink, ReconcileReport, SyncAttempt, SyncJob
from syncapp.schedules import ensure_schedules
from syncapp.sync import reconcile
from syncapp.sync.order_sync import sync_order
from tests.sync.test_order_sync import FIVE_LINES, order_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    # Webhooks dropped: what the tests do in billing stays behind the hub's back.
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False}, timeout=10).raise_for_status()
    return request.param


def run_reconcile(*args) -> tuple[dict, int]:
    """`manage.py reconcile --json …`: the report and the exit status."""
    out = StringIO()
    try:
        call_command("reconcile", "--json", *args, stdout=out, stderr=StringIO())
        status = 0
    except CommandError as err:
        status = err.returncode
    return json.loads(out.getvalue()), status


def kinds(report: dict) -> set[tuple[str, str]]:
    return {(f["kind"], f["billing_order_id"]) for f in report["findings"]}


def run_worker():
    """What a worker cluster does with the queue, in-process."""
    for _ in range(3):
        for job_id in SyncJob.objects.filter(status=SyncJob.Status.PENDING).values_list("pk", flat=True):
            engine.run(job_id)


def edited(billing, order_id):
    """Change a draft's first line in billing, as someone in the billing UI would."""
    current = billing.get_order(order_id)
    first = replace(current.lines[0], quantity=current.lines[0].quantity + 5)
    return billing.update_order(replace(current, lines=(first, *current.lines[1:])))


@pytest.fixture
def drifted(billing, provider):
    """5 synced and untouched, 5 synced then edited in billing, 5 never synced, 1 synced then
    deleted in billing."""
    clean = [order_of(billing, FIVE_LINES[:2], email=f"clean{i}@acme.io") for i in range(5)]
    stale = [order_of(billing, FIVE_LINES[2:4], email=f"stale{i}@acme.io") for i in range(5)]
    gone = order_of(billing, FIVE_LINES[:1], email="gone@acme.io")
    for order in clean + stale + [gone]:
        sync_order(provider, order.order_id, Vendors.from_settings())
    missing = [order_of(billing, FIVE_LINES[:3], email=f"new{i}@acme.io") for i in range(5)]
    for order in stale:
        edited(billing, order.order_id)
    billing.delete_order(gone.order_id)
    return {"clean": clean, "stale": stale, "missing": missing, "gone": gone}


def test_injected_drift_is_reported_exactly_then_fixed_through_the_job_engine(drifted, sf):
    report, status = run_reconcile()
    expected = ({("missing_in_salesforce", o.order_id) for o in drifted["missing"]}
                | {("stale_in_salesforce", o.order_id) for o in drifted["stale"]}
                | {("orphan", drifted["gone"].order_id)})
    assert kinds(report) == expected
    assert (report["missing_in_salesforce"], report["stale_in_salesforce"], report["orphans"]) == (5, 5, 1)
    assert (report["missing_in_billing"], report["stale_in_billing"], report["checked"]) == (0, 0, 15)
    assert status == 1  # drift without --fix
    assert not SyncJob.objects.exists()  # a report changes nothing

    fixed, status = run_reconcile("--fix")
    assert (status, fixed["queued"]) == (0, 10)  # the orphan is reported, never repaired
    run_worker()

    again, status = run_reconcile()
    assert kinds(again) == {("orphan", drifted["gone"].order_id)}
    for order in drifted["missing"]:
        assert len(sf.query(soql("SELECT Id FROM Order WHERE Billing_Order_Id__c = {}", order.order_id))) == 1
    orphan = sf.query(soql("SELECT Id FROM Order WHERE Billing_Order_Id__c = {}", drifted["gone"].order_id))
    assert len(orphan) == 1  # still there: deletion is never synced


def test_a_salesforce_edit_of_a_billing_origin_order_is_stale_in_salesforce(billing, sf, provider):
    order = order_of(billing, FIVE_LINES[:2])
    sf_id = sync_order(provider, order.order_id, Vendors.from_settings())["salesforce_order_id"]
    item = sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {} LIMIT 1", sf_id))[0]
    sf.update("OrderItem", item["Id"], {"Quantity": 40})
    report, _ = run_reconcile()
    assert kinds(report) == {("stale_in_salesforce", order.order_id)}
    assert report["findings"][0]["detail"] == "edited in Salesforce; billing, the origin, wins"
    run_reconcile("--fix")
    run_worker()
    assert run_reconcile()[1] == 0
    assert {i["Quantity"] for i in sf.query(soql("SELECT Quantity FROM OrderItem WHERE OrderId = {}", sf_id))} \
        == {float(line.quantity) for line in order.lines}


def test_own_prices_discounts_and_activation_compare_equal_once_synced(billing, provider):
    order = order_of(billing, [("PRO-MONTHLY", 1, "45"), ("ADDON-SEATS", 3, "8")])  # not the price book's
    # (below it: Nue prices from its price book and takes a discount, never a higher price)
    line = replace(order.lines[0], discount=Discount(percent=Decimal("10")), net_price=Decimal("44.1"))
    billing.update_order(replace(billing.get_order(order.order_id), lines=(line, *order.lines[1:])))
    sync_order(provider, order.order_id, Vendors.from_settings())
    billing.activate_order(order.order_id)
    report, status = run_reconcile()
    assert kinds(report) == {("stale_in_salesforce", order.order_id)}  # activated in billing only
    run_reconcile("--fix")
    run_worker()
    assert run_reconcile()[1] == 0


def test_a_salesforce_origin_draft_that_never_reached_billing_is_missing_in_billing(sf, provider):
    account_id = sf.create("Account", {"Name": "Globex"})
    sf.create("Contact", {"AccountId": account_id, "LastName": "Lee", "Email": "lee@globex.io"})
    pricebook = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"]
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'PRO-MONTHLY'")[0]["Id"]
    sf_id = sf.create("Order", {"AccountId": account_id, "Pricebook2Id": pricebook, "Status": "Draft",
                                "EffectiveDate": "2026-11-22", "Sync_Origin__c": "Salesforce"})
    sf.create("OrderItem", {"OrderId": sf_id, "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 49})
    report, _ = run_reconcile()
    assert [(f["kind"], f["salesforce_order_id"]) for f in report["findings"]] == [("missing_in_billing", sf_id)]
    run_reconcile("--fix")
    assert SyncJob.objects.get().kind == SyncJob.Kind.SALESFORCE_TO_BILLING
    run_worker()
    link = OrderLink.objects.get(salesforce_order_id=sf_id)
    assert link.billing_order_id
    assert run_reconcile()[1] == 0


def test_a_link_to_orders_gone_from_both_sides_is_an_orphan(provider):
    OrderLink.objects.create(billing_provider=provider, billing_order_id="O-GONE-1", origin="billing",
                             salesforce_order_id="801000000000999AAA", status="Draft")
    report, status = run_reconcile()
    assert kinds(report) == {("orphan", "O-GONE-1")}
    assert status == 1


def test_since_limits_the_billing_side(drifted):
    report, _ = run_reconcile("--since", (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat())
    assert report["checked"] == 0
    assert kinds(report) == set()


def test_the_nightly_run_is_scheduled_stores_its_report_and_shows_on_the_dashboard(drifted, admin_client):
    ensure_schedules()
    nightly = Schedule.objects.get(name="hub: nightly reconcile")
    assert (nightly.schedule_type, nightly.func) == (Schedule.DAILY, "syncapp.tasks.nightly_reconcile")
    assert (nightly.next_run.hour, nightly.next_run.minute) == (2, 30)

    summary = reconcile.nightly(Vendors.from_settings())
    report = ReconcileReport.objects.get(pk=summary["report"])
    assert (report.trigger, report.outcome, report.missing, report.stale, report.orphans) == (
        "nightly", "complete", 5, 5, 1)
    page = admin_client.get("/admin/").content.decode()
    assert "Last reconcile" in page and "5 missing · 5 stale · 1 orphans" in page
    assert f"/admin/syncapp/reconcilereport/{report.pk}/change/" in page
    details = admin_client.get(f"/admin/syncapp/reconcilereport/{report.pk}/change/").content.decode()
    assert drifted["missing"][0].order_id in details


def test_past_95_percent_of_the_allocation_the_nightly_run_waits(drifted):
    SyncAttempt.objects.create(vendor="salesforce", operation="query", method="GET", url="u",
                               api_used=96, api_limit=100)
    assert "deferred_until" in reconcile.nightly(Vendors.from_settings())
    assert ReconcileReport.objects.get().outcome == "deferred"
    assert Schedule.objects.filter(name="hub: reconcile, deferred", schedule_type=Schedule.ONCE).exists()
    with pytest.raises(CommandError) as refused:
        call_command("reconcile", stdout=StringIO(), stderr=StringIO())
    assert refused.value.returncode == 3
