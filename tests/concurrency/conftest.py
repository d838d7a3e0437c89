"""Concurrency fixtures: several django-q2 worker clusters, each in its own processes, on the test
database and broker, talking to the live server (hub + sandbox) over HTTP."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer

from tests.e2e.conftest import database_url, wait_until

ROOT = Path(__file__).resolve().parents[2]

# The live test server listens with a backlog of 10: fifty buyers connecting at once overflow it,
# and with SYN cookies the kernel answers the overflow with resets. gunicorn's backlog is 2048.
WSGIServer.request_queue_size = 128


class Cluster:
    """One `manage.py qcluster`; its log says which tasks its workers processed."""

    def __init__(self, name: str, env: dict, log_path: Path):
        self.name, self.log_path = name, log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=30.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"cluster {self.name} exited early:\n{self.log()[-3000:]}")
            return " running." in self.log()
        wait_until(ready, timeout=timeout, message=f"worker cluster {self.name} to start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the cluster's own process stops its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_cluster(hub_url, settings, tmp_path):
    """Start a named worker cluster on the test database and the configured broker (the ORM, or
    Redis when REDIS_URL is set — every cluster shares HUB_Q_NAME, so they compete for one queue)."""
    env = {**os.environ, "DATABASE_URL": database_url(), "HUB_PUBLIC_URL": hub_url,
           # the test's own cache keys (tests/conftest.py), so no earlier test's session or catalog leaks in
           "HUB_CACHE_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
           "SALESFORCE_INSTANCE_URL": settings.HUB["salesforce_instance_url"], "ZUORA_BASE_URL": settings.HUB["zuora_base_url"],
           "NUE_BASE_URL": settings.HUB["nue_base_url"], "BILLING_PROVIDER": settings.HUB["billing_provider"],
           "HUB_SANDBOX": "1", "HUB_WORKERS": "2", "HUB_DATA_DIR": str(settings.HUB["data_dir"]),
           "HUB_LOG_LEVEL": "INFO"}  # the test reads "running." and "processing" lines from the log
    started = []

    def start(name: str) -> Cluster:
        cluster = Cluster(name, env, tmp_path / f"qcluster-{name}.log")
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()
