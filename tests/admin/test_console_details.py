"""Small things that decide whether the console reads well: durations rounded, the audit log's
filter offering only the kinds of record staff acted on, "View site" leading somewhere useful."""
import pytest
from django.urls import reverse

from syncapp.models import SyncAttempt

pytestmark = pytest.mark.django_db


def test_durations_are_shown_in_ms_with_one_decimal(world, staff):
    SyncAttempt.objects.update(duration_ms=123.456789)
    page = staff("Viewer").get(reverse("admin:syncapp_syncattempt_changelist")).content.decode()
    assert "123.5 ms" in page and "123.456" not in page


def test_the_audit_logs_filter_lists_only_what_staff_acted_on(world, staff):
    response = staff("Viewer").get(reverse("admin:syncapp_auditentry_changelist"))
    [content_types] = [f for f in response.context["cl"].filter_specs if f.title == "content type"]
    offered = [str(choice["display"]) for choice in content_types.choices(response.context["cl"])]
    assert offered == ["All", "Order sync | order link", "-"]  # the world's one audited kind; "-": none


def test_view_site_leads_to_the_sandbox_storefront(world, staff):
    page = staff("Viewer").get(reverse("admin:index")).content.decode()
    assert 'href="/sandbox/store/">View site' in page.replace("\n", "").replace("  ", "")


def test_not_found_is_one_error_code_whichever_vendor_said_it(sandbox, staff):
    from syncapp.connectors.billing import billing_connector
    from syncapp.connectors.salesforce import SalesforceConnector
    from syncapp.exceptions import NotFoundError

    with pytest.raises(NotFoundError):  # Zuora answers 200 with success false; the hub said "not_found"
        billing_connector(provider="zuora", recorder=SyncAttempt.recorder()).get_order("O-NOBODY")
    with pytest.raises(NotFoundError):  # Salesforce's own NOT_FOUND
        SalesforceConnector.from_settings(recorder=SyncAttempt.recorder()).get("Order", "801Hb000000NOBODY")
    assert set(SyncAttempt.objects.exclude(error_code="").values_list("error_code", flat=True)) == {"NOT_FOUND"}
    page = staff("Viewer").get(reverse("admin:syncapp_syncattempt_changelist")).content.decode()
    assert "not_found" not in page
