"""POST /api/v1/checkout through HTTP against the live hub and the sandbox emulators, for both
billing providers."""
import threading
import time
import uuid

import pytest
import requests

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import Customer
from syncapp.models import CheckoutSession, Lease, SyncAttempt, SyncSettings
from tests import shop
from tests.salesforce_seed import create_records

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    return request.param


@pytest.fixture(autouse=True)
def no_outbound_webhooks(hub_url):
    """The billing emulators keep their order events instead of sending them: checkout needs none,
    and a delivery still arriving when the test ends would race the database flush (PostgreSQL
    answers the TRUNCATE with a deadlock)."""
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"paused": True}, timeout=10).raise_for_status()


@pytest.fixture
def sf(hub_url):
    return SalesforceConnector.from_settings()


@pytest.fixture
def billing(provider):
    return billing_connector()


@pytest.fixture
def post_checkout(hub_url, make_token):
    token = make_token("checkout")

    def post(body, key=None, token=token):
        headers = {"Authorization": f"Bearer {token}"}
        if key is not False:
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        return requests.post(f"{hub_url}/api/v1/checkout", json=body, headers=headers, timeout=60)

    return post


def body(email="ana@acme.io", company="Acme Inc", items=None, **customer):
    return {"customer": {"email": email, "first_name": "Ana", "last_name": "Diaz", "company": company,
                         "phone": "+1 555 0100",
                         "address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                                     "postal_code": "78701", "country": "US"}, **customer},
            "currency": "USD", "items": items or [{"sku": "PRO-MONTHLY", "quantity": 3}],
            "order_date": "2026-11-22"}


def sf_control(hub_url, **config):
    return requests.post(f"{hub_url}/sandbox/salesforce/_control", json=config, timeout=10).json()


def sf_state(hub_url) -> dict:
    return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=10).json()


def sf_calls(hub_url) -> int:
    return sf_state(hub_url)["counts"]["total"]


def sf_fail_after(hub_url, calls: int) -> None:
    """Let `calls` more Salesforce data calls through, then refuse the rest with
    REQUEST_LIMIT_EXCEEDED (the daily allocation runs out): `fail_next` always takes the very next
    call, so this is how a test fails a later one."""
    sf_control(hub_url, daily_limit=sf_state(hub_url)["api_usage"] + calls)


def wait_until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)


def accounts(sf):
    return sf.query("SELECT Id, Name, Website FROM Account ORDER BY CreatedDate")


def test_new_customer_creates_account_contact_and_billing_order_carrying_the_crm_id(post_checkout, sf, billing):
    response = post_checkout(body())
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["status"] == "completed" and result["account_match"] == "created"

    account = sf.get("Account", result["salesforce_account_id"])
    assert account["Name"] == "Acme Inc" and account["Website"] == "acme.io"
    assert account["BillingCity"] == "Austin"
    contact = sf.get("Contact", result["salesforce_contact_id"])
    assert (contact["Email"], contact["FirstName"], contact["LastName"], contact["AccountId"]) == \
        ("ana@acme.io", "Ana", "Diaz", account["Id"])

    order = billing.get_order(result["billing_order_number"])
    assert order.account_id == result["billing_account_number"]
    assert [(line.sku, int(line.quantity)) for line in order.lines] == [("PRO-MONTHLY", 3)]
    assert billing.get_account(result["billing_account_number"]).crm_id == account["Id"]


def test_every_outside_call_of_a_checkout_is_a_sync_attempt(post_checkout, provider):
    result = post_checkout(body()).json()
    attempts = list(SyncAttempt.objects.filter(checkout_id=result["checkout_id"]))
    operations = {(a.vendor, a.operation) for a in attempts}
    assert {("salesforce", "query"), ("salesforce", "upsert Account"), ("salesforce", "upsert Contact"),
            (provider, "catalog"), (provider, "create_order")} <= operations
    for attempt in attempts:
        assert attempt.method and attempt.url and attempt.duration_ms > 0 and attempt.response_excerpt, attempt
        if attempt.ok:
            assert attempt.error_code == "" and 200 <= attempt.status_code < 300, attempt
        else:  # the only failure: a billing token cached from an earlier test, refused and renewed
            assert (attempt.vendor, attempt.status_code, attempt.error_code) == (provider, 401, "unauthorized")
    created = next(a for a in attempts if a.operation == "upsert Account")
    assert created.method == "PATCH" and '"Acme Inc"' in created.request_excerpt
    assert result["salesforce_account_id"] in created.response_excerpt
    order = next(a for a in attempts if a.operation == "create_order")
    # The CRM id on the new billing account: inside Zuora's order, or on the Nue customer created
    # just before it (Nue's order only names its customer).
    new_account = next((a for a in attempts if a.operation == "create_account"), order)
    assert result["salesforce_account_id"] in new_account.request_excerpt
    assert result["billing_order_number"] in order.response_excerpt


def test_without_company_the_account_is_named_after_the_person(post_checkout, sf):
    result = post_checkout(body(email="solo@gmail.com", company="")).json()
    account = sf.get("Account", result["salesforce_account_id"])
    assert account["Name"] == "Ana Diaz" and not account.get("Website")


def test_match_by_contact_email_is_case_insensitive_and_creates_nothing_in_salesforce(post_checkout, sf):
    account_id = sf.create("Account", {"Name": "Globex"})
    contact_id = sf.create("Contact", {"LastName": "Diaz", "Email": "Ana@Globex.com", "AccountId": account_id})
    before = len(accounts(sf))
    result = post_checkout(body(email="ana@globex.COM", company="Something Else")).json()
    assert (result["account_match"], result["salesforce_account_id"], result["salesforce_contact_id"]) == \
        ("contact_email", account_id, contact_id)
    assert len(accounts(sf)) == before
    assert len(sf.query("SELECT Id FROM Contact")) == 1


def test_match_by_website_domain_adds_a_contact_to_that_account(post_checkout, sf):
    account_id = sf.create("Account", {"Name": "Acme", "Website": "https://www.acme.io/about"})
    result = post_checkout(body()).json()
    assert (result["account_match"], result["salesforce_account_id"]) == ("email_domain", account_id)
    contact = sf.get("Contact", result["salesforce_contact_id"])
    assert contact["AccountId"] == account_id and contact["Email"] == "ana@acme.io"


def test_match_by_another_contacts_domain(post_checkout, sf):
    account_id = sf.create("Account", {"Name": "Initech"})
    sf.create("Contact", {"LastName": "Lumbergh", "Email": "bill@initech.com", "AccountId": account_id})
    result = post_checkout(body(email="peter@initech.com")).json()
    assert (result["account_match"], result["salesforce_account_id"]) == ("email_domain", account_id)


def test_public_mail_domain_is_never_matched(post_checkout, sf):
    gmail_account = sf.create("Account", {"Name": "Someone", "Website": "gmail.com"})
    sf.create("Contact", {"LastName": "Other", "Email": "other@gmail.com", "AccountId": gmail_account})
    result = post_checkout(body(email="ana@gmail.com", company="")).json()
    assert result["account_match"] == "created"
    assert result["salesforce_account_id"] != gmail_account


def test_several_matches_pick_the_oldest_and_record_the_others(post_checkout, sf):
    older = sf.create("Account", {"Name": "Acme (old)", "Website": "acme.io"})
    newer = sf.create("Account", {"Name": "Acme (new)", "Website": "http://acme.io"})
    result = post_checkout(body()).json()
    assert result["salesforce_account_id"] == older
    assert CheckoutSession.objects.get(pk=result["checkout_id"]).other_matches == [newer]


def test_returning_customer_reuses_their_billing_account(post_checkout, billing):
    first = post_checkout(body()).json()
    second = post_checkout(body(items=[{"sku": "ADDON-SEATS", "quantity": 2}])).json()
    assert second["account_match"] == "contact_email"
    assert second["billing_account_number"] == first["billing_account_number"]
    assert second["billing_order_number"] != first["billing_order_number"]


@pytest.mark.parametrize("share", [False, True])
def test_a_colleague_gets_the_accounts_billing_account_only_when_staff_share_them(post_checkout, share):
    SyncSettings.objects.update_or_create(pk=1, defaults={"share_billing_account": share})
    first = post_checkout(body()).json()
    colleague = post_checkout(body(email="bo@acme.io", first_name="Bo")).json()
    assert (colleague["account_match"], colleague["salesforce_account_id"]) == \
        ("email_domain", first["salesforce_account_id"])
    assert (colleague["billing_account_number"] == first["billing_account_number"]) is share
    assert colleague["billing_order_number"] != first["billing_order_number"]


def test_returning_billing_customer_without_crm_id_gets_it_set(post_checkout, billing):
    existing = billing.create_account(
        Customer(name="Acme", email="ana@acme.io", currency="USD"), idempotency_key=str(uuid.uuid4()))
    result = post_checkout(body()).json()
    assert result["billing_account_number"] == existing.account_id
    assert billing.get_account(existing.account_id).crm_id == result["salesforce_account_id"]


def test_duplicate_rule_refusal_resolves_to_the_named_record(post_checkout, sf, hub_url):
    private = sf.create("Contact", {"LastName": "Diaz", "Email": "ana@acme.io"})  # no Account: not matched
    sf_control(hub_url, duplicate_rules=True)
    result = post_checkout(body()).json()
    assert result["account_match"] == "created"
    assert result["salesforce_contact_id"] == private
    assert sf.get("Contact", private)["AccountId"] == result["salesforce_account_id"]  # no longer private
    assert len(sf.query("SELECT Id FROM Contact")) == 1


def test_duplicate_rule_refusing_the_account_resolves_to_the_named_account(post_checkout, sf, hub_url):
    # More lookalike Websites (shop.acme.io) than the domain search reads: it never sees the real
    # acme.io Account, so the hub tries to create one and the Account duplicate rule names it.
    for start in range(0, 200, 100):
        create_records(sf, [{"attributes": {"type": "Account"}, "Name": f"Shop {i}",
                               "Website": "https://shop.acme.io"} for i in range(start, start + 100)])
    real = sf.create("Account", {"Name": "Acme", "Website": "https://www.acme.io"})
    sf_control(hub_url, duplicate_rules=True)
    result = post_checkout(body()).json()
    assert result["salesforce_account_id"] == real
    refused = SyncAttempt.objects.get(checkout_id=result["checkout_id"], operation="upsert Account")
    assert (refused.ok, refused.error_code) == (False, "DUPLICATES_DETECTED")
    assert len(accounts(sf)) == 201
    contact = sf.get("Contact", result["salesforce_contact_id"])
    assert (contact["AccountId"], contact["Email"]) == (real, "ana@acme.io")


def test_same_key_and_body_replays_without_calling_anything(post_checkout, sf, hub_url):
    key = str(uuid.uuid4())
    first = post_checkout(body(), key=key)
    calls = sf_calls(hub_url)
    attempts = SyncAttempt.objects.count()
    again = post_checkout(body(), key=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert sf_calls(hub_url) == calls and SyncAttempt.objects.count() == attempts


def test_same_key_with_another_body_is_a_conflict(post_checkout):
    key = str(uuid.uuid4())
    assert post_checkout(body(), key=key).status_code == 201
    response = post_checkout(body(items=[{"sku": "TEAM-ANNUAL", "quantity": 1}]), key=key)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_unknown_sku_is_refused_before_anything_is_created(post_checkout, sf):
    response = post_checkout(body(items=[{"sku": "PRO-MONTHLY", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_sku"
    assert response.json()["error"]["details"]["skus"] == ["NOPE"]
    assert accounts(sf) == [] and sf.query("SELECT Id FROM Contact") == []


@pytest.mark.parametrize("change, field", [
    (lambda b: b["customer"].update(email="not-an-email"), "customer.email"),
    (lambda b: b["customer"].pop("email"), "customer.email"),
    (lambda b: b["customer"].update(first_name=""), "customer.first_name"),
    (lambda b: b["customer"].pop("last_name"), "customer.last_name"),
    (lambda b: b.update(currency="usd"), "currency"),
    (lambda b: b.pop("currency"), "currency"),
    (lambda b: b.update(items=[]), "items"),
    (lambda b: b.update(items=[{"sku": "PRO-MONTHLY", "quantity": 0}]), "items.0.quantity"),
    (lambda b: b.update(items=[{"quantity": 1}]), "items.0.sku"),
    (lambda b: b.update(items=[{"sku": "PRO-MONTHLY", "quantity": 100_001}]), "items.0.quantity"),
    (lambda b: b.update(items=[{"sku": "PRO-MONTHLY", "quantity": "three"}]), "items.0.quantity"),
    (lambda b: b.update(items={"sku": "PRO-MONTHLY", "quantity": 1}), "items"),
    (lambda b: b.update(order_date="22/11/2026"), "order_date"),
    (lambda b: b.pop("customer"), "customer"),
    (lambda b: b.update(customer="ana@acme.io"), "customer"),
    # Salesforce's own field lengths: a longer value would fail the Account or Contact save.
    (lambda b: b["customer"].update(phone="1" * 41), "customer.phone"),
    (lambda b: b["customer"].update(company="C" * 256), "customer.company"),
    (lambda b: b["customer"].update(address="1 Main St, Austin"), "customer.address"),
    (lambda b: b["customer"]["address"].update(line1="x" * 256), "customer.address.line1"),
    (lambda b: b["customer"]["address"].update(city="x" * 41), "customer.address.city"),
    (lambda b: b["customer"]["address"].update(state="x" * 81), "customer.address.state"),
    (lambda b: b["customer"]["address"].update(postal_code="x" * 21), "customer.address.postal_code"),
    (lambda b: b["customer"]["address"].update(country="x" * 81), "customer.address.country"),
])
def test_each_invalid_field_is_named(post_checkout, change, field, sf):
    bad = body()
    change(bad)
    response = post_checkout(bad)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    node = error["details"]
    for part in field.split("."):
        node = node[part]
    assert node


@pytest.mark.parametrize("payload", [[body()], "checkout", 42, None])
def test_a_body_that_is_not_an_object_is_refused(post_checkout, payload, sf):
    response = post_checkout(payload)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert accounts(sf) == []


def test_missing_idempotency_key_is_named(post_checkout):
    response = post_checkout(body(), key=False)
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["details"]


def test_token_scopes_are_enforced(post_checkout, make_token):
    assert post_checkout(body(), token="nope").status_code == 401
    assert post_checkout(body(), token=make_token("read", name="reader")).status_code == 403


def test_salesforce_failure_is_502_retryable_and_the_retry_resumes(post_checkout, sf, hub_url):
    key = str(uuid.uuid4())
    sf_control(hub_url, fail_next=["503", "503", "503", "503", "503", "503"])
    failed = post_checkout(body(), key=key)
    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "upstream_unavailable"
    assert failed.json()["error"]["details"]["retryable"] is True
    sf_control(hub_url, fail_next=[])
    retried = post_checkout(body(), key=key)
    assert retried.status_code == 201
    assert len(accounts(sf)) == 1


def test_a_request_while_the_same_key_is_still_running_is_a_retryable_409(post_checkout, hub_url):
    key = str(uuid.uuid4())
    sf_control(hub_url, latency_ms=300)  # the first request holds the key for several slow calls
    first = []
    running = threading.Thread(target=lambda: first.append(post_checkout(body(), key=key)))
    running.start()
    wait_until(lambda: Lease.objects.filter(key__startswith="checkout:").exists())
    second = post_checkout(body(), key=key)
    running.join()
    assert second.status_code == 409, second.text
    error = second.json()["error"]
    assert (error["code"], error["details"]) == ("idempotency_in_progress", {"retryable": True})
    assert first[0].status_code == 201, first[0].text
    again = post_checkout(body(), key=key)
    assert (again.status_code, again.json()) == (201, first[0].json())


# The Salesforce calls before the Contact create: the email query (for a company domain also the
# website and contact-domain queries), then the Account create.
@pytest.mark.parametrize("email, company, calls_before_contact", [
    ("solo@gmail.com", "", 2), ("ana@newco.dev", "NewCo", 4)])
def test_a_contact_failure_after_a_new_account_resumes_at_the_contact(
        post_checkout, sf, hub_url, email, company, calls_before_contact):
    key = str(uuid.uuid4())
    daily_limit = sf_state(hub_url)["daily_limit"]
    sf_fail_after(hub_url, calls_before_contact)
    failed = post_checkout(body(email=email, company=company), key=key)
    sf_control(hub_url, daily_limit=daily_limit)
    assert failed.status_code == 502, failed.text
    assert failed.json()["error"]["details"]["retryable"] is True
    refused = CheckoutSession.objects.get(idempotency_key=key).attempts.get(ok=False, vendor="salesforce")
    assert (refused.vendor, refused.operation, refused.method, refused.status_code, refused.error_code) == \
        ("salesforce", "upsert Contact", "PATCH", 403, "REQUEST_LIMIT_EXCEEDED")
    [account] = accounts(sf)
    assert sf.query("SELECT Id FROM Contact") == []

    retried = post_checkout(body(email=email, company=company), key=key)
    assert retried.status_code == 201, retried.text
    result = retried.json()
    assert (result["account_match"], result["salesforce_account_id"]) == ("created", account["Id"])
    assert len(accounts(sf)) == 1
    [contact] = sf.query("SELECT Id, AccountId, Email FROM Contact")
    assert (contact["Id"], contact["AccountId"], contact["Email"]) == \
        (result["salesforce_contact_id"], account["Id"], email)


def test_concurrent_checkouts_of_different_customers_all_complete(post_checkout, billing):
    # Different match keys run side by side, so the billing emulator numbers accounts and orders
    # concurrently: on PostgreSQL two "last number + 1" reads would collide.
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        post_checkout(body(email=f"buyer{i}@gmail.com", company="")))) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201] * 12, [r.text for r in results if r.status_code != 201]
    assert len({r.json()["billing_account_number"] for r in results}) == 12
    assert len({r.json()["billing_order_number"] for r in results}) == 12


def test_twenty_concurrent_checkouts_for_one_new_domain_make_one_account(hub_url, make_token, sf):
    token = make_token("checkout")
    results = []

    def run(i):  # a busy match key answers 503 at once: the shop comes back after Retry-After
        results.append(shop.checkout(hub_url, token, body(email=f"user{i}@newco.dev", company="NewCo")))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201] * 20, [r.text for r in results if r.status_code != 201]
    assert len({r.json()["salesforce_account_id"] for r in results}) == 1
    assert len(accounts(sf)) == 1
    assert len(sf.query("SELECT Id FROM Contact")) == 20


def test_the_order_is_billed_on_the_plans_own_period(post_checkout, billing):
    result = post_checkout(body(items=[{"sku": "TEAM-ANNUAL", "quantity": 1}])).json()
    assert billing.get_order(result["billing_order_number"]).terms.billing_period == "Annual"


CREATE_ORDER = {"zuora": "POST /v1/orders", "nue": "POST orders"}


def test_billing_failure_is_502_and_the_retry_resumes_without_repeating_salesforce(
        post_checkout, sf, billing, provider, hub_url):
    key = str(uuid.uuid4())
    requests.post(f"{hub_url}/sandbox/{provider}/_control", json={"fail_next": [f"503 {CREATE_ORDER[provider]}"]},
                  timeout=10)
    failed = post_checkout(body(), key=key)
    assert failed.status_code == 502
    assert failed.json()["error"]["details"] == {"retryable": True, "vendor": provider,
                                                 "vendor_code": failed.json()["error"]["details"]["vendor_code"]}
    session = CheckoutSession.objects.get(idempotency_key=key)
    assert session.status == "failed" and "salesforce" in session.steps
    refused = session.attempts.get(ok=False, operation="create_order")
    assert (refused.vendor, refused.operation, refused.status_code) == (provider, "create_order", 503)
    assert refused.error_code == failed.json()["error"]["details"]["vendor_code"] != ""
    calls = sf_calls(hub_url)

    retried = post_checkout(body(), key=key)
    assert retried.status_code == 201
    assert sf_calls(hub_url) == calls  # the finished Salesforce step is not repeated
    assert retried.json()["salesforce_account_id"] == session.steps["salesforce"]["account_id"]
    assert len(accounts(sf)) == 1 and len(sf.query("SELECT Id FROM Contact")) == 1
    assert billing.get_order(retried.json()["billing_order_number"]).account_id == \
        retried.json()["billing_account_number"]
