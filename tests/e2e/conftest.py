"""End-to-end fixtures: a real django-q2 worker cluster, in its own processes, working on the test
database and talking to the live server (hub + sandbox) over HTTP."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, timeout=45.0, interval=0.25, message="condition"):
    """Poll `predicate` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def settled():
    """Wait until the hub has nothing left to do: no order event awaiting its job (the intake stores
    only the event; the dispatcher queues its job), no job pending or running."""
    from syncapp.models import SyncJob, WebhookEvent
    from syncapp.models.webhooks import AWAITING_JOB

    wait_until(lambda: not WebhookEvent.objects.filter(AWAITING_JOB).exists()
               and not SyncJob.objects.filter(status__in=SyncJob.ACTIVE).exists(), message="every job to finish")


def cluster_env(hub_url, settings, **extra) -> dict:
    """The environment of a worker cluster on the test database, talking to the live server."""
    return {**os.environ, "DATABASE_URL": database_url(), "HUB_PUBLIC_URL": hub_url,
            # the test's own cache keys (tests/conftest.py), so no earlier test's session or catalog leaks in
            "HUB_CACHE_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            "SALESFORCE_INSTANCE_URL": settings.HUB["salesforce_instance_url"],
            "ZUORA_BASE_URL": settings.HUB["zuora_base_url"], "NUE_BASE_URL": settings.HUB["nue_base_url"],
            "BILLING_PROVIDER": settings.HUB["billing_provider"], "HUB_SANDBOX": "1", "HUB_WORKERS": "2",
            "HUB_DATA_DIR": str(settings.HUB["data_dir"]), **extra}


def start_qcluster(env: dict, log) -> subprocess.Popen:
    """`manage.py qcluster` in a process group of its own (so a kill reaches all its processes)."""
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def worker_cluster(hub_url, settings, tmp_path):
    """Start `manage.py qcluster` against the test database; stop it after the test."""
    log = open(tmp_path / "qcluster.log", "w")
    proc = start_qcluster(cluster_env(hub_url, settings), log)
    yield proc
    proc.terminate()  # the cluster's own process stops its workers
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()
