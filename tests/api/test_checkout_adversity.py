"""POST /api/v1/checkout on a bad day: answers lost after Salesforce committed, a busy match key,
carts billing would refuse, odd email addresses, and two API clients using one idempotency key.
Over HTTP against the live hub and the sandbox emulators."""
import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.models import CheckoutSession, Lease

from .test_checkout import accounts, body, sf_calls, sf_control

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def zuora(hub_settings, hub_url):
    hub_settings["billing_provider"] = "zuora"
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"paused": True}, timeout=10).raise_for_status()


@pytest.fixture
def sf(hub_url):
    return SalesforceConnector.from_settings()


@pytest.fixture
def post(hub_url, make_token):
    token = make_token("checkout")

    def send(payload, key=None, token=token):
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key or str(uuid.uuid4())}
        return requests.post(f"{hub_url}/api/v1/checkout", json=payload, headers=headers, timeout=60)

    return send


def contacts(sf):
    return sf.query("SELECT Id, AccountId, Email FROM Contact")


# --- a lost answer ---------------------------------------------------------------------------

@pytest.mark.parametrize("sobject, calls_before", [("Account", 1), ("Contact", 2)])
def test_a_create_whose_answer_was_lost_is_not_repeated_by_the_retry(post, sf, hub_url, hub_settings, sobject, calls_before):
    # A public-domain buyer: only their email could match them, and nothing holds it until the
    # Contact exists. Salesforce commits the write, then the hub stops waiting for the answer
    # (every time the hub sends it), so the checkout fails and the shop retries with its key.
    hub_settings["salesforce_read_timeout"] = 0.5
    key = str(uuid.uuid4())
    sf_control(hub_url, timeout_seconds=1.5, fail_next=[None] * calls_before + ["timeout_after_commit"] * 3)
    failed = post(body(email="solo@gmail.com", company=""), key=key)
    assert failed.status_code == 502, failed.text
    assert failed.json()["error"]["details"]["retryable"] is True
    sf_control(hub_url, fail_next=[])

    retried = post(body(email="solo@gmail.com", company=""), key=key)
    assert retried.status_code == 201, retried.text
    result = retried.json()
    [account] = accounts(sf)
    [contact] = contacts(sf)
    assert (result["account_match"], result["salesforce_account_id"], result["salesforce_contact_id"]) == \
        ("created", account["Id"], contact["Id"])
    assert (contact["AccountId"], contact["Email"]) == (account["Id"], "solo@gmail.com")
    time.sleep(1.5)  # the emulator still holds the last lost answer; let it go before the test ends


@pytest.mark.parametrize("lost", ["POST customers", "POST orders"])
def test_a_nue_create_whose_answer_was_lost_is_made_once_when_the_checkout_is_retried(post, hub_url, hub_settings,
                                                                                    lost):
    # Nue keeps no idempotency key: the retry finds what the lost call made instead of making another.
    from sandbox.nue.models import Customer, Order

    hub_settings.update(billing_provider="nue", billing_read_timeout=0.5)
    requests.post(f"{hub_url}/sandbox/nue/_control", timeout=10, json={
        "idempotency_keys": False, "timeout_seconds": 1.5,
        "fail_next": [f"timeout_after_commit {lost}"]}).raise_for_status()
    key = str(uuid.uuid4())
    failed = post(body(), key=key)
    assert failed.status_code == 502, failed.text
    assert failed.json()["error"]["details"]["retryable"] is True
    time.sleep(1.5)  # the emulator finishes holding the lost answer back

    retried = post(body(), key=key)
    assert retried.status_code == 201, retried.text
    [customer] = Customer.objects.all()
    [order] = Order.objects.all()
    assert (retried.json()["billing_order_number"], retried.json()["billing_account_number"]) == (order.id, customer.id)
    assert order.status == "Activated"  # the checkout's order, paid


# --- a busy match key ------------------------------------------------------------------------

def test_a_checkout_waits_briefly_for_a_busy_match_key_then_answers_503_with_retry_after(post, sf, hub_url, hub_settings):
    hub_settings["checkout_match_wait"] = 0.5
    # Another checkout of the same buyer holds the match key (in another process, say).
    held = Lease.objects.create(key="match:email:solo@gmail.com", holder="other",
                                expires_at=timezone.now() + timedelta(minutes=5))
    key = str(uuid.uuid4())
    busy = post(body(email="solo@gmail.com", company=""), key=key)
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"] == "1"
    error = busy.json()["error"]
    assert (error["code"], error["details"]) == ("checkout_busy", {"retryable": True})
    assert accounts(sf) == []
    session = CheckoutSession.objects.get(idempotency_key=key)
    assert (session.status, session.response_status, session.response) == ("failed", 503, busy.json())

    held.delete()
    done = post(body(email="solo@gmail.com", company=""), key=key)
    assert done.status_code == 201, done.text
    assert len(accounts(sf)) == 1


# --- what billing would refuse -----------------------------------------------------------------

@pytest.mark.parametrize("provider", ["zuora", "nue"])
def test_a_currency_the_catalog_does_not_price_is_400_before_salesforce_is_touched(post, sf, hub_url, hub_settings,
                                                                                 provider):
    hub_settings["billing_provider"] = provider
    calls = sf_calls(hub_url)
    key = str(uuid.uuid4())
    refused = post({**body(), "currency": "EUR"}, key=key)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_request" and "PRO-MONTHLY" in error["details"]["currency"][0]
    assert sf_calls(hub_url) == calls  # not even a query
    assert accounts(sf) == [] and contacts(sf) == []
    session = CheckoutSession.objects.get(idempotency_key=key)
    assert (session.status, session.response_status, session.response) == ("rejected", 400, refused.json())


def test_every_session_records_the_answer_it_gave(post, hub_url):
    key = str(uuid.uuid4())
    sf_control(hub_url, fail_next=["503"] * 6)
    failed = post(body(), key=key)
    assert failed.status_code == 502
    session = CheckoutSession.objects.get(idempotency_key=key)
    assert (session.status, session.response_status, session.response) == ("failed", 502, failed.json())
    sf_control(hub_url, fail_next=[])
    done = post(body(), key=key)
    session.refresh_from_db()
    assert (session.status, session.response_status, session.response) == ("completed", 201, done.json())


# --- email addresses -----------------------------------------------------------------------------

def test_an_internationalised_domain_is_matched_in_its_ascii_form_whatever_its_case(post, sf):
    first = post(body(email="ana@exämple.com", company="Exämple"))
    assert first.status_code == 201, first.text
    contact = sf.get("Contact", first.json()["salesforce_contact_id"])
    assert contact["Email"] == "ana@xn--exmple-cua.com"
    assert sf.get("Account", first.json()["salesforce_account_id"])["Website"] == "xn--exmple-cua.com"

    again = post(body(email="ANA@EXÄMPLE.COM", company="Exämple"))
    assert again.status_code == 201, again.text
    assert (again.json()["account_match"], again.json()["salesforce_account_id"]) == \
        ("contact_email", first.json()["salesforce_account_id"])
    colleague = post(body(email="bo@xn--exmple-cua.com", company="Exämple"))
    assert (colleague.json()["account_match"], colleague.json()["salesforce_account_id"]) == \
        ("email_domain", first.json()["salesforce_account_id"])


@pytest.mark.parametrize("email", ["ana@[127.0.0.1]", "ana@localhost", "ana@[IPv6:::1]"])
def test_addresses_without_a_domain_name_are_400_naming_the_field(post, sf, email):
    response = post(body(email=email))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["details"]["customer"]["email"]
    assert accounts(sf) == []


# --- idempotency keys belong to their client ----------------------------------------------------

def test_another_clients_key_and_body_do_not_replay_the_first_clients_answer(post, make_token, sf):
    key = str(uuid.uuid4())
    first = post(body(), key=key)
    assert first.status_code == 201
    other = post(body(), key=key, token=make_token("checkout", name="other-shop"))
    assert other.status_code == 201, other.text
    assert other.json()["checkout_id"] != first.json()["checkout_id"]
    assert other.json()["billing_order_number"] != first.json()["billing_order_number"]
    assert CheckoutSession.objects.filter(idempotency_key=key).count() == 2
    # Another client's key is no conflict either.
    changed = post(body(items=[{"sku": "TEAM-ANNUAL", "quantity": 1}]), key=key,
                   token=make_token("checkout", name="third-shop"))
    assert changed.status_code == 201, changed.text
