"""HUB_DATA_DIR and the files the hub keeps in it (database, secrets, logs) are readable by the
hub's own user only, whatever the umask of the process that starts it."""
import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNIPPET = """
import logging, os, django
os.umask(0o022)
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (n integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
logging.getLogger("syncapp").warning("a line for the log file")
for handler in logging.getLogger().handlers:
    handler.flush()
"""


def start_hub(data_dir: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data_dir.parent),
           "DJANGO_SETTINGS_MODULE": "hub.settings", "HUB_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-c", SNIPPET], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_and_its_files_are_private(tmp_path):
    data_dir = tmp_path / "data"
    start_hub(data_dir)
    assert mode(data_dir) == 0o700
    files = {p.name: mode(p) for p in data_dir.iterdir() if p.is_file()}
    assert {"hub.sqlite3", "hub.log", "secrets.json"} <= set(files), files
    assert {name: m for name, m in files.items() if m & 0o077} == {}


def test_an_existing_data_dir_open_to_others_is_closed(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    start_hub(data_dir)
    assert mode(data_dir) == 0o700
