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
