"""`make run` end to end: the hub starts, serves health and a sandbox org that the real
simple-salesforce client can use, and stops cleanly on Ctrl-C."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from syncapp.connectors.sandbox_transport import sandbox_session

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the hub exited during start-up"
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered 200")


@pytest.mark.parametrize("provider", ["zuora", "nue"])
def test_runhub_serves_health_and_sandbox_then_stops_on_ctrl_c(tmp_path, provider):
    port = free_port()
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path), "HUB_PORT": str(port),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}", "BILLING_PROVIDER": provider,
           "HUB_WEB_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "manage.py", "runhub"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_health(f"{base}/api/v1/health", proc)
        assert health.json()["database"] == "ok"

        sf = Salesforce(username="hub@sandbox.example", password="sandbox", security_token="",
                        session=sandbox_session(f"{base}/sandbox/salesforce"))
        codes = {r["ProductCode"] for r in sf.query("SELECT ProductCode FROM Product2")["records"]}
        assert {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"} <= codes
        assert (tmp_path / "admin-password.txt").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does to the foreground group
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "Admin console" in output and f"Billing         {provider}" in output
    assert "Order Sync Hub stopped." in output
