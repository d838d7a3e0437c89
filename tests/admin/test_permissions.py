"""Each role against each action and page of the console: Ops (everything), Support (view, retry,
replay), Viewer (read-only). Enforced on the server: an action a role may not run is neither offered
nor run when posted anyway; a page it may not use answers 403."""
import pytest
from django.contrib import admin
from django.urls import reverse

from syncapp.admin.roles import CONSOLE_APPS
from syncapp.models import AuditEntry, FieldMapping, OrderLink, SyncJob, SyncSettings, WebhookEvent
from tests.admin.test_smoke import ACTIONS, offered_actions, url

ROLES = ("Ops", "Support", "Viewer")
# Who may run each action the console offers. A new action fails the test below until listed here.
ACTION_ROLES = {
    "retry_now": {"Ops", "Support"},
    "mark_resolved": {"Ops"},
    "replay_events": {"Ops", "Support"},
    "delete_on_both_sides": {"Ops"},
    "delete_selected": {"Ops"},
    "resubmit": {"Ops"},
}
CONSOLE_ACTIONS = [p for p in ACTIONS if p.values[0]._meta.app_label in CONSOLE_APPS]
REFUSED = [pytest.param(role, *p.values, id=f"{role}-{p.id}") for role in ROLES for p in CONSOLE_ACTIONS
           if role not in ACTION_ROLES.get(p.values[1], ())]
CONSOLE_MODELS = [pytest.param(m, id=m._meta.label) for m in admin.site._registry if m._meta.app_label in CONSOLE_APPS]
MAPPINGS = ("accountlink", "orderlink", "linelink", "productmapping", "fieldmapping")


def offered(client, model) -> set[str]:
    form = client.get(url(model, "changelist")).context["action_form"]  # None when no action is offered
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_every_console_action_has_its_roles_declared():
    assert {p.values[1] for p in CONSOLE_ACTIONS} <= set(ACTION_ROLES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, action", CONSOLE_ACTIONS)
def test_an_action_is_offered_only_to_its_roles(role, model, action, world, staff):
    client = staff(role)
    assert (action in offered(client, model)) == (role in ACTION_ROLES[action])


@pytest.mark.parametrize("role, model, action", REFUSED)
def test_an_action_posted_anyway_is_refused(role, model, action, world, staff):
    client = staff(role)
    obj = admin.site._registry[model].get_queryset(_request(client)).first()
    before = _state()
    response = client.post(url(model, "changelist"), {"action": action, "_selected_action": [obj.pk], "post": "yes"})
    assert response.status_code in (200, 302, 403)  # the list again, back to it, or forbidden
    assert _state() == before, "nothing changed"


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = client.user
    return request


def _state():
    return (list(SyncJob.objects.order_by("pk").values_list("status", "attempts")), OrderLink.objects.count(),
            FieldMapping.objects.count(), WebhookEvent.objects.filter(job__isnull=False).count(),
            AuditEntry.objects.exclude(action=AuditEntry.Action.CHANGED).count())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", CONSOLE_MODELS)
def test_every_role_sees_every_console_list_and_page(role, model, world, staff):
    client = staff(role)
    assert client.get(url(model, "changelist"), follow=True).status_code == 200
    obj = admin.site._registry[model].get_queryset(_request(client)).first()
    assert client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("role, allowed", [("Ops", True), ("Support", False), ("Viewer", False)])
@pytest.mark.parametrize("name", MAPPINGS)
def test_only_ops_adds_changes_and_deletes_mappings(role, allowed, name, world, staff):
    client = staff(role)
    model = next(m for m in admin.site._registry if m._meta.model_name == name)
    obj = model.objects.first()
    add = client.get(url(model, "add"))
    delete = client.get(url(model, "delete", obj.pk))
    change = client.post(url(model, "change", obj.pk), {})  # refused before the form is read
    assert (add.status_code, delete.status_code) == ((200, 200) if allowed else (403, 403))
    if not allowed:
        assert change.status_code == 403
    page = client.get(url(model, "change", obj.pk)).content
    assert (b'name="_save"' in page) == allowed


@pytest.mark.parametrize("role, allowed", [("Ops", True), ("Support", False), ("Viewer", False)])
def test_only_ops_changes_the_settings(role, allowed, world, staff):
    client = staff(role)
    settings_url = reverse("admin:syncapp_syncsettings_change", args=[SyncSettings.load().pk])
    response = client.post(settings_url, {"max_attempts": "3", "abandonment_threshold_hours": "24",
                                          "public_email_domains": "gmail.com"})
    assert response.status_code == (302 if allowed else 403)
    assert (SyncSettings.load().max_attempts == 3) == allowed


@pytest.mark.parametrize("role, retry, resolve", [("Ops", True, True), ("Support", True, False),
                                                  ("Viewer", False, False)])
def test_the_buttons_on_a_failed_sync_follow_the_role(role, retry, resolve, world, staff):
    client = staff(role)
    job = world["failed"]
    page = client.get(reverse("admin:syncapp_failedsync_change", args=[job.pk])).content
    assert (b'name="retry"' in page, b'name="resolve"' in page) == (retry, resolve)
    resolving = client.post(reverse("admin:syncapp_failedsync_resolve", args=[job.pk]), {"note": "checked"})
    assert resolving.status_code == (302 if resolve else 403)
    retrying = client.post(reverse("admin:syncapp_failedsync_retry", args=[job.pk]))
    assert retrying.status_code == (302 if retry else 403)
    job.refresh_from_db()
    expected = "pending" if retry else ("resolved" if resolve else "failed")
    assert job.status == expected


@pytest.mark.parametrize("role", ROLES)
def test_nobody_edits_or_deletes_the_logs(role, world, staff):
    client = staff(role)
    for model, obj in ((AuditEntry, AuditEntry.objects.first()), (WebhookEvent, WebhookEvent.objects.first()),
                       (SyncJob, SyncJob.objects.first())):
        assert client.get(url(model, "add")).status_code == 403
        assert client.get(url(model, "delete", obj.pk)).status_code == 403
        assert "delete_selected" not in offered_actions(admin.site._registry[model])


def test_a_staff_user_without_a_role_sees_nothing(world, staff):
    client = staff("none")
    assert b'id="syncs-chart"' not in client.get(reverse("admin:index")).content
    assert client.get(url(SyncJob, "changelist")).status_code == 403
