"""The console's roles, as Django groups of permissions.

- Ops: everything in the console (the hub's records and the task queue); user accounts stay with
  superusers.
- Support: sees everything, retries failed syncs and replays webhooks; no deletes, no mapping or
  settings edits, cannot mark failures resolved.
- Viewer: sees everything, changes nothing.

`ensure_roles` is idempotent and is what the data migration runs; the groups' permissions are set
to exactly these, so running it again after a new model or permission appears brings them in step.
"""
from django.apps import apps as global_apps

CONSOLE_APPS = ("syncapp", "django_q")
SUPPORT_ACTIONS = {"retry_syncjob", "replay_webhookevent"}


def _viewer(codename: str) -> bool:
    return codename.startswith("view_")


def _support(codename: str) -> bool:
    return _viewer(codename) or codename in SUPPORT_ACTIONS


def _ops(codename: str) -> bool:
    return True


ROLES = {"Ops": _ops, "Support": _support, "Viewer": _viewer}


def ensure_roles(apps=global_apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label__in=CONSOLE_APPS))
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([p for p in permissions if grants(p.codename)])
