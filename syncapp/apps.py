import os
import pkgutil
import stat
from importlib import import_module
from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class SyncAppConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Order sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from syncapp import checks  # noqa: F401  (registers the system checks)
        from syncapp.schedules import ensure_schedules

        autodiscover_modules_of("syncapp.sync")  # each flow registers the job kinds it runs

        post_migrate.connect(ensure_schedules, sender=self)
        connection_created.connect(keep_sqlite_private)


def keep_sqlite_private(sender, connection, **kwargs):
    """SQLite creates its files with the process umask; like every file of the hub's data
    directory they are kept 0600. Done on connecting, not before, so a command run with the wrong
    HUB_DATA_DIR creates no empty database for the preflight to mistake for the hub's."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(name + suffix)
        try:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            pass


def autodiscover_modules_of(package: str) -> None:
    for module in pkgutil.iter_modules(import_module(package).__path__):
        import_module(f"{package}.{module.name}")
