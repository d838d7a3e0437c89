"""A whole hub in child processes — gunicorn (hub + sandbox) and a django-q2 cluster — for the
soak and pipeline benchmarks. The calling process configures Django for the same database, so it
can create orders through the real connectors and read the hub's state."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, *, database_url: str | None = None, workers: int = 2, web_workers: int = 2,
                 env: dict | None = None):
        self.data_dir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HUB_DATA_DIR": str(self.data_dir), "HUB_PORT": str(self.port),
                    "HUB_SANDBOX": "1", "HUB_WORKERS": str(workers), "HUB_Q_NAME": f"bench-{self.port}",
                    **({"DATABASE_URL": database_url} if database_url else {}), **(env or {})}
        self.web_workers = web_workers
        self.web = self.workers = None
        self.logs = open(self.data_dir / "hub.log", "ab")

    def configure_django(self):
        """Point this process's Django at the hub's database and URLs, then set it up."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("HUB_", "DATABASE_", "REDIS_",
                                                                              "BILLING_", "SALESFORCE_"))})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def _spawn(self, *args) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=self.logs,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def migrate(self):
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)

    def start_web(self):
        self.web = self._spawn("-m", "gunicorn", "hub.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                               "--worker-class", "gthread", "--workers", str(self.web_workers), "--threads", "8",
                               "--no-control-socket", "--timeout", "60")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"the web server did not start; see {self.data_dir / 'hub.log'}")

    def start_workers(self):
        self.workers = self._spawn("manage.py", "qcluster")

    def kill_workers(self):
        """kill -9 the whole worker cluster, as a crash would."""
        os.killpg(self.workers.pid, signal.SIGKILL)
        self.workers.wait()

    def restart_web(self):
        self.web.terminate()
        self.web.wait(timeout=30)
        self.start_web()

    def control(self, system: str, **switches) -> dict:
        return requests.post(f"{self.url}/sandbox/{system}/_control", json=switches, timeout=30).json()

    def state(self, system: str) -> dict:
        return requests.get(f"{self.url}/sandbox/{system}/_control", timeout=30).json()

    def stop(self):
        for proc in (self.workers, self.web):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        self.logs.close()

    def __enter__(self):
        # A benchmark stopped by SIGTERM (a timeout, Ctrl-C from a supervisor) still stops its hub.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.migrate()
        self.start_web()
        self.start_workers()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
