"""`make run`: migrate, make sure an admin exists, then run the web server and the worker cluster
in the foreground until Ctrl-C / SIGTERM stops both."""
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from syncapp import conf
from syncapp.models import ApiClient

ADMIN_USERNAME = "admin"
STOP_GRACE_SECONDS = 20
REPOSITORY = Path(__file__).resolve().parents[3]  # where manage.py is


def ensure_admin(data_dir) -> tuple[str, str | None]:
    """Create the first superuser with a random password, kept (0600) in HUB_DATA_DIR.

    Returns (username, password-just-created or None)."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return ADMIN_USERNAME, None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(ADMIN_USERNAME, "admin@localhost", password)
    path = data_dir / "admin-password.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{ADMIN_USERNAME}\n{password}\n")
    return ADMIN_USERNAME, password


def clear_metrics(directory) -> None:
    """prometheus_client's multiprocess mode wants an empty directory when the processes start:
    files of an earlier run's processes would otherwise pile up, one set per process, forever."""
    for path in directory.glob("*.db"):
        path.unlink(missing_ok=True)


def _signal_group(child: subprocess.Popen, signum) -> None:
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class Command(BaseCommand):
    help = "Run the whole hub in the foreground: web server, worker cluster and scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--web-workers", type=int, default=conf.web_workers())
        parser.add_argument("--threads", type=int, default=conf.web_threads())

    def handle(self, *args, web_workers, threads, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        username, new_password = ensure_admin(conf.data_dir())
        if conf.sandbox():
            ApiClient.register("sandbox storefront", conf.sandbox_storefront_token(), ["checkout"])
        self._banner(username, new_password)
        clear_metrics(conf.metrics_dir())

        bind = conf.bind_address()
        children = [
            subprocess.Popen([sys.executable, "-m", "gunicorn", "hub.wsgi:application", "--bind", bind,
                              "--worker-class", "gthread", "--workers", str(web_workers),
                              "--threads", str(threads), "--timeout", "60",
                              # No access log: RequestIdMiddleware logs each request, with its id.
                              "--graceful-timeout", "15", "--no-control-socket"], start_new_session=True),
            # Each in a process group of its own, so a stop reaches the cluster's worker processes too.
            subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPOSITORY,
                             start_new_session=True),
        ]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        if stopping:
            self.stdout.write(f"Stopping the hub (web server, workers, scheduler); at most {STOP_GRACE_SECONDS} s…")
            self.stdout.flush()
        exit_code = self._stop(children)
        if not stopping:
            self.stderr.write("A hub process exited unexpectedly; stopped the rest.")
            sys.exit(exit_code or 1)
        self.stdout.write("Order Sync Hub stopped.")

    def _stop(self, children) -> int:
        for child in children:
            if child.poll() is None:
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _signal_group(child, signal.SIGKILL)  # whatever it left behind in its group
        return max((child.returncode or 0) for child in children)

    def _banner(self, username, new_password):
        base = conf.public_url()
        lines = [
            "",
            "Order Sync Hub is starting",
            f"  Admin console   {base}/admin/",
            f"  Login           {username} / "
            + (new_password + "   (shown once; also in HUB_DATA_DIR/admin-password.txt)" if new_password
               else f"see {conf.data_dir() / 'admin-password.txt'}"),
            f"  Health          {base}/api/v1/health",
            f"  API docs        {base}/api/v1/docs/",
            f"  Billing         {conf.billing_provider()}",
        ]
        if conf.sandbox():
            lines += [
                f"  Storefront      {base}/sandbox/store/   (try a checkout here first)",
                f"  Sandbox         {base}/sandbox/salesforce  (user hub@sandbox.example / sandbox)",
                f"                  {base}/sandbox/zuora       (client sandbox / sandbox)",
                f"                  {base}/sandbox/nue         (api key sandbox)",
            ]
        lines += ["  API token       .venv/bin/python manage.py create_api_client NAME --scope checkout",
                  "                  (in another terminal: the same environment as this one, or put it in .env)", "",
                  "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
