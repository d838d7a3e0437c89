"""A whole hub in child processes — gunicorn (hub + sandbox) and a django-q2 cluster — for the
soak and pipeline benchmarks. The calling process configures Django for the same database, so it
can create orders through the real connectors and read the hub's state.

With `emulators="separate"` the emulators run in a gunicorn of their own (only `/sandbox/`, with
their own SQLite database in the same data directory) and the hub reaches them through the vendor
URL settings it has for real tenants (SALESFORCE_INSTANCE_URL, ZUORA_BASE_URL, NUE_BASE_URL), as
it would reach Salesforce and Zuora: the hub's CPU is then its own (`cpu_seconds`)."""
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

from sandbox.routers import CALLS

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user + system) used so far by each of `roots` and all their descendants: the
    live processes' own time plus what their children that ended and were reaped used
    (/proc/<pid>/stat utime, stime, cutime, cstime), so recycled workers still count."""
    total = 0
    for root in roots:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15])  # fields 14-17 of stat(5)
    return total / CLOCK_TICKS


class Hub:
    def __init__(self, *, database_url: str | None = None, workers: int = 2, web_workers: int = 2,
                 env: dict | None = None, emulators: str = "embedded", clusters: int = 1):
        self.data_dir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HUB_DATA_DIR": str(self.data_dir), "HUB_PORT": str(self.port),
                    "HUB_SANDBOX": "1", "HUB_WORKERS": str(workers), "HUB_Q_NAME": f"bench-{self.port}",
                    "HUB_CACHE_PREFIX": f"bench-{self.port}",
                    **({"DATABASE_URL": database_url} if database_url else {}), **(env or {})}
        self.emulators = self.emulator_env = None
        self.sandbox_url = f"{self.url}/sandbox"
        if emulators == "separate":
            self.emulator_port = free_port()
            self.sandbox_url = f"http://127.0.0.1:{self.emulator_port}/sandbox"
            self.env.update({"SALESFORCE_INSTANCE_URL": f"{self.sandbox_url}/salesforce",
                             "ZUORA_BASE_URL": f"{self.sandbox_url}/zuora", "NUE_BASE_URL": f"{self.sandbox_url}/nue"})
            # The emulators' own process: their own databases (sandbox/routers.py) and log, only
            # /sandbox/ served, their webhooks sent to the hub; the data directory (secrets, the JWT
            # certificate) is shared.
            self.emulator_env = {
                **{k: v for k, v in self.env.items() if k not in ("DATABASE_URL", "REDIS_URL")},
                "HUB_PORT": str(self.emulator_port), "HUB_PUBLIC_URL": self.url,
                "DATABASE_URL": f"sqlite:///{self.data_dir / 'sandbox.sqlite3'}",
                "HUB_SANDBOX_DATABASES": str(self.data_dir),
                "HUB_ROOT_URLCONF": "bench.sandbox_urls", "HUB_LOG_FILE": str(self.data_dir / "sandbox.log"),
                "HUB_METRICS_DIR": str(self.data_dir / "sandbox-metrics"), "HUB_CACHE_PREFIX": "sandbox"}
        elif emulators != "embedded":
            raise ValueError(f"emulators: 'embedded' or 'separate', not {emulators!r}")
        self.web_workers = web_workers
        self.clusters = clusters
        self.web = self.workers = None
        self.extra_clusters: list[subprocess.Popen] = []
        self.logs = open(self.data_dir / "hub.log", "ab")

    def configure_django(self):
        """Point this process's Django at the hub's database and URLs, then set it up."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith((
            "HUB_", "DATABASE_", "REDIS_", "BILLING_", "SALESFORCE_", "ZUORA_", "NUE_"))})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def _spawn(self, *args, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env or self.env, stdout=self.logs,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def migrate(self):
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        if self.emulator_env:
            for database in ("default", CALLS):
                subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--database", database], cwd=ROOT,
                               env=self.emulator_env, check=True)

    def _gunicorn(self, port: int, workers: int, threads: int, env: dict | None = None) -> subprocess.Popen:
        return self._spawn("-m", "gunicorn", "hub.wsgi:application", "--bind", f"127.0.0.1:{port}",
                           "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
                           "--no-control-socket", "--timeout", "60", env=env)

    def _wait_for(self, url: str):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer; see {self.data_dir / 'hub.log'}")

    def start_emulators(self):
        # Enough threads for every call in flight to sleep its injected latency at once.
        self.emulators = self._gunicorn(self.emulator_port, 2, 32, env=self.emulator_env)
        self._wait_for(f"{self.sandbox_url}/salesforce/_control")

    def start_web(self):
        self.web = self._gunicorn(self.port, self.web_workers, 8)
        self._wait_for(f"{self.url}/api/v1/health")

    def start_workers(self):
        self.workers = self._spawn("manage.py", "qcluster")
        # More clusters on the same queue, as more worker machines would run them.
        self.extra_clusters = [self._spawn("manage.py", "qcluster") for _ in range(self.clusters - 1)]

    def hub_processes(self) -> list[int]:
        """The hub's own process trees (web server, every worker cluster), for `cpu_seconds`."""
        return [p.pid for p in (self.web, self.workers, *self.extra_clusters) if p]

    def emulator_processes(self) -> list[int]:
        return [self.emulators.pid] if self.emulators else []

    def kill_workers(self):
        """kill -9 the whole worker cluster, as a crash would."""
        os.killpg(self.workers.pid, signal.SIGKILL)
        self.workers.wait()

    def restart_web(self):
        self.web.terminate()
        self.web.wait(timeout=30)
        self.start_web()

    def control(self, system: str, **switches) -> dict:
        return requests.post(f"{self.sandbox_url}/{system}/_control", json=switches, timeout=30).json()

    def state(self, system: str) -> dict:
        return requests.get(f"{self.sandbox_url}/{system}/_control", timeout=30).json()

    def stop(self):
        for proc in (*self.extra_clusters, self.workers, self.web, self.emulators):
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
        if self.emulator_env:
            self.start_emulators()
        self.start_web()
        self.start_workers()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
