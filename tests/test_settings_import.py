"""Importing the settings only reads: a process that loads them (a linter, a type checker, a tool
reading one setting) creates no data directory, writes no secret and changes no environment
variable. What a hub needs on disk is made when Django starts it (hub/startup.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT = """
import json, os, sys
before = dict(os.environ)
import hub.settings
after = dict(os.environ)
print(json.dumps({"changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
                  "data_dir": str(hub.settings.HUB["data_dir"])}))
"""
SETUP = "import django; django.setup()"


def run(code: str, data_dir: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("HUB_", "PROMETHEUS_", "DJANGO_SECRET_KEY", "SANDBOX_", "SALESFORCE_"))}
    environment.update(HUB_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="hub.settings")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_importing_the_settings_creates_nothing_and_leaves_the_environment_alone(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    done = run(IMPORT, data_dir)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["data_dir"] == str(data_dir)  # the settings did read this data dir
    assert list(data_dir.iterdir()) == []
    assert list(tmp_path.iterdir()) == [data_dir]
    assert seen["changed"] == []


def test_starting_django_makes_the_data_dir_secrets_and_metrics_dir(tmp_path):
    """The other half: what importing no longer makes, start-up does (and `make run` needs)."""
    data_dir = tmp_path / "data"
    done = run(SETUP + "\nimport os; print(os.environ['PROMETHEUS_MULTIPROC_DIR'])", data_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(data_dir / "metrics")
    assert (data_dir.stat().st_mode & 0o777) == 0o700
    secrets = json.loads((data_dir / "secrets.json").read_text())
    assert {"DJANGO_SECRET_KEY", "ZUORA_WEBHOOK_SECRET", "NUE_WEBHOOK_SECRET", "SANDBOX_STOREFRONT_TOKEN"} <= set(secrets)
    assert (data_dir / "salesforce_jwt.key").exists() and (data_dir / "static").is_dir()
    again = run(SETUP, data_dir)  # a second start reuses what the first generated
    assert again.returncode == 0, again.stderr
    assert json.loads((data_dir / "secrets.json").read_text()) == secrets
