"""The table of the database cache (Django's DatabaseCache), which shares vendor sessions, tokens
and catalogs between processes when REDIS_URL is not set. Made whatever the cache backend is now,
so switching from Redis to the database later needs no extra step."""
from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.CACHE_TABLE, False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0007_reconcile_report")]
    operations = [migrations.RunPython(create, drop)]
