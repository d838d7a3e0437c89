"""Health against the live hub and sandbox: each part checked for real, each failure named."""
import socket
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from syncapp.jobs import heartbeat
from syncapp.models import Cursor
from tests.e2e.conftest import wait_until, worker_cluster  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def health(hub_url):
    response = requests.get(f"{hub_url}/api/v1/health", timeout=30)
    return response.status_code, response.json()


def test_every_part_is_ok_once_a_worker_has_run_the_sweeper(worker_cluster, hub_url, hub_settings):  # noqa: F811
    hub_settings["queue_grace_seconds"] = 0  # "starting" would not do: a real worker must be seen
    body = wait_until(lambda: (b := health(hub_url)[1])["queue"] == "ok" and b,
                      message="the cluster's first sweep")
    status, body = health(hub_url)
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "queue": "ok", "salesforce": "ok", "billing": "ok",
                    "billing_provider": "zuora"}


def test_nue_is_probed_when_it_is_the_billing_provider(hub_url, hub_settings):
    hub_settings["billing_provider"] = "nue"
    heartbeat.beat()
    assert health(hub_url) == (200, {"status": "ok", "database": "ok", "queue": "ok", "salesforce": "ok",
                                     "billing": "ok", "billing_provider": "nue"})


def test_a_hub_just_started_is_healthy_before_its_first_sweep(hub_url, hub_settings):
    hub_settings["queue_grace_seconds"] = 3600
    status, body = health(hub_url)
    assert (status, body["status"], body["queue"]) == (200, "ok", "starting")


def test_no_worker_seen_is_503_naming_the_queue(hub_url, hub_settings):
    hub_settings["queue_grace_seconds"] = 0
    status, body = health(hub_url)
    assert (status, body["status"], body["queue"]) == (503, "error", "no worker seen")
    assert body["database"] == "ok"


def test_a_worker_gone_quiet_is_503_naming_the_queue(hub_url, hub_settings):
    hub_settings["queue_grace_seconds"] = 0
    long_ago = timezone.now() - timedelta(seconds=hub_settings["queue_stale_seconds"] + 60)
    Cursor.objects.create(name=heartbeat.HEARTBEAT, value=long_ago.isoformat())
    status, body = health(hub_url)
    assert (status, body["queue"]) == (503, f"no worker seen since {long_ago.isoformat()}")


def test_database_down_is_503_naming_it(client, hub_url, settings, tmp_path):
    heartbeat.beat()
    health(hub_url)  # the vendor checks are cached now: the emulators share the broken database
    db = connection.settings_dict
    saved = dict(db)
    if connection.vendor == "sqlite":
        db["NAME"] = str(tmp_path / "no-such-dir" / "hub.sqlite3")
    else:
        db.update(HOST="127.0.0.1", PORT=str(closed_port()))
    connection.close()
    try:
        response = client.get("/api/v1/health")  # in this thread, on the broken connection
    finally:
        connection.close()
        db.update(saved)
    body = response.json()
    assert (response.status_code, body["status"]) == (503, "error")
    assert body["database"] == "error: OperationalError"


def test_salesforce_unreachable_is_named_and_only_degrades(hub_url, hub_settings):
    heartbeat.beat()
    hub_settings["salesforce_instance_url"] = f"http://127.0.0.1:{closed_port()}/sandbox/salesforce"
    status, body = health(hub_url)
    assert (status, body["status"]) == (200, "degraded")
    assert body["salesforce"] == "error: connection_error"
    assert (body["database"], body["queue"], body["billing"]) == ("ok", "ok", "ok")


def test_billing_unreachable_is_named_and_only_degrades(hub_url, hub_settings):
    heartbeat.beat()
    hub_settings["zuora_base_url"] = f"http://127.0.0.1:{closed_port()}/sandbox/zuora"
    status, body = health(hub_url)
    assert (status, body["status"], body["billing"], body["salesforce"]) == (
        200, "degraded", "error: connection_error", "ok")


def test_vendor_checks_are_cached_so_health_is_no_load_multiplier(hub_url, settings):
    heartbeat.beat()

    def salesforce_calls():
        return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()["counts"]["total"]

    health(hub_url)
    before = salesforce_calls()
    for _ in range(3):
        assert health(hub_url)[0] == 200
    assert salesforce_calls() == before
