"""The call log tells the truth: a composite graph whose parts failed is a failed call, filed under
its first real error (not the PROCESSING_HALTED of the parts rolled back with it), and its page
shows that failure in full at the top."""
import pytest
from django.urls import reverse

from syncapp.jobs import engine
from syncapp.models import ProductMapping, SyncAttempt, SyncJob
from tests.admin.scenario import billing_order, set_entry_active, synced_order

pytestmark = pytest.mark.django_db(transaction=True)
LIST = reverse("admin:syncapp_syncattempt_changelist")


@pytest.fixture
def failed_graph(sandbox):
    """A real sync whose graph Salesforce refused: the product's price book entry was deactivated
    after the hub had mapped it, so the OrderItem node fails and the Order node is rolled back."""
    synced_order(["TEAM-ANNUAL"])  # maps TEAM-ANNUAL to its entry
    set_entry_active("TEAM-ANNUAL", False)
    order = billing_order(["TEAM-ANNUAL"], email="bo@beta.io", company="Beta Ltd")
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", order.order_id)
    assert engine.run(job.pk) == SyncJob.Status.FAILED
    return SyncAttempt.objects.filter(job=job, operation="graph").first()


def test_a_graph_with_a_failed_node_is_a_failed_call_with_its_real_error(failed_graph):
    assert failed_graph.status_code == 200  # Salesforce answers the call itself with 200
    assert (failed_graph.ok, failed_graph.error_code) == (False, "FIELD_INTEGRITY_EXCEPTION")
    assert failed_graph.failure["node"] == "item0"
    assert failed_graph.failure["fields"] == ["PricebookEntryId"]
    assert "inactive" in failed_graph.failure["message"]
    # the record and value to fix, as the hub sent them
    entry = ProductMapping.objects.get(sku="TEAM-ANNUAL").pricebook_entry_id
    assert failed_graph.failure["values"] == {"PricebookEntryId": entry}
    assert failed_graph.failure["request"].startswith("PATCH /services/data/") and "/OrderItem/" in \
        failed_graph.failure["request"]


def test_the_list_finds_it_by_ok_and_by_error_code(failed_graph, staff):
    ops = staff("Ops")
    for params in ({"ok__exact": "0"}, {"error_code": "FIELD_INTEGRITY_EXCEPTION"}):
        found = ops.get(LIST, params).context["cl"].result_list
        assert failed_graph in found
    assert ops.get(LIST, {"error_code": "PROCESSING_HALTED"}).context["cl"].result_count == 0


def test_the_attempt_page_shows_the_failure_in_full_first(failed_graph, staff):
    page = staff("Viewer").get(reverse("admin:syncapp_syncattempt_change", args=[failed_graph.pk])).content.decode()
    failure = page.index('class="console-failure"')
    for text in ("FIELD_INTEGRITY_EXCEPTION", "pricebook entry is inactive", "PricebookEntryId", "item0"):
        assert failure < page.index(text, failure) < page.index("field-response")
