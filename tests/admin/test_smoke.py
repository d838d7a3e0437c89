"""Every registered admin page opens and every registered action runs.

Pages and actions are discovered from `admin.site._registry`, so a newly registered model or action
is covered without touching this file — and fails here until the `world` fixture holds an object of
it. The console's own models are opened as an Ops user (proving Ops can reach everything); other
apps' pages (users, groups) as a superuser.
"""
import pytest
from django.contrib import admin
from django.contrib.messages import ERROR
from django.test import RequestFactory
from django.urls import reverse

from syncapp.admin.roles import CONSOLE_APPS


class AllPowerful:
    """Stands for a user holding every permission, to list every action anyone can be offered."""
    is_active = is_staff = is_superuser = is_authenticated = True

    def has_perm(self, perm, obj=None):
        return True


def offered_actions(model_admin) -> list[str]:
    request = RequestFactory().get("/")
    request.user = AllPowerful()
    return list(model_admin.get_actions(request))


REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
MODELS = [pytest.param(model, id=model._meta.label) for model, _ in REGISTRY]
ACTIONS = [pytest.param(model, name, id=f"{model._meta.label}:{name}")
           for model, model_admin in REGISTRY for name in offered_actions(model_admin)]


def url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def client_for(model, staff):
    return staff("Ops" if model._meta.app_label in CONSOLE_APPS else "superuser")


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def some_object(model, user):
    """An object the changelist shows, other than the user looking at it."""
    shown = admin.site._registry[model].get_queryset(request_as(user))
    if model is type(user):  # only a user can be the user looking (another model's row may share the pk)
        shown = shown.exclude(pk=user.pk)
    found = shown.order_by("pk").first()
    assert found is not None, f"add a {model._meta.label} to the `world` fixture in tests/admin/conftest.py"
    return found


def test_the_registry_is_what_the_console_promises():
    labels = {model._meta.label for model, _ in REGISTRY}
    assert {"syncapp.FailedSync", "syncapp.SyncJob", "syncapp.WebhookEvent", "syncapp.AccountLink",
            "syncapp.OrderLink", "syncapp.LineLink", "syncapp.ProductMapping", "syncapp.FieldMapping",
            "syncapp.SyncSettings", "syncapp.AuditEntry"} <= labels


def test_the_dashboard_opens(world, staff):
    response = staff("Ops").get(reverse("admin:index"))
    assert response.status_code == 200
    assert b'id="syncs-chart"' in response.content


@pytest.mark.parametrize("model", MODELS)
def test_every_page_opens(model, world, staff):
    client = client_for(model, staff)
    model_admin = admin.site._registry[model]
    listing = client.get(url(model, "changelist"), follow=True)
    assert listing.status_code == 200
    if model_admin.search_fields:
        assert client.get(url(model, "changelist"), {"q": "acme"}).status_code == 200
    obj = some_object(model, client.user)
    detail = client.get(url(model, "change", obj.pk))
    assert detail.status_code == 200, detail.content[:500]
    if model_admin.has_add_permission(request_as(client.user)):
        assert client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model, action", ACTIONS)
def test_every_action_runs(model, action, world, staff, hub_url):
    """Run through the live server's Salesforce and billing emulators (delete on both sides calls
    them); confirmation pages are confirmed."""
    client = client_for(model, staff)
    obj = some_object(model, client.user)
    form = {"action": action, "_selected_action": [obj.pk]}
    response = client.post(url(model, "changelist"), form)
    if response.status_code == 200 and b'name="post"' in response.content:
        # What confirmation pages ask for: a note (mark resolved), a reason (delete on both sides).
        response = client.post(url(model, "changelist"), {**form, "post": "yes", "note": "smoke", "reason": "smoke"})
    assert response.status_code == 302, response.content[:1000]
    shown = list(response.wsgi_request._messages)
    assert shown, "an action says what it did"
    assert not [m for m in shown if m.level >= ERROR], [str(m) for m in shown]
