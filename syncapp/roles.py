"""The console's roles, as Django groups of permissions: the one table of who may do what.

Every role sees every page of the console (the view permissions of `CONSOLE_APPS`). Beyond looking,
a role holds exactly the permissions written out below — none granted by a rule — so a new model or
permission gives nobody a new power until it is added here on purpose.

- Ops: retries, resolves, replays, edits the mappings and the settings, deletes on both sides
  (activated orders too);
  resubmits and clears django-q2's finished tasks, queued tasks and schedules. User accounts stay
  with superusers.
- Support: retries failed syncs and replays webhooks.
- Viewer: changes nothing.

Nobody but a superuser adds or changes anything that names code to run — a django-q2 schedule or
queued task holds a function's dotted path and its arguments, and a worker runs whatever it names.
The hub's own schedules are kept by code (`syncapp.schedules.ensure_schedules`), never by hand.

A data migration freezes this table as a literal copy rather than importing it, so what a migration
did never changes under it; `tests/security/test_roles.py` fails when the latest frozen copy and this
table disagree.
"""
from django.apps import apps as global_apps

CONSOLE_APPS = ("syncapp", "django_q")
MAPPINGS = ("accountlink", "orderlink", "linelink", "productmapping", "fieldmapping")

SUPPORT = frozenset({"syncapp.retry_syncjob", "syncapp.replay_webhookevent"})
OPS = SUPPORT | {
    "syncapp.resolve_syncjob",
    "syncapp.delete_on_both_sides",
    "syncapp.delete_activated_on_both_sides",
    "syncapp.change_syncsettings",
    *(f"syncapp.{verb}_{model}" for model in MAPPINGS for verb in ("add", "change", "delete")),
    # Resubmit (a "change" action) reruns a task the hub itself queued; every field stays read-only.
    "django_q.change_success", "django_q.delete_success",
    "django_q.change_failure", "django_q.delete_failure",
    "django_q.delete_ormq", "django_q.delete_schedule",
}
# Role → the permissions ("app_label.codename") it holds besides viewing.
ROLES: dict[str, frozenset[str]] = {"Ops": frozenset(OPS), "Support": SUPPORT, "Viewer": frozenset()}
# Never granted to a group: each lets its holder name a function for a worker to run.
CODE_RUNNING = frozenset({"django_q.add_schedule", "django_q.change_schedule", "django_q.add_ormq",
                          "django_q.change_ormq"})


def ensure_roles(apps=global_apps) -> None:
    """Set the groups' permissions to exactly the table's (idempotent)."""
    apply_roles(apps, ROLES, CONSOLE_APPS)


def apply_roles(apps, roles, console_apps) -> None:
    """Give each group in `roles` every view permission of `console_apps` plus the permissions it
    lists, and nothing else. `apps` is a migration's historical registry or the live one."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label__in=console_apps).select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}
    for name, grants in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([p for key, p in by_name.items() if p.codename.startswith("view_") or key in grants])
