"""Takes from the roles what the first version of 0006_roles granted by rule: Ops held every
django-q2 permission, so it could add a schedule naming any function for a worker to run. The
groups are set again to the frozen table of 0006_roles."""
from importlib import import_module

from django.db import migrations

roles = import_module("syncapp.migrations.0006_roles")


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0008_shared_cache_table")]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
