"""Management commands run in another terminal than `make run` answer a wrong environment with one
sentence naming the setting to check — no traceback, no empty database created, no failed report
left behind — and the banner shows the command the README shows."""
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.test_make_run import free_port

ROOT = Path(__file__).resolve().parent.parent


def manage(data_dir: Path, *args, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DATABASE_URL", "REDIS_URL"))}
    environment.update(HUB_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="hub.settings", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)


def one_sentence(result: subprocess.CompletedProcess, *names: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for name in names:
        assert name in result.stderr, result.stderr
    return result.stderr


def test_a_command_without_the_hubs_data_dir_creates_nothing(tmp_path):
    said = one_sentence(manage(tmp_path, "create_api_client", "storefront", "--scope", "checkout"),
                        "HUB_DATA_DIR", ".env", "make run")
    assert str(tmp_path) in said
    assert not (tmp_path / "hub.sqlite3").exists()  # no fresh empty database


def test_an_unmigrated_database_is_named(tmp_path):
    sqlite3.connect(tmp_path / "hub.sqlite3").close()  # a database that is not the hub's
    one_sentence(manage(tmp_path, "replay_webhooks", "--failed"), "not set up", "DATABASE_URL", "migrate")


def test_reconcile_without_a_hub_to_reach_leaves_no_failed_report(tmp_path):
    port = str(free_port())
    assert manage(tmp_path, "migrate", "--no-input", HUB_PORT=port).returncode == 0
    one_sentence(manage(tmp_path, "reconcile", HUB_PORT=port), f"HUB_PORT is {port}", "make run")
    reports = sqlite3.connect(tmp_path / "hub.sqlite3").execute("SELECT COUNT(*) FROM syncapp_reconcilereport")
    assert reports.fetchone()[0] == 0


def test_the_banner_and_the_readme_show_the_same_command():
    banner = (ROOT / "syncapp/management/commands/runhub.py").read_text()
    command = re.search(r"API token\s+(\.venv/bin/python manage\.py create_api_client)", banner)
    assert command and command[1] in (ROOT / "README.md").read_text()


def test_the_settings_option_still_chooses_the_settings(tmp_path):
    result = manage(tmp_path, "check", "--settings=hub.no_such_settings")
    assert "No module named 'hub.no_such_settings'" in result.stderr  # the option was honoured
