"""`make run` end to end, once per billing provider: the hub starts, serves health, a sandbox org
that the real simple-salesforce client can use and the provider's emulator that the real billing
connector can use, takes a checkout through to that provider, and stops cleanly on Ctrl-C."""
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.sandbox_transport import sandbox_session

ROOT = Path(__file__).resolve().parent.parent
# The test never installs: the venv running it is the one `make run` would use, and a pip run
# in the middle of a test (another engineer just touched pyproject.toml) would be no test of it.
INSTALL_STAMP = ".venv/.installed-dev"
SKUS = {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"}


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


def point_billing_at(hub_settings, base: str) -> None:
    hub_settings["zuora_base_url"] = f"{base}/sandbox/zuora"
    hub_settings["zuora_client_id"] = hub_settings["zuora_client_secret"] = "sandbox"
    hub_settings["nue_base_url"] = f"{base}/sandbox/nue"
    hub_settings["nue_api_key"] = "sandbox"


def checkout(base: str, data_dir: Path) -> requests.Response:
    """A storefront checkout through the started hub, with the token it registered at start."""
    token = json.loads((data_dir / "secrets.json").read_text())["SANDBOX_STOREFRONT_TOKEN"]
    return requests.post(f"{base}/api/v1/checkout", timeout=60, json={
        "customer": {"email": "ana@makerun.example", "first_name": "Ana", "last_name": "Diaz",
                     "company": "Make Run Inc"},
        "currency": "USD", "items": [{"sku": "PRO-MONTHLY", "quantity": 2}]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})


def stop_with_ctrl_c(proc, seconds: float = 60) -> str:
    """SIGINT to the whole group, as Ctrl-C at a terminal; the output once everything is gone.
    A hub that does not stop in time fails the test, and nothing of it is left running."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        return proc.communicate(timeout=seconds)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate()[0]
        pytest.fail(f"the hub was still running {seconds} s after Ctrl-C:\n{output}")


@pytest.mark.parametrize("provider", ["zuora", "nue"])
def test_make_run_serves_health_sandbox_and_billing_then_stops_on_ctrl_c(tmp_path, hub_settings, db,
                                                                         provider):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SANDBOX_STOREFRONT_TOKEN")}
    # A hub of its own: its own database, secrets and, on a shared Redis, its own queue (tasks other
    # tests left there are signed with another secret key).
    env.update(HUB_DATA_DIR=str(tmp_path), HUB_PORT=str(port), BILLING_PROVIDER=provider,
               DATABASE_URL=f"sqlite:///{tmp_path / 'hub.sqlite3'}", HUB_WEB_WORKERS="1",
               HUB_Q_NAME=f"make-run-{port}")
    proc = subprocess.Popen(["make", "--no-print-directory", f"--old-file={INSTALL_STAMP}", "run"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_health(f"{base}/api/v1/health", proc)
        assert health.json()["database"] == "ok"

        sf = Salesforce(username="hub@sandbox.example", password="sandbox", security_token="",
                        session=sandbox_session(f"{base}/sandbox/salesforce"))
        codes = {r["ProductCode"] for r in sf.query("SELECT ProductCode FROM Product2")["records"]}
        assert SKUS <= codes
        assert (tmp_path / "admin-password.txt").exists()

        point_billing_at(hub_settings, base)
        billing = billing_connector(provider=provider)
        assert SKUS <= set(billing.catalog())
        assert billing.find_account_by_email("ana@makerun.example") is None

        placed = checkout(base, tmp_path)
        assert placed.status_code == 201, placed.text
        order = billing.get_order(placed.json()["billing_order_number"])
        assert [(line.sku, line.quantity) for line in order.lines] == [("PRO-MONTHLY", 2)]
        assert order.customer.crm_id == placed.json()["salesforce_account_id"]
    finally:
        output = stop_with_ctrl_c(proc)
    # make itself dies of the SIGINT, as it does at a terminal; the hub under it stops cleanly.
    assert proc.returncode in (0, -signal.SIGINT, 2), output
    assert "Admin console" in output and f"Billing         {provider}" in output
    assert "Stopping the hub" in output and "Order Sync Hub stopped." in output
    assert "Traceback" not in output, output
