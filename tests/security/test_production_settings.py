"""hub.production, as an operator starts it: a fresh process with only the environment it is given
(settings are read once per process, so each case is a subprocess)."""
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNIPPET = """
import json, django
django.setup()
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/sandbox/salesforce/services/data/")
    sandbox_mounted = True
except Resolver404:
    sandbox_mounted = False
print(json.dumps({"sandbox": settings.HUB["sandbox"], "sandbox_mounted": sandbox_mounted,
                  "apps": [a for a in settings.INSTALLED_APPS if a.startswith("sandbox")],
                  "salesforce": settings.HUB["salesforce_instance_url"], "zuora": settings.HUB["zuora_base_url"],
                  "debug": settings.DEBUG}))
"""


def production_env(tmp_path, **overrides) -> dict:
    """What a production machine would set, and nothing inherited from the test run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hub.production", "HUB_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "HUB_ALLOWED_HOSTS": "hub.example.com",
        "SALESFORCE_USERNAME": "integration@example.com", "SALESFORCE_PASSWORD": "pw",
        "ZUORA_BASE_URL": "https://rest.zuora.com", "ZUORA_CLIENT_ID": "id", "ZUORA_CLIENT_SECRET": "secret",
        "ZUORA_WEBHOOK_SECRET": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_no_warnings(tmp_path):
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced).", done.stdout + done.stderr


def test_the_base_settings_would_not_pass(tmp_path):
    """The check above is not vacuous: hub.settings, as `make run` uses it, fails it."""
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
               production_env(tmp_path, DJANGO_SETTINGS_MODULE="hub.settings"))
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr + done.stdout


def test_the_sandbox_is_neither_configured_nor_mounted(tmp_path):
    # No Salesforce credentials: hub.settings would default to the sandbox here.
    done = run(["-c", SNIPPET], production_env(tmp_path, SALESFORCE_USERNAME=None, SALESFORCE_PASSWORD=None))
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"sandbox": False, "sandbox_mounted": False, "apps": [], "salesforce": "",
                    "zuora": "https://rest.zuora.com", "debug": False}


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_the_sandbox_cannot_be_switched_on(tmp_path, value):
    done = run(["manage.py", "check"], production_env(tmp_path, HUB_SANDBOX=value))
    assert done.returncode != 0
    assert "ImproperlyConfigured: HUB_SANDBOX cannot be switched on" in done.stderr


@pytest.mark.parametrize("overrides, message", [
    ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
    ({"DJANGO_SECRET_KEY": "short-and-guessable"}, "at least 50 random characters"),
    ({"HUB_ALLOWED_HOSTS": None}, "HUB_ALLOWED_HOSTS must be set"),
    ({"HUB_DEBUG": "1"}, "HUB_DEBUG cannot be switched on"),
    ({"ZUORA_WEBHOOK_SECRET": None}, "Set ZUORA_WEBHOOK_SECRET"),
])
def test_unsafe_or_missing_settings_stop_the_process(tmp_path, overrides, message):
    done = run(["manage.py", "check"], production_env(tmp_path, **overrides))
    assert done.returncode != 0
    assert message in done.stderr
