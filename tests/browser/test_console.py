"""What ops staff do in the console, in a real browser: see the dashboard, find a customer's orders,
read the failing call in full, fix a failed sync from what its page says and retry it, get a wrong
Salesforce id refused, delete an activated order on both sides."""
import random
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.exceptions import NotFoundError
from syncapp.jobs import engine
from syncapp.models import ApiClient, AuditEntry, OrderLink, ProductMapping, SyncAttempt, SyncJob, WebhookEvent
from tests.admin.scenario import billing_order, failed_sync, set_entry_active, synced_order
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_week_of_syncs(seed=7):
    """Finished jobs spread over the last 7 days, a few failing, so the chart shows a working week."""
    rng, now, rows = random.Random(seed), timezone.now(), []
    errors = {"failed": [("unmapped_sku", "No active Salesforce product for SKU ADDON-SEATS"),
                         ("FIELD_INTEGRITY_EXCEPTION", "field integrity exception: PricebookEntryId (pricebook entry "
                                                       "is in a different pricebook than the one assigned to the Order)")],
              "dead": [("SERVER_UNAVAILABLE", "Server temporarily unavailable; try again later")]}
    for n in range(900):
        status = rng.choices(["succeeded", "failed", "dead"], [0.92, 0.06, 0.02])[0]
        code, message = rng.choice(errors[status]) if status in errors else ("", "")
        rows.append(SyncJob(kind="billing_to_salesforce", provider="zuora", subject=f"O-{10000 + n:08d}", status=status,
                            attempts=8 if status == "dead" else 1, last_error_code=code,
                            last_error=f"salesforce {code}: {message}" if code else "",
                            finished_at=now - timedelta(hours=rng.random() * 7 * 24)))
    SyncJob.objects.bulk_create(rows)
    WebhookEvent.objects.create(provider="zuora", verified=False, status="rejected", error="bad signature")
    OrderLink.objects.bulk_create([
        OrderLink(billing_provider="zuora", billing_order_id=f"O-CART-{n}", origin="billing", status="Draft",
                  abandonment_task_id=f"00THb00000000{n:02d}AAA") for n in range(3)])


def test_log_in_and_see_the_dashboard_chart(page, hub_url, console_user):
    a_week_of_syncs()
    synced_order(["PRO-MONTHLY"])  # real Salesforce calls: their usage header feeds the API card
    log_in(page, hub_url, console_user("Viewer"))
    assert page.locator("#syncs-chart-hour a.bar").count() == 24
    assert page.locator("#syncs-chart-day a.bar").count() == 14
    failing = page.locator("#failing-now").inner_text()
    assert "unmapped_sku" in failing and "SERVER_UNAVAILABLE" in failing
    used = SyncAttempt.objects.filter(api_limit__isnull=False).latest("created_at")
    assert f"{used.api_used} of {used.api_limit} calls" in page.locator("#api-usage").inner_text()
    screenshot(page, "dashboard", docs=True)

    counts = [int(n) for n in page.locator("#syncs-chart-day a.bar .value").all_text_contents()]  # no hovering
    busiest = counts.index(max(counts))
    count = counts[busiest]
    with page.expect_navigation():  # the list page, before counting its rows
        page.locator("#syncs-chart-day a.bar").nth(busiest).click()
    assert page.locator("#result_list tbody tr").count() == min(count, 100)  # that day's jobs, one page
    assert "finished_at__gte" in page.url


def test_the_dashboard_reads_well_on_day_one(page, hub_url, console_user):
    log_in(page, hub_url, console_user("Viewer"))
    for chart in ("#syncs-chart-hour", "#syncs-chart-day"):
        box = page.locator(chart).bounding_box()
        for label in page.locator(f"{chart} text.axis").all():
            inside = label.bounding_box()
            assert box["x"] <= inside["x"] and inside["x"] + inside["width"] <= box["x"] + box["width"]  # not clipped
        zeros = page.locator(f"{chart} .value.zero")
        assert zeros.count() == page.locator(f"{chart} a.bar").count()
        assert zeros.first.evaluate("el => getComputedStyle(el).fill") == "rgb(176, 176, 176)"  # neutral grey
    with page.expect_navigation():
        page.locator("a.console-card", has_text="Failing now").click()
    assert "/admin/syncapp/failedsync/" in page.url
    screenshot(page, "dashboard-day-one")


def test_retry_a_failed_sync_and_see_it_succeed(page, hub_url, console_user):
    a_week_of_syncs()
    job = failed_sync(["TEAM-ANNUAL"])
    log_in(page, hub_url, console_user("Support"))
    page.goto(f"{hub_url}/admin/syncapp/failedsync/?age=24h")
    page.evaluate("window.scrollTo(0, 0)")
    assert page.locator("#result_list").get_by_text(job.subject).is_visible()
    screenshot(page, "failed-syncs", docs=True)

    page.get_by_role("link", name=job.subject).click()
    attempts = page.locator(".console-attempts").inner_text()
    assert "unmapped_sku" in page.locator(".field-error").inner_text()
    assert "PricebookEntry" in attempts and "query" in attempts  # the calls, with their excerpts
    advice = page.locator("#what-to-do")
    assert advice.is_visible() and advice.bounding_box()["y"] < page.locator(".field-error").bounding_box()["y"]
    assert "activate the PricebookEntry of the Product2 whose Product Code is TEAM-ANNUAL" in advice.inner_text()
    assert "Next attempt at" not in page.content()
    screenshot(page, "failed-sync", docs=True)
    screenshot(page, "failed-sync-detail", full_page=True)

    set_entry_active("TEAM-ANNUAL", True)  # the fix: the product is sold in Salesforce again
    page.get_by_role("button", name="Retry now").click()
    assert "Queued 1 job(s)" in page.locator(".messagelist").inner_text()
    assert "Pending" in page.locator(".field-status").inner_text()

    assert engine.run(job.pk) == SyncJob.Status.SUCCEEDED  # what a worker does with the queued job
    page.reload()
    assert "Succeeded" in page.locator(".field-status").inner_text()
    screenshot(page, "retried-sync-succeeded")
    link = OrderLink.objects.get(billing_order_id=job.subject)
    assert SalesforceConnector.from_settings().get("Order", link.salesforce_order_id)["Status"] == "Draft"


def test_a_wrong_salesforce_id_in_a_mapping_is_refused(page, hub_url, console_user):
    synced_order(["ADDON-SEATS"])  # caches the product mapping, as syncs do
    mapping = ProductMapping.objects.get(sku="ADDON-SEATS")
    right_entry = mapping.pricebook_entry_id
    wrong_entry = set_entry_active("PRO-MONTHLY", True)  # the mapping points at another product's price
    ProductMapping.objects.filter(pk=mapping.pk).update(pricebook_entry_id=wrong_entry)
    log_in(page, hub_url, console_user("Ops"))
    page.goto(f"{hub_url}/admin/syncapp/productmapping/{mapping.pk}/change/")

    def save_entry(value: str) -> str:
        page.fill("#id_pricebook_entry_id", value)
        with page.expect_navigation():  # the answer page, before looking for its errors
            page.click("input[name=_save]")
        errors = page.locator(".field-pricebook_entry_id .errorlist")
        return errors.inner_text() if errors.count() else ""

    assert "is not a PricebookEntry id" in save_entry(mapping.product2_id)  # a Product2 id
    screenshot(page, "mapping-refused")
    assert "Salesforce has no PricebookEntry" in save_entry(right_entry[:9] + "zzzzzz")  # no such record
    mapping.refresh_from_db()
    assert mapping.pricebook_entry_id == wrong_entry  # nothing saved

    assert save_entry(right_entry) == ""
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    page.goto(f"{hub_url}/admin/syncapp/productmapping/{mapping.pk}/change/")
    history = page.locator(".console-history").inner_text()
    assert "ops-user" in history and wrong_entry in history and right_entry in history
    page.locator(".console-history").scroll_into_view_if_needed()
    screenshot(page, "mapping-history")


def test_delete_an_activated_order_after_checking_it_and_typing_its_number(page, hub_url, console_user):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"], activate=True, email="hal@theta.io", company="Theta Labs")
    log_in(page, hub_url, console_user("Ops"))
    page.goto(f"{hub_url}/admin/syncapp/orderlink/")
    page.locator(f"#result_list tr:has-text('{link.billing_order_id}') input.action-select").check()
    page.select_option("select[name=action]", "delete_on_both_sides")
    page.click("button[name=index]")

    assert "paid for" in page.locator("#activated-warning").inner_text()
    plan = page.locator("#deletion-plan").inner_text()
    for shown in (link.billing_order_id, link.salesforce_order_id, "hal@theta.io", "Theta Labs",
                  link.account_link.salesforce_account_id, "59.00 USD", "Activated", "set back to Draft, then deleted"):
        assert shown in plan, shown
    assert page.locator("#deletion-plan small.lines").all_inner_texts() == ["2 lines", "2 lines"]
    page.fill("#id_reason", "Ordered twice; the customer was refunded")
    screenshot(page, "delete-activated-order", docs=True)
    page.fill("#id_order_number", "O-WRONG")
    page.click("input[type=submit][value='Yes, delete this activated order']")
    assert f"Type {link.billing_order_id} exactly" in page.locator(".errorlist").inner_text()  # nothing deleted

    page.fill("#id_reason", "Ordered twice; the customer was refunded")
    page.fill("#id_order_number", link.billing_order_id)
    page.click("input[type=submit][value='Yes, delete this activated order']")
    assert "deleted on both sides" in page.locator(".messagelist").inner_text()
    with pytest.raises(NotFoundError):
        billing_connector(provider="zuora").get_order(link.billing_order_id)
    with pytest.raises(NotFoundError):
        SalesforceConnector.from_settings().get("Order", link.salesforce_order_id)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETED_ON_BOTH_SIDES)
    assert (entry.username, entry.outcome, entry.details["lines"]) == ("ops-user", "ok", 2)
    assert entry.details["reason"] == "Ordered twice; the customer was refunded"


def test_a_checkout_billing_would_refuse_touches_nothing_and_shows_its_answer(page, hub_url, console_user):
    _, token = ApiClient.issue("storefront", ["checkout"])
    sf = SalesforceConnector.from_settings()
    accounts_before = len(sf.query("SELECT Id FROM Account"))
    answer = requests.post(f"{hub_url}/api/v1/checkout", timeout=30, json={
        "customer": {"email": "eve@euro.example", "first_name": "Eve", "last_name": "Euro", "company": "Euro GmbH"},
        "currency": "EUR", "items": [{"sku": "PRO-MONTHLY", "quantity": 1}]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "euro-1"})
    assert answer.status_code == 400 and "currency" in answer.json()["error"]["details"]
    assert len(sf.query("SELECT Id FROM Account")) == accounts_before  # no orphan in Salesforce

    log_in(page, hub_url, console_user("Support"))
    page.goto(f"{hub_url}/admin/syncapp/checkoutsession/?q=eve@euro.example")
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1 and "400" in row.inner_text()
    with page.expect_navigation():
        row.locator("th a").click()
    assert "Not sold in EUR" in page.locator("#content").inner_text()  # the body it answered


def test_find_a_customer_and_read_the_failing_call_in_full(page, hub_url, console_user):
    synced_order(["TEAM-ANNUAL"], email="ivy@iota.io", company="Iota Inc")  # maps TEAM-ANNUAL
    set_entry_active("TEAM-ANNUAL", False)
    order = billing_order(["TEAM-ANNUAL"], email="ivy@iota.io", company="Iota Inc")
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", order.order_id)
    assert engine.run(job.pk) == SyncJob.Status.FAILED
    log_in(page, hub_url, console_user("Support"))

    page.goto(f"{hub_url}/admin/syncapp/failedsync/")
    page.fill("#searchbar", "ivy@iota.io")
    page.press("#searchbar", "Enter")
    page.get_by_role("link", name=order.order_id).click()
    customer = page.locator(".field-customer").inner_text()
    assert "ivy@iota.io" in customer and "Iota Inc" in customer
    account = OrderLink.objects.get(billing_order_id=order.order_id).account_link
    with page.expect_popup() as opened:  # the other system's page of the Account
        page.locator(".field-account a", has_text=account.salesforce_account_id).click()
    assert "Iota Inc" in opened.value.locator("#fields").inner_text()
    opened.value.close()

    page.goto(f"{hub_url}/admin/syncapp/syncattempt/?ok__exact=0")
    page.locator("#result_list tr:has-text('graph') th a").first.click()
    failure = page.locator(".console-failure")
    text = failure.inner_text()
    for shown in ("FIELD_INTEGRITY_EXCEPTION", "inactive", "PricebookEntryId", "item0"):
        assert shown in text, shown
    assert failure.bounding_box()["y"] < page.locator(".field-response").bounding_box()["y"]
    screenshot(page, "failed-call")


@pytest.mark.parametrize("listing, key_columns", [
    ("failedsync", ["order", "status", "error", "failed"]),
    ("orderlink", ["billing order", "salesforce order", "customer", "status"]),
    ("productmapping", ["sku", "currency", "pricebook entry id", "price book entry in salesforce"]),
    ("syncattempt", ["created at", "operation", "ok", "error code", "duration"]),
])
def test_lists_show_their_key_columns_at_1280_without_scrolling_sideways(page, hub_url, console_user, listing,
                                                                      key_columns):
    synced_order(["PRO-MONTHLY", "TEAM-ANNUAL"], email="a.very.long.customer.address@subsidiary.example.com",
                 company="A Company With A Rather Long Registered Name GmbH")
    failed_sync(["ADDON-SEATS"])
    log_in(page, hub_url, console_user("Ops"))
    page.goto(f"{hub_url}/admin/syncapp/{listing}/")
    assert page.viewport_size == {"width": 1280, "height": 800}
    screenshot(page, f"list-{listing}-1280")
    results = page.locator("#changelist .results")
    overflow = results.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0, f"{listing}: the list scrolls sideways by {overflow}px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    headers = [h.strip().lower() for h in page.locator("#result_list thead th").all_inner_texts()]
    for column in key_columns:
        assert column in headers, (column, headers)


def test_see_both_sides_of_an_order_and_sync_it_from_billing(page, hub_url, console_user):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"])
    sf = SalesforceConnector.from_settings()
    order = sf.get("Order", link.salesforce_order_id, ["Id"])
    sf.update("Order", order["Id"], {"Payment_Term__c": "Net 60"})  # changed in Salesforce, not by the hub
    log_in(page, hub_url, console_user("Ops"))
    page.goto(f"{hub_url}/admin/syncapp/orderlink/{link.pk}/change/")
    sides = page.locator("#side-by-side")
    assert "1 difference" in sides.inner_text()
    differs = sides.locator("tr.differs")
    assert differs.count() == 1 and "Net 30" in differs.inner_text() and "Net 60" in differs.inner_text()
    assert differs.locator("td").first.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    screenshot(page, "order-both-sides")

    page.get_by_role("button", name="Sync now from billing").click()
    assert "Queued a sync" in page.locator(".messagelist").inner_text()
    job = SyncJob.objects.get(kind="billing_to_salesforce", subject=link.billing_order_id)
    assert engine.run(job.pk) == SyncJob.Status.SUCCEEDED  # what a worker does with it
    page.reload()
    assert "Both sides show the same order" in page.locator("#side-by-side").inner_text()
