"""Loaded before Django's settings (`-p tests.xdist_worker` in pytest's addopts), so that each
pytest-xdist worker is a hub of its own: its own data dir (secrets, log file, metrics samples,
static files, the SQLite test database) and its own django-q2 queue name on Redis. The worker
clusters and child hubs a test starts inherit both through the environment.

pytest-django already gives each worker its own test database (a `_gw0` suffix); without these,
two workers would read each other's metrics, collect static files into one directory at once and,
on Redis, take each other's tasks."""
import os
from pathlib import Path

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _base = Path(os.environ.get("HUB_DATA_DIR") or Path(__file__).resolve().parents[1] / "var")
    os.environ["HUB_DATA_DIR"] = str(_base / f"xdist-{_WORKER}")
    os.environ["HUB_Q_NAME"] = f"{os.environ.get('HUB_Q_NAME') or 'hub'}-{_WORKER}"
    os.environ.pop("HUB_METRICS_DIR", None)  # under the worker's data dir
