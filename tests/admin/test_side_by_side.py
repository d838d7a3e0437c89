"""An order link's page shows the order as billing and Salesforce have it now, field by field and
line by line, in the sync's own terms, with the differences highlighted; "sync now" from there."""
import pytest
from django.urls import reverse

from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.jobs import engine
from syncapp.models import SyncAttempt, SyncJob
from tests.admin.scenario import synced_order

pytestmark = pytest.mark.django_db(transaction=True)


def differing(page: str) -> list[str]:
    section = page[page.index('id="side-by-side"'):]
    section = section[:section.index("</table>")]
    return [row.split("<th>")[1].split("</th>")[0] for row in section.split('<tr class="differs">')[1:]]


def test_the_page_shows_both_sides_and_highlights_what_differs(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"])
    ops = staff("Ops")
    url = reverse("admin:syncapp_orderlink_change", args=[link.pk])
    page = ops.get(url).content.decode()
    assert "Both sides show the same order" in page and differing(page) == []

    sf = SalesforceConnector.from_settings()
    item = sf.query(soql("SELECT Id FROM OrderItem WHERE OrderId = {} ORDER BY CreatedDate",
                         link.salesforce_order_id))[1]
    sf.update("OrderItem", item["Id"], {"Quantity": 5, "UnitPrice": 10})  # edited in Salesforce, not by the hub
    link.save()  # (a new state of the link: its page reads both sides again)
    calls = SyncAttempt.objects.count()
    page = ops.get(url).content.decode()
    assert differing(page) == ["quantity"] and "1 difference" in page
    assert SyncAttempt.objects.count() > calls  # each read recorded like any call
    calls = SyncAttempt.objects.count()
    ops.get(url)
    assert SyncAttempt.objects.count() == calls  # read again within seconds: from the short cache

    response = ops.post(reverse("admin:syncapp_orderlink_sync_now", args=[link.pk, "billing"]), follow=True)
    assert "Queued a sync" in response.content.decode()
    job = SyncJob.objects.get(kind="billing_to_salesforce", subject=link.billing_order_id)
    assert job.status == "pending"
    assert engine.run(job.pk) == SyncJob.Status.SUCCEEDED  # written in full, not skipped as unchanged
    assert sf.get("OrderItem", item["Id"], ["Quantity"])["Quantity"] == 1
    assert differing(ops.get(url).content.decode()) == []


def test_only_those_who_may_retry_sync_from_there(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])
    viewer = staff("Viewer")
    assert b"Sync now from billing" not in viewer.get(reverse("admin:syncapp_orderlink_change", args=[link.pk])).content
    assert viewer.post(reverse("admin:syncapp_orderlink_sync_now", args=[link.pk, "billing"])).status_code == 403


def test_a_billing_order_is_never_synced_from_salesforce_even_by_a_hand_made_post(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])  # origin billing: billing's data wins
    response = staff("Ops").post(reverse("admin:syncapp_orderlink_sync_now", args=[link.pk, "salesforce"]))
    assert response.status_code == 403
    assert not SyncJob.objects.filter(kind="salesforce_to_billing").exists()
