"""Each role against each action and page of the console: Ops (everything), Support (view, retry,
replay), Viewer (read-only). Enforced on the server: an action a role may not run is neither offered
nor run when posted anyway; a page it may not use answers 403."""
import pytest
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.urls import reverse
from django_q.brokers import get_broker
from django_q.models import Failure, Schedule, Success

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
           if role not in ACTION_ROLES.get(p.values[1], ()) and p.values[0]._meta.app_label == "syncapp"]
QUEUE_ACTIONS = [p for p in CONSOLE_ACTIONS if p.values[0]._meta.app_label == "django_q"]
# The permission (on the model listed) each of django-q2's actions needs: deleting rows, or changing
# a task result to queue the task again.
QUEUE_ACTION_NEEDS = {"delete_selected": "delete", "resubmit": "change"}
# What each of django-q2's actions does to the task queue when it runs on one row: the change in
# successful and failed task results, schedules and tasks waiting in the broker.
QUEUE_EFFECTS = {
    ("success", "delete_selected"): {"succeeded": -1},
    ("failure", "delete_selected"): {"failed": -1},
    ("ormq", "delete_selected"): {"queued": -1},
    ("schedule", "delete_selected"): {"schedules": -1},
    ("success", "resubmit"): {"queued": 1},
    ("failure", "resubmit"): {"failed": -1, "queued": 1},  # back in the queue, out of the failures
}
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


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, action", QUEUE_ACTIONS)
def test_a_task_queue_action_runs_exactly_when_the_role_holds_its_permission(role, model, action, world, staff):
    """Posted straight to the list, offered or not: the queue changes as the action would change it
    if the role's groups grant the permission it needs, and not at all otherwise."""
    client = staff(role)
    model_admin = admin.site._registry[model]
    permitted = client.user.has_perm(f"django_q.{get_permission_codename(QUEUE_ACTION_NEEDS[action], model._meta)}")
    obj = model_admin.get_queryset(_request(client)).first()
    before = _queue()
    response = client.post(url(model, "changelist"), {"action": action, "_selected_action": [obj.pk], "post": "yes"})
    assert response.status_code in (200, 302, 403)
    changed = {name: count - before[name] for name, count in _queue().items() if count != before[name]}
    assert changed == (QUEUE_EFFECTS[model._meta.model_name, action] if permitted else {})


def _queue() -> dict:
    return {"succeeded": Success.objects.count(), "failed": Failure.objects.count(),
            "schedules": Schedule.objects.count(), "queued": get_broker().queue_size()}


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
                                          "public_email_domains": "gmail.com",
                                          "retention_processed_days": "30", "retention_rejected_days": "7"})
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
