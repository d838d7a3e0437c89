"""The console's roles — Ops, Support, Viewer — as groups of permissions.

`ROLES` is a frozen copy of the table in `syncapp/roles.py` (role → what it holds besides viewing
every console page); a change to that table comes with a new migration holding the new copy.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

CONSOLE_APPS = ("syncapp", "django_q")
_SUPPORT = ["syncapp.retry_syncjob", "syncapp.replay_webhookevent"]
ROLES = {
    "Ops": frozenset(_SUPPORT + [
        "syncapp.resolve_syncjob", "syncapp.delete_on_both_sides", "syncapp.change_syncsettings",
        "syncapp.add_accountlink", "syncapp.change_accountlink", "syncapp.delete_accountlink",
        "syncapp.add_orderlink", "syncapp.change_orderlink", "syncapp.delete_orderlink",
        "syncapp.add_linelink", "syncapp.change_linelink", "syncapp.delete_linelink",
        "syncapp.add_productmapping", "syncapp.change_productmapping", "syncapp.delete_productmapping",
        "syncapp.add_fieldmapping", "syncapp.change_fieldmapping", "syncapp.delete_fieldmapping",
        "django_q.change_success", "django_q.delete_success", "django_q.change_failure", "django_q.delete_failure",
        "django_q.delete_ormq", "django_q.delete_schedule",
    ]),
    "Support": frozenset(_SUPPORT),
    "Viewer": frozenset(),
}


def create_roles(apps, schema_editor, table=None):
    """Set the groups to `table` (default: this migration's); later migrations pass their own copy."""
    from syncapp.roles import apply_roles  # applies a table it is given; holds none itself

    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(apps, table or ROLES, CONSOLE_APPS)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("syncapp", "0005_console"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
