"""docs/deploy.md stays true to the code: every variable the settings read is documented, and every
management command it tells an operator to run exists."""
import re
from pathlib import Path

from django.core.management import get_commands

REPO = Path(__file__).resolve().parent.parent
GUIDE = (REPO / "docs" / "deploy.md").read_text()
SETTINGS = ["hub/settings.py", "hub/production.py", "syncapp/management/commands/runhub.py"]
# Read by the settings but not for operators: the benchmarks' bare URLconf, the sandbox's own token.
NOT_FOR_OPERATORS = {"HUB_ROOT_URLCONF", "SANDBOX_STOREFRONT_TOKEN"}
# env("NAME" …), os.environ.get("NAME" …), data_secret(HUB_DATA_DIR, "NAME" …) and the like.
READS = re.compile(r"""(?:env|env_bool|_required|os\.environ\.get|data_secret)\((?:[A-Za-z_][\w.]*,\s*)?["']([A-Z][A-Z0-9_]+)["']""")


def variables_read() -> set[str]:
    found = set()
    for path in SETTINGS:
        found |= set(READS.findall((REPO / path).read_text()))
    return found - NOT_FOR_OPERATORS


def test_every_environment_variable_is_documented():
    names = variables_read()
    assert {"DJANGO_SECRET_KEY", "HUB_ALLOWED_HOSTS", "DATABASE_URL", "ZUORA_WEBHOOK_SECRET"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in GUIDE)
    assert not missing, f"document these in docs/deploy.md §3: {missing}"


def test_every_command_the_guide_runs_exists():
    told = set(re.findall(r"hub-manage ([a-z_]+)", GUIDE)) | set(re.findall(r"manage\.py ([a-z_]+)", GUIDE))
    assert {"migrate", "createsuperuser", "create_api_client", "qcluster", "axes_reset_username"} <= told
    assert told <= set(get_commands()), sorted(told - set(get_commands()))


def test_procfile_runs_the_web_server_and_the_worker_cluster():
    processes = dict(line.split(": ", 1) for line in (REPO / "Procfile").read_text().splitlines() if line)
    assert set(processes) == {"release", "web", "worker"}
    assert processes["web"].startswith("gunicorn hub.wsgi:application ")
    assert processes["worker"] == "python manage.py qcluster"
