"""The logs of a full run (an admin login, a checkout, the webhook-driven sync in a real worker
cluster, refused requests), at DEBUG so the libraries talk too: JSON lines carrying request and job
ids, and not one of the secrets and tokens that the run used."""
import json
import logging
import re
import secrets
import uuid

import pytest
import requests
import structlog
from django.contrib.auth import get_user_model

from sandbox.salesforce.models import Session
from sandbox.zuora.models import Token
from syncapp.models import OrderLink, SyncJob
from tests.e2e.conftest import wait_until, worker_cluster  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)
# The Salesforce emulator takes any password that starts with "sandbox" (as if a security token
# followed it): distinctive values can be searched for. Zuora's client secret and Nue's API key
# can only be "sandbox", so the search for those is for the word standing alone as a value.
SF_PASSWORD = f"sandbox{secrets.token_hex(8)}"
SF_SECURITY_TOKEN = secrets.token_hex(8)
ADMIN_PASSWORD = secrets.token_urlsafe(16)
LONE_SANDBOX = re.compile(r"(?<![\w/@.\-])sandbox(?![\w.\-])")  # not in a path, a host or an email
SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/]{43}=")  # an HMAC-SHA256 in Standard Webhooks' form


@pytest.fixture(params=["zuora", "nue"])
def provider(request, hub_settings, hub_url, monkeypatch, tmp_path):
    """Settings for this process and, through the environment, for the worker cluster."""
    hub_settings["billing_provider"] = request.param
    hub_settings["salesforce_password"], hub_settings["salesforce_security_token"] = SF_PASSWORD, SF_SECURITY_TOKEN
    for name, value in {"SALESFORCE_PASSWORD": SF_PASSWORD, "SALESFORCE_SECURITY_TOKEN": SF_SECURITY_TOKEN,
                        "HUB_LOG_LEVEL": "DEBUG"}.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield request.param
    root.setLevel(level)


@pytest.fixture
def hub_log(hub_settings):
    """The lines the hub appends to its log file (HUB_DATA_DIR/hub.log) from now on."""
    path = hub_settings["data_dir"] / "hub.log"
    start = path.stat().st_size if path.exists() else 0

    def read() -> list[str]:
        with open(path, encoding="utf-8") as fh:
            fh.seek(start)
            return fh.read().splitlines()

    return read


def admin_login(hub_url) -> requests.Session:
    get_user_model().objects.create_superuser("ops", "ops@example.com", ADMIN_PASSWORD)
    browser = requests.Session()
    browser.get(f"{hub_url}/admin/login/", timeout=30)
    response = browser.post(f"{hub_url}/admin/login/?next=/admin/", timeout=30, data={
        "username": "ops", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        "next": "/admin/"}, headers={"Referer": f"{hub_url}/admin/login/"})
    assert response.status_code == 200 and "sessionid" in browser.cookies
    return browser


def checkout(hub_url, token, request_id):
    email = f"logs-{uuid.uuid4().hex[:8]}@acme.io"
    body = {"customer": {"email": email, "first_name": "Ana", "last_name": "Diaz", "company": "Acme Inc"},
            "currency": "USD", "items": [{"sku": "PRO-MONTHLY", "quantity": 3}]}
    response = requests.post(f"{hub_url}/api/v1/checkout", json=body, timeout=60, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()), "X-Request-ID": request_id})
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == request_id
    return response.json()


def test_a_full_run_logs_json_with_ids_and_no_secret(provider, hub_log, worker_cluster, hub_url,  # noqa: F811
                                                     make_token, hub_settings, tmp_path):
    token = make_token("checkout")
    browser = admin_login(hub_url)
    assert browser.get(f"{hub_url}/admin/syncapp/syncjob/", timeout=30).status_code == 200

    request_id = f"storefront-{uuid.uuid4().hex[:12]}"
    order_id = checkout(hub_url, token, request_id)["billing_order_number"]
    # The billing emulator's signed webhook brings the order to the worker cluster.
    link = wait_until(lambda: OrderLink.objects.filter(billing_order_id=order_id, salesforce_order_id__gt="")
                      .first(), message="the webhook-driven sync")
    job = wait_until(lambda: SyncJob.objects.filter(subject=order_id).exclude(status__in=SyncJob.ACTIVE)
                     .first(), message="the job to settle")
    assert link and job.status == SyncJob.Status.SUCCEEDED

    refused = [
        requests.post(f"{hub_url}/api/v1/webhooks/{provider}", json={"type": "order.created", "data": {}},
                      headers={"webhook-id": "msg_forged", "webhook-timestamp": "1",
                               "webhook-signature": "v1,Zm9yZ2VkIHNpZ25hdHVyZSBvZiB0aGlydHktdHdvIGI="}),
        requests.post(f"{hub_url}/api/v1/checkout", json={}, headers={"Authorization": f"Bearer {token}x"}),
    ]
    assert [r.status_code for r in refused] == [401, 401]
    wait_until(lambda: requests.get(f"{hub_url}/sandbox/webhooks/_control", timeout=10)
               .json()["counts"]["pending"] == 0, message="the emulator's deliveries")

    lines = hub_log() + (tmp_path / "qcluster.log").read_text().splitlines()
    text = "\n".join(lines)
    webhook_secret = hub_settings[f"{provider}_webhook_secret"]
    used = {"the API token": token, "the webhook secret": webhook_secret,
            "the webhook secret's key": webhook_secret.removeprefix("whsec_"),
            "the Salesforce password": SF_PASSWORD, "the Salesforce security token": SF_SECURITY_TOKEN,
            "the admin password": ADMIN_PASSWORD, "the admin session id": browser.cookies["sessionid"],
            "the CSRF token": browser.cookies["csrftoken"]}
    used |= {f"Salesforce session {i}": s for i, s in enumerate(Session.objects.values_list("key", flat=True))}
    used |= {f"Zuora access token {i}": t for i, t in enumerate(Token.objects.values_list("access_token", flat=True))}
    assert len(used) > 8 and len(lines) > 50  # the run logged, and its Salesforce sessions are known
    assert [name for name, secret in used.items() if secret in text] == []
    assert LONE_SANDBOX.findall(text) == [], "Zuora's client secret or Nue's API key"
    assert SIGNATURE.findall(text) == [], "a webhook signature"

    # Every line is a JSON object.
    records = [json.loads(line) for line in lines if line.strip()]
    assert all({"event", "level", "timestamp"} <= set(r) for r in records)
    # Every line of a request carries its id, the libraries' lines (urllib3, Django) too.
    of_checkout = [r for r in records if r.get("request_id") == request_id]
    assert {r["logger"] for r in of_checkout} >= {"syncapp.request", "urllib3.connectionpool"}
    assert all("request_id" in r for r in records if r["logger"] in ("syncapp.request", "django.request"))
    assert any(r["logger"] == "django.request" and r["status_code"] == 401 for r in records)
    # Every line of the job's run carries the job id, from the worker cluster's processes.
    of_job = [r for r in records if r.get("job_id") == job.pk]
    assert {r["logger"] for r in of_job} >= {"syncapp.tasks", "urllib3.connectionpool"}
    assert any(r["event"] == "job run" and r["status"] == "succeeded" for r in of_job)


def test_secrets_logged_by_mistake_are_redacted(hub_log):
    """The redaction itself, through the hub's logging configuration: secrets in messages, their
    arguments, extras, nested headers, tracebacks, SOAP bodies and URLs."""
    token = f"osh_{secrets.token_urlsafe(32)}"
    session_id = f"00D000000000001!{secrets.token_urlsafe(40)}"
    webhook_secret = f"whsec_{secrets.token_urlsafe(24)}"
    signature = f"v1,{secrets.token_urlsafe(32)[:43]}="
    redis_password = secrets.token_hex(8)
    log = logging.getLogger("syncapp.tests")
    log.warning("calling with %s", {"Authorization": f"Bearer {token}", "password": SF_PASSWORD})
    log.warning("login <urn:password>%s</urn:password>", SF_PASSWORD + SF_SECURITY_TOKEN)
    log.warning("answer <sessionId>%s</sessionId> and Authorization: OAuth %s", session_id, session_id)
    log.info("form", extra={"client_secret": "sandbox", "body": f"grant_type=password&password={SF_PASSWORD}"})
    log.info("delivery", extra={"headers": {"webhook-signature": signature, "nue-api-key": "sandbox"}})
    try:
        raise RuntimeError(f"refused client_secret={SF_SECURITY_TOKEN} with {webhook_secret}")
    except RuntimeError:
        log.exception("failed")
    structlog.get_logger("syncapp.tests").warning("native", api_token=token,
                                                  broker=f"redis://:{redis_password}@cache:6379/0")

    lines = [line for line in hub_log() if '"syncapp.tests"' in line]
    assert len(lines) == 7
    text = "\n".join(lines)
    for secret in (token, session_id, webhook_secret, signature, SF_PASSWORD, SF_SECURITY_TOKEN, redis_password):
        assert secret not in text
    assert LONE_SANDBOX.findall(text) == []
    records = [json.loads(line) for line in lines]
    assert records[-1]["broker"] == "redis://:[redacted]@cache:6379/0"
    assert "RuntimeError" in records[5]["exception"]  # the traceback is kept, its secrets are not
