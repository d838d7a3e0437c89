"""The failed-sync page says what to change and where: the SKU, the record and the field, links to the
mapping and the Salesforce records to fix, one sentence of advice; "next attempt" only while one is
scheduled; "mark resolved" asks for a note kept in the audit log; the product mappings list flags a
price book entry gone inactive in Salesforce."""
import pytest
from django.urls import reverse

from syncapp.jobs import engine
from syncapp.models import AuditEntry, ProductMapping, SyncJob
from tests.admin.scenario import billing_order, failed_sync, set_entry_active, synced_order
from tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db(transaction=True)


def job_page(client, job) -> str:
    return client.get(reverse("admin:syncapp_failedsync_change", args=[job.pk])).content.decode()


def test_an_inactive_price_book_entry_is_named_with_its_sku_record_field_and_fix(sandbox, staff, hub_url):
    synced_order(["TEAM-ANNUAL"])  # the hub maps TEAM-ANNUAL to its entry
    entry = set_entry_active("TEAM-ANNUAL", False)
    order = billing_order(["TEAM-ANNUAL"])
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", order.order_id)
    assert engine.run(job.pk) == SyncJob.Status.FAILED
    page = job_page(staff("Support"), job)
    advice = page[page.index('id="what-to-do"'):]
    advice = advice[:advice.index("</div>")]
    mapping = ProductMapping.objects.get(sku="TEAM-ANNUAL")
    for shown in ("TEAM-ANNUAL", entry, "OrderItem.PricebookEntryId", "activate that PricebookEntry in Salesforce",
                  reverse("admin:syncapp_productmapping_change", args=[mapping.pk]),
                  f"{hub_url}/sandbox/salesforce/lightning/r/PricebookEntry/{entry}/view"):
        assert shown in advice, shown
    assert page.index('id="what-to-do"') < page.index("Last error")


def test_an_unmapped_sku_says_what_to_activate_in_salesforce(sandbox, staff):
    job = failed_sync(("TEAM-ANNUAL",))
    page = job_page(staff("Viewer"), job)
    assert "activate the PricebookEntry of the Product2 whose Product Code is TEAM-ANNUAL" in page
    assert "Next attempt at" not in page  # nothing is scheduled for a failed job
    assert "Changed while running" not in page and "Rerun" not in page


def test_the_product_mapping_list_flags_an_inactive_entry(sandbox, staff):
    synced_order(["TEAM-ANNUAL", "PRO-MONTHLY"])
    set_entry_active("TEAM-ANNUAL", False)
    page = staff("Viewer").get(reverse("admin:syncapp_productmapping_changelist")).content.decode()
    assert "inactive: syncs of TEAM-ANNUAL fail" in page
    assert "inactive: syncs of PRO-MONTHLY" not in page


def test_next_attempt_shows_only_while_one_is_scheduled(db, staff):
    ops = staff("Ops")
    pending = SyncJobFactory(status="pending", subject="O-LATER")
    assert "Next attempt at" in ops.get(reverse("admin:syncapp_syncjob_change", args=[pending.pk])).content.decode()
    running = SyncJobFactory(status="running", subject="O-NOW", rerun=True)
    page = ops.get(reverse("admin:syncapp_syncjob_change", args=[running.pk])).content.decode()
    assert "Next attempt at" not in page and "the order changed while this job was running" in page


def test_mark_resolved_asks_for_a_note_and_keeps_it(db, staff, roles):
    job = SyncJobFactory(status="failed", subject="O-NOTE", last_error_code="unmapped_sku")
    ops = staff("Ops")
    asked = ops.post(reverse("admin:syncapp_failedsync_resolve", args=[job.pk]))
    assert asked.status_code == 200 and 'name="note"' in asked.content.decode()
    job.refresh_from_db()
    assert job.status == "failed"  # not without a note
    ops.post(reverse("admin:syncapp_failedsync_changelist"),
             {"action": "mark_resolved", "_selected_action": [job.pk], "post": "yes", "note": "  "})
    job.refresh_from_db()
    assert job.status == "failed"
    ops.post(reverse("admin:syncapp_failedsync_changelist"), {"action": "mark_resolved", "_selected_action": [job.pk],
                                                              "post": "yes", "note": "Order deleted by hand"})
    job.refresh_from_db()
    assert job.status == "resolved"
    assert AuditEntry.objects.get(action="resolved").details["note"] == "Order deleted by hand"
