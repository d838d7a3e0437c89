"""Management commands answer a wrong environment with one sentence, never a traceback.

A command run in a second terminal without `make run`'s environment (another HUB_DATA_DIR,
DATABASE_URL or HUB_PORT) would otherwise create an empty database, fail deep inside with "no
such table", or leave a failed report behind after calling a hub that is not there. `main`, which
`manage.py` runs, checks first what a command declares it needs, with flags on its class:

- `requires_migrations_checks = True` (Django's own flag, which alone only prints a warning): the
  hub's database must exist and be migrated — an SQLite file that is not there is not created;
- `requires_vendors = True`: in the sandbox the emulators are served by the running hub, so the
  hub must answer at HUB_PUBLIC_URL (from HUB_PORT).

A database error of any other command is caught the same way. Each problem is one sentence naming
the setting to check; the exit status is 2.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENVIRONMENT = ("commands need the same environment as `make run`: export the same variables in this terminal, "
               "or put them in .env")
EXIT_STATUS = 2


class EnvironmentProblem(Exception):
    """The command cannot run here; the message says which setting to check."""


def main(argv: list[str]) -> None:
    import django
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    _apply_options(argv)
    try:
        django.setup()
    except Exception:
        execute_from_command_line(argv)
        return
    try:
        check(argv[1] if len(argv) > 1 else "")
        execute_from_command_line(argv)
    except EnvironmentProblem as problem:
        _stop(str(problem))
    except DatabaseError as err:
        _stop(f"The database at {database_location()} failed: {str(err).splitlines()[0] if str(err) else err}. "
              f"Check DATABASE_URL and HUB_DATA_DIR — {ENVIRONMENT}.")


def _apply_options(argv: list[str]) -> None:
    """`--settings` and `--pythonpath` act before the settings load, as in Django's own command line
    (which reads them only after this preflight has loaded the settings)."""
    for i, arg in enumerate(argv):
        name, _, value = arg.partition("=")
        if name in ("--settings", "--pythonpath") and not value and i + 1 < len(argv):
            value = argv[i + 1]
        if name == "--settings" and value:
            os.environ["DJANGO_SETTINGS_MODULE"] = value
        elif name == "--pythonpath" and value:
            sys.path.insert(0, value)


def _stop(sentence: str) -> None:
    sys.stderr.write(sentence + "\n")
    sys.exit(EXIT_STATUS)


def check(name: str) -> None:
    """Raise `EnvironmentProblem` when command `name` cannot run in this environment."""
    from django.core.management import get_commands, load_command_class

    app = get_commands().get(name)
    if app is None:
        return  # unknown or help: Django answers
    command = load_command_class(app, name) if isinstance(app, str) else app
    if getattr(command, "requires_migrations_checks", False):
        check_database()
    if getattr(command, "requires_vendors", False):
        check_vendors()


def database_location() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    return f"{connection.vendor}://{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or ''}/" \
           f"{settings.get('NAME')}"


def check_database() -> None:
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    from syncapp import conf

    if connection.vendor == "sqlite" and not Path(connection.settings_dict["NAME"]).exists():
        raise EnvironmentProblem(
            f"No hub database at {database_location()} (HUB_DATA_DIR is {conf.data_dir()}): {ENVIRONMENT} "
            "(HUB_DATA_DIR, DATABASE_URL); on a new machine run `make run` first.")
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as err:
        raise EnvironmentProblem(f"Cannot reach the database at {database_location()} ({err}): check DATABASE_URL "
                                 f"— {ENVIRONMENT}.") from None
    if pending:
        raise EnvironmentProblem(
            f"The database at {database_location()} is not the hub's, or not set up yet ({len(pending)} migration(s) "
            f"not applied): check HUB_DATA_DIR and DATABASE_URL — {ENVIRONMENT} — or run "
            "`.venv/bin/python manage.py migrate`.")


def check_vendors() -> None:
    """In the sandbox the vendors' emulators are part of the running hub: it must answer."""
    import requests

    from syncapp import conf

    if not conf.sandbox():
        return
    url = f"{conf.sandbox_url()}/salesforce"
    try:
        requests.get(url, timeout=3)
    except requests.RequestException:
        raise EnvironmentProblem(
            f"No hub answers at {conf.public_url()} (HUB_PORT is {conf.port()}): in the sandbox the "
            f"Salesforce and billing emulators run inside the hub, so start `make run` first; {ENVIRONMENT} "
            "(HUB_PORT).") from None
