"""The switches: one `SyncSettings` row, edited in place, never added twice nor deleted; each change
is in its history."""
import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from syncapp.models import AuditEntry, SyncSettings

pytestmark = pytest.mark.django_db


def test_the_list_is_the_one_row(staff, roles):
    response = staff("Ops").get(reverse("admin:syncapp_syncsettings_changelist"))
    assert response.url == reverse("admin:syncapp_syncsettings_change", args=[SyncSettings.load().pk])


def test_no_second_row_and_no_delete(staff, roles):
    ops = staff("Ops")
    settings_row = SyncSettings.load()
    assert ops.get(reverse("admin:syncapp_syncsettings_add")).status_code == 403
    assert ops.get(reverse("admin:syncapp_syncsettings_delete", args=[settings_row.pk])).status_code == 403


def test_turning_auto_sync_off_is_saved_and_recorded(staff, roles):
    ops = staff("Ops")
    row = SyncSettings.load()
    form = {**model_to_dict(row), "auto_sync": ""}
    form = {k: v for k, v in form.items() if v not in ("", False)}
    assert ops.post(reverse("admin:syncapp_syncsettings_change", args=[row.pk]), form).status_code == 302
    assert SyncSettings.load().auto_sync is False
    entry = AuditEntry.for_object(row).get()
    assert (entry.username, entry.changes["auto_sync"]) == (ops.user.username, [True, False])
