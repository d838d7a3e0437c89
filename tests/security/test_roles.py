"""Least privilege in the console: each role holds what the role table grants on purpose, and
nothing that names code for a worker to run is added or changed by anyone but a superuser."""
from importlib import import_module

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db.migrations.loader import MigrationLoader
from django.test import Client, RequestFactory
from django.urls import reverse
from django_q.models import Schedule

from syncapp.roles import CODE_RUNNING, CONSOLE_APPS, ROLES, ensure_roles
from tests.factories import StaffFactory

STAFF = ("Ops", "Support", "Viewer", "no group")
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def staff_user(role: str) -> User:
    user = StaffFactory(role=role if role in ROLES else "")
    return User.objects.get(pk=user.pk)  # fresh: no permission cache


def admin_grants(user: User) -> set[str]:
    """Every add/change/delete the admin allows `user`, as "app_label.verb_model"."""
    request = RequestFactory().get("/")
    request.user = user
    granted = set()
    for model, model_admin in REGISTRY:
        for verb in ("add", "change", "delete"):
            if getattr(model_admin, f"has_{verb}_permission")(request):
                granted.add(f"{model._meta.app_label}.{verb}_{model._meta.model_name}")
    return granted


@pytest.fixture
def roles(db):
    ensure_roles()


@pytest.mark.parametrize("role", STAFF)
def test_a_role_may_add_change_or_delete_only_what_the_table_grants(role, roles):
    unintended = admin_grants(staff_user(role)) - ROLES.get(role, frozenset())
    assert not unintended, f"{role} may {sorted(unintended)} without the role table granting it"


def test_the_walk_sees_what_a_superuser_may_do(db):
    """The check above is not vacuous: the admin's registry holds pages where writing is possible."""
    superuser = StaffFactory(role="superuser")
    assert {"django_q.add_schedule", "django_q.change_schedule", "syncapp.change_orderlink"} <= admin_grants(superuser)


def test_no_role_holds_a_permission_that_names_code_to_run():
    assert all(not grants & CODE_RUNNING for grants in ROLES.values())


def test_the_groups_hold_exactly_the_table(roles):
    for role, grants in ROLES.items():
        held = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}
        assert {p for p in held if not p.split(".")[1].startswith("view_")} == grants
        assert {p.split(".")[0] for p in held} <= set(CONSOLE_APPS)


def test_the_latest_roles_migration_freezes_the_table():
    """A migration holds a literal copy of the table; a change to the table needs a new one."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = [key for key in loader.graph.forwards_plan(loader.graph.leaf_nodes("syncapp")[0]) if key[0] == "syncapp"]
    frozen = [module for module in (import_module(f"syncapp.migrations.{name}") for _, name in plan)
              if hasattr(module, "ROLES")]
    assert frozen, "a data migration creates the roles"
    assert (frozen[-1].ROLES, frozen[-1].CONSOLE_APPS) == (ROLES, CONSOLE_APPS)


SHELL_SCHEDULE = {"name": "x", "func": "subprocess.getoutput", "args": "'cat var/secrets.json'", "hook": "",
                  "kwargs": "", "schedule_type": "O", "minutes": "", "repeats": "-1", "next_run_0": "2026-01-01",
                  "next_run_1": "00:00:00", "cron": "", "cluster": "", "intended_date_kwarg": ""}


@pytest.mark.parametrize("granted_by_hand", [False, True])
def test_ops_cannot_schedule_a_function(granted_by_hand, roles):
    """Not through the role, and not even when someone gives the group django-q2's permissions."""
    ops = staff_user("Ops")
    if granted_by_hand:
        Group.objects.get(name="Ops").permissions.add(
            *Permission.objects.filter(content_type__app_label="django_q", codename__in=["add_schedule", "change_schedule"]))
    hub_schedule = Schedule.objects.create(name="hub: sweep", func="syncapp.tasks.sweep", schedule_type="I", minutes=1)
    before = list(Schedule.objects.order_by("pk").values_list("name", "func", "args"))
    client = Client()
    client.force_login(ops)
    added = client.post(reverse("admin:django_q_schedule_add"), SHELL_SCHEDULE)
    changed = client.post(reverse("admin:django_q_schedule_change", args=[hub_schedule.pk]),
                          {**SHELL_SCHEDULE, "name": hub_schedule.name})
    assert (added.status_code, changed.status_code) == (403, 403)
    assert list(Schedule.objects.order_by("pk").values_list("name", "func", "args")) == before


def test_a_superuser_can_schedule_a_function(db):
    """The form above is one the admin accepts, so the refusal is about who asks."""
    root = StaffFactory(role="superuser")
    client = Client()
    client.force_login(root)
    response = client.post(reverse("admin:django_q_schedule_add"), {**SHELL_SCHEDULE, "func": "math.floor",
                                                                    "args": "1.5"})
    assert response.status_code == 302, response.content[:2000]
    assert Schedule.objects.filter(func="math.floor").exists()
