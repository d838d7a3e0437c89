"""One Salesforce Account per match key whatever the timing, and checkouts that cannot hold the
web threads: slow Salesforce (latency, timeouts) and bursts for one buyer or one organisation,
over HTTP, on whichever database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL)."""
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread
from standardwebhooks import Webhook

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.models import Lease, WebhookEvent
from syncapp.sync import checkout as checkout_service
from tests import shop
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def sf_control(hub_url, **config):
    requests.post(f"{hub_url}/sandbox/salesforce/_control", json=config, timeout=10).raise_for_status()


def cart(email, company=""):
    return {"customer": {"email": email, "first_name": "Ana", "last_name": "Diaz", "company": company},
            "currency": "USD", "items": [{"sku": "PRO-MONTHLY", "quantity": 1}]}


@pytest.fixture(autouse=True)
def quiet_billing(hub_url, hub_settings):
    hub_settings["billing_provider"] = "zuora"
    # The billing emulator keeps its order events: these tests are about checkout alone.
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"paused": True}, timeout=10).raise_for_status()


@pytest.fixture
def short_lease(monkeypatch, hub_settings):
    """The match lease's life and Salesforce's read timeout, scaled down from 60 s and 30 s so a
    holder slowed by one timeout outlives an unrenewed lease within seconds."""
    monkeypatch.setattr(checkout_service, "MATCH_LEASE", timedelta(seconds=1.5))
    hub_settings["salesforce_read_timeout"] = 1.0


def salesforce_records():
    sf = SalesforceConnector.from_settings()
    return sf.query("SELECT Id FROM Account"), sf.query("SELECT Id, AccountId, Email FROM Contact")


def test_a_holder_slowed_by_a_timeout_keeps_its_match_key(hub_url, make_token, short_lease):
    # Two checkouts of one gmail buyer (nothing but the Contact's email can match them), the
    # second while the first waits out a Salesforce timeout longer than the lease's life.
    token = make_token("checkout")
    sf_control(hub_url, latency_ms=500, timeout_seconds=2.0, fail_next=["timeout"])
    answers = {}
    first = threading.Thread(target=lambda: answers.update(first=shop.checkout(hub_url, token, cart("ana@gmail.com"))))
    first.start()
    wait_until(lambda: Lease.objects.filter(key__startswith="match:").exists(), timeout=30,
               message="the first checkout to hold the match key")
    answers["second"] = shop.checkout(hub_url, token, cart("ana@gmail.com"))
    first.join()
    sf_control(hub_url, latency_ms=0)

    assert [answers[k].status_code for k in ("first", "second")] == [201, 201], \
        [answers[k].text for k in ("first", "second")]
    accounts, contacts = salesforce_records()
    assert len(accounts) == 1, f"{len(accounts)} Accounts for one buyer"
    assert [(c["AccountId"], c["Email"]) for c in contacts] == [(accounts[0]["Id"], "ana@gmail.com")]
    assert {answers[k].json()["salesforce_account_id"] for k in answers} == {accounts[0]["Id"]}
    assert sorted(answers[k].json()["account_match"] for k in answers) == ["contact_email", "created"]


BURST = 30


@pytest.mark.parametrize("email_of, company", [
    (lambda i: "ana@gmail.com", ""),  # one buyer, thirty tabs
    (lambda i: f"buyer{i}@burst.dev", "Burst Ltd"),  # one new organisation, thirty buyers
], ids=["one-buyer", "one-domain"])
def test_thirty_concurrent_checkouts_for_one_match_key_with_timeouts_make_one_account(
        hub_url, make_token, monkeypatch, hub_settings, email_of, company):
    # Leases shorter than a timed-out call: holders lose them mid-way, and the next takes over.
    monkeypatch.setattr(checkout_service, "MATCH_LEASE", timedelta(seconds=0.6))
    hub_settings["salesforce_read_timeout"] = 0.5
    sf_control(hub_url, latency_ms=100, timeout_seconds=0.8, fault_rates={"timeout": 0.1})
    token = make_token("checkout")
    start = threading.Barrier(BURST, timeout=30)

    def buy(i):
        with requests.Session() as session:
            start.wait()
            return shop.checkout(hub_url, token, cart(email_of(i), company), session=session)

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(buy, range(BURST)))
    sf_control(hub_url, latency_ms=0, fault_rates={})

    failed = [(a.status_code, a.text[:300]) for a in answers if a.status_code != 201]
    assert not failed, f"{len(failed)} of {BURST} checkouts failed: {failed[:3]}"
    accounts, contacts = salesforce_records()
    assert len(accounts) == 1, f"{len(accounts)} Accounts for one match key"
    assert {a.json()["salesforce_account_id"] for a in answers} == {accounts[0]["Id"]}
    assert {c["AccountId"] for c in contacts} == {accounts[0]["Id"]}
    assert sorted(c["Email"] for c in contacts) == sorted({email_of(i) for i in range(BURST)})
    time.sleep(1)  # answers the emulator still holds past a timeout go out before the test ends


# --- webhook intake beside a checkout burst ------------------------------------------------------

WEB_THREADS = 8  # gunicorn's gthread worker serves each process with a fixed pool (Procfile: 8)


class PooledWSGIServer(WSGIServer):
    """The web server as production runs it: a fixed number of threads serve every request, so a
    request that holds a thread keeps the next one in the queue. One request per connection
    (Django answers `Connection: close` outside a ThreadingMixIn server): gunicorn parks idle
    keep-alive connections outside its threads too."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(WEB_THREADS)

    def process_request(self, request, client_address):
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            connections.close_all()

    def server_close(self):
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


class PooledLiveServer(LiveServerThread):
    server_class = PooledWSGIServer


@pytest.fixture
def web(hub_url):
    """The hub's web server with a fixed thread pool (the emulators stay on `hub_url`)."""
    server = PooledLiveServer("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


def deliver(base_url, secret, order_id):
    body = json.dumps({"type": "order.updated", "created_at": "2026-11-22T10:00:00Z",
                       "data": {"order_id": order_id, "account_id": "A-1"}})
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign(msg_id, now, body), "Content-Type": "application/json"}
    return requests.post(f"{base_url}/api/v1/webhooks/zuora", data=body, headers=headers, timeout=120)


def test_webhook_intake_does_not_wait_behind_a_checkout_burst(web, hub_url, make_token, hub_settings):
    # Thirty buyers of one new organisation press "pay" together, more than the server has threads;
    # Salesforce answers slowly, so the match key is busy for the whole burst. Signed deliveries
    # sent once the burst holds the key are answered before a few checkouts have finished: the
    # burst does not hold the threads they need.
    sf_control(hub_url, latency_ms=150)
    token = make_token("checkout")
    completed = []  # checkouts in the order they got their final answer
    lock = threading.Lock()

    def buy(i):
        answer = shop.checkout(web, token, cart(f"buyer{i}@burst.dev", "Burst Ltd"))
        with lock:
            completed.append(answer.status_code)
        return answer

    with ThreadPoolExecutor(BURST) as pool:
        burst = [pool.submit(buy, i) for i in range(BURST)]
        wait_until(lambda: Lease.objects.filter(key__startswith="match:").exists(), timeout=60,
                   message="the burst to hold the match key")
        before_webhooks = len(completed)
        webhooks = []
        for n in range(5):
            answer = deliver(web, hub_settings["zuora_webhook_secret"], f"O-{n}")
            with lock:
                webhooks.append((answer.status_code, len(completed)))
        answers = [f.result() for f in burst]
    sf_control(hub_url, latency_ms=0)

    assert [status for status, _ in webhooks] == [202] * 5
    assert WebhookEvent.objects.count() == 5
    assert [a.status_code for a in answers] == [201] * BURST, [a.text[:200] for a in answers if a.status_code != 201]
    # Checkouts that finished while the deliveries were sent: a few at most, not the burst.
    finished_meanwhile = webhooks[-1][1] - before_webhooks
    assert finished_meanwhile < BURST // 3, f"the deliveries waited for {finished_meanwhile} checkouts"
