"""The Zuora connector speaks Zuora's published API: every body it can build passes Zuora's request
models made strict (`sandbox.zuora.schema`, from PyPI's zuora-sdk), and the emulator's answers fit
Zuora's response models, field names included. Then each divergence the hub once had with Zuora,
one test each, against the live emulator."""
import dataclasses
import re
from decimal import Decimal as D

import pytest
import requests

from sandbox.zuora import schema
from syncapp.connectors.billing.zuora import ZuoraConnector
from syncapp.domain.records import Address, BillingTerms, Contact, Discount, OrderLine, OrderStatus
from syncapp.exceptions import TransientError
from tests.connectors.harness import ZuoraHarness
from tests.connectors.test_billing_conformance import a_customer, a_draft

REQUEST_MODELS = [  # (method, path) -> Zuora's request model
    ("POST", r"/v1/orders", "CreateOrderRequest"),
    ("PUT", r"/v1/orders/[^/]+", "UpdateOrderRequest"),
    ("PUT", r"/v1/orders/[^/]+/cancel", "CancelOrderRequest"),
    ("POST", r"/v1/accounts", "CreateAccountRequest"),
    ("PUT", r"/v1/accounts/[^/]+", "UpdateAccountRequest"),
    ("POST", r"/v1/action/query", "ProxyActionqueryRequest"),
]


class Capturing(requests.Session):
    """A real session that also keeps every JSON body it sends."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, str, dict | None]] = []

    def request(self, method, url, *args, **kwargs):
        self.sent.append((method, url, kwargs.get("json")))
        return super().request(method, url, *args, **kwargs)


def request_model(method: str, url: str) -> str | None:
    path = re.sub(r"^.*/sandbox/zuora", "", url).split("?")[0]
    for m, pattern, model in REQUEST_MODELS:
        if m == method and re.fullmatch(pattern, path):
            return model
    return None


@pytest.fixture
def harness(hub_url):
    return ZuoraHarness(hub_url)


def connector_for(harness, *, flexible_billing: bool, session=None) -> ZuoraConnector:
    harness.control(flexible_billing=flexible_billing)
    return ZuoraConnector(f"{harness.hub_url}/sandbox/zuora", "sandbox", "sandbox",
                          flexible_billing=flexible_billing, session=session)


def every_path(connector: ZuoraConnector, harness) -> None:
    """Each kind of body the connector builds: new and existing account, draft and completed,
    each discount form, each billing period and bill-cycle setting, custom fields, sold-to."""
    customer = dataclasses.replace(a_customer(), sold_to=Contact(
        email="bo@acme.io", first_name="Bo", last_name="Li",
        address=Address("2 Side St", "Dallas", "TX", "75201", "US")))
    new = connector.create_order(a_draft(harness, customer=customer), idempotency_key="k-new")
    lines = (OrderLine("PRO-MONTHLY", D(1), D("49.00"), D("49.00")),
             OrderLine("TEAM-ANNUAL", D("2.5"), D("990.00"), D("900.00")),
             OrderLine("ADDON-SEATS", D(3), D("10.00"), D("7.50"),
                       discount=Discount(amount=D("7.50"))))
    for n, (period, day) in enumerate((("Quarter", None), ("Semi-Annual", 1), ("Annual", 31))):
        connector.create_order(a_draft(harness, account_id=new.account_id, lines=lines,
                                       status=OrderStatus.ACTIVATED,
                                       terms=BillingTerms(period, "Net 15", day)),
                               idempotency_key=f"k-existing-{n}")
    connector.update_order(dataclasses.replace(new, lines=new.lines[:1] + lines[1:]))
    connector.cancel_order(new.order_id)
    account = connector.create_account(a_customer(crm_id=None), idempotency_key="k-account")
    connector.set_account_crm_id(account.account_id, "001000000000009ZZZ")
    harness.control(object_query=False)
    connector.find_account_by_email("Ana@Acme.io")
    connector.find_account_by_crm_id("001000000000009ZZZ")


@pytest.mark.parametrize("flexible_billing", [False, True])
def test_every_body_the_connector_builds_passes_zuoras_strict_request_models(
        harness, flexible_billing):
    session = Capturing()
    every_path(connector_for(harness, flexible_billing=flexible_billing, session=session),
               harness)

    checked = set()
    for method, url, body in session.sent:
        model = request_model(method, url)
        if body is not None and model:
            schema.check(model, body)  # raises on an unknown field, wrong type or enum value
            checked.add(model)
    assert checked == {model for _, _, model in REQUEST_MODELS}


def test_the_emulators_answers_fit_zuoras_response_models(harness, hub_url):
    connector = connector_for(harness, flexible_billing=False)
    created = connector.create_order(a_draft(harness), idempotency_key="k-answers")
    token = connector._access_token()
    base = f"{hub_url}/sandbox/zuora"

    def answer(method, path, **kwargs) -> dict:
        response = requests.request(method, base + path, timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}, **kwargs)
        return response.json()

    # The emulator's stand-in for a hosted payment page is its one field Zuora does not send.
    order = answer("GET", f"/v1/orders/{created.order_id}?getAccountDetails=true")
    order["order"].pop("checkoutUrl")
    schema.check("GetOrderResponse", order)
    schema.check("AccountDetailResponse", answer("GET", f"/v1/accounts/{created.account_id}"))
    # Without a `zuora-version` header (the connector sends none) a product lists its rate plans
    # inline, in the shape of "List all product rate plans of a product"; from 230.0 on it is a
    # URL, which is all the SDK's `Product` models.
    catalog = answer("GET", "/v1/catalog/products")
    plans = [plan for product in catalog["products"] for plan in product.pop("productRatePlans")]
    schema.check("GetProductsResponse", catalog)
    for plan in plans:
        schema.check("ProductRatePlan", plan)
    body = {**connector._order_body(a_draft(harness), "seed"), "status": "Draft",
            "existingAccountNumber": created.account_id}
    schema.check("CreateOrderResponse", answer("POST", "/v1/orders", json=body))
    listed = answer("GET", "/v1/orders?pageSize=40")
    for order in listed["orders"]:
        order.pop("checkoutUrl")
    schema.check("GetOrdersResponse", listed)
    schema.check("CreateAccountResponse", answer("POST", "/v1/accounts", json={
        "name": "Globex", "currency": "USD", "billCycleDay": 0,
        "billToContact": {"firstName": "Bo", "lastName": "Li"}}))
    schema.check("CancelOrderResponse", answer("PUT", f"/v1/orders/{created.order_id}/cancel",
                                               json={}))
    schema.check("ProxyActionqueryResponse", answer("POST", "/v1/action/query", json={
        "queryString": "select Id from Account where CrmId = 'x'"}))
    refused = answer("POST", "/v1/orders", json={"orderDate": "2026-11-22", "shoeSize": 42})
    assert refused["success"] is False and refused["reasons"][0]["code"] % 100 == 21
    # The schema types `code` as a string, Zuora's documented examples send a number (both are
    # read: docs/vendor-assumptions.md, Zuora).
    schema.check("CommonResponse", {**refused, "reasons": [
        {**reason, "code": str(reason["code"])} for reason in refused["reasons"]]})


def test_a_new_customers_postal_code_is_sent_as_postal_code_and_read_back(harness):
    session = Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    created = connector.create_order(a_draft(harness), idempotency_key="k-postal")

    [body] = [json for method, url, json in session.sent if url.endswith("/v1/orders")]
    assert body["newAccount"]["billToContact"]["postalCode"] == "78701"
    assert "zipCode" not in body["newAccount"]["billToContact"]
    assert created.customer.bill_to.address.postal_code == "78701"


def test_payment_term_rides_on_the_subscription_only_with_flexible_billing(harness):
    session = Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    created = connector.create_order(a_draft(harness), idempotency_key="k-term")

    [body] = [json for method, url, json in session.sent if url.endswith("/v1/orders")]
    create = body["subscriptions"][0]["orderActions"][0]["createSubscription"]
    assert "paymentTerm" not in create and body["newAccount"]["paymentTerm"] == "Net 30"
    assert created.terms.payment_term == "Net 30"  # the account's

    flexible = connector_for(harness, flexible_billing=True, session=session)
    other = flexible.create_order(a_draft(harness, account_id=created.account_id,
                                          terms=BillingTerms("Month", "Net 45", None)),
                                  idempotency_key="k-term-2")
    assert other.terms.payment_term == "Net 45"


def test_a_discount_is_a_net_price_override_of_the_per_unit_charge(harness):
    session = Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    created = connector.create_order(a_draft(harness), idempotency_key="k-discount")

    [body] = [json for method, url, json in session.sent if url.endswith("/v1/orders")]
    plans = body["subscriptions"][0]["orderActions"][0]["createSubscription"][
        "subscribeToRatePlans"]
    assert [p["chargeOverrides"][0]["pricing"] for p in plans] == [
        {"recurringPerUnit": {"listPrice": 44.1, "quantity": 3}},
        {"recurringPerUnit": {"listPrice": 8.5, "quantity": 4}}]
    assert [(line.list_price, line.net_price, line.discount) for line in created.lines] == [
        (D("49.00"), D("44.10"), Discount(percent=D(10))),
        (D("10.00"), D("8.50"), Discount(percent=D(15)))]


def test_every_rate_plan_carries_a_unique_token_and_lines_are_keyed_on_it(harness):
    session = Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    created = connector.create_order(a_draft(harness), idempotency_key="k-tokens")
    again = connector_for(harness, flexible_billing=False).create_order(
        a_draft(harness), idempotency_key="k-tokens-2")

    [body] = [json for method, url, json in session.sent if url.endswith("/v1/orders")]
    sent = [p["uniqueToken"] for p in body["subscriptions"][0]["orderActions"][0][
        "createSubscription"]["subscribeToRatePlans"]]
    assert [line.line_id for line in created.lines] == sent and all(sent)
    assert not set(sent) & {line.line_id for line in again.lines}  # unique across orders


def test_semi_annual_is_spelled_as_zuora_spells_it(harness):
    session = Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    created = connector.create_order(a_draft(harness, terms=BillingTerms("Semi-Annual", "Net 30",
                                                                         None)),
                                     idempotency_key="k-semi")

    [body] = [json for method, url, json in session.sent if url.endswith("/v1/orders")]
    charge = body["subscriptions"][0]["orderActions"][0]["createSubscription"][
        "subscribeToRatePlans"][0]["chargeOverrides"][0]
    assert charge["billing"]["billingPeriod"] == "Semi_Annual"
    assert created.terms.billing_period == "Semi-Annual"


def test_a_retry_after_a_definite_failure_uses_a_new_key(harness, hub_url):
    records, session = [], Capturing()
    connector = connector_for(harness, flexible_billing=False, session=session)
    connector.recorder = records.append
    harness.fail_next("lock POST /v1/orders")  # refused, nothing done: Zuora keeps the failure
    with pytest.raises(TransientError):
        connector.create_order(a_draft(harness), idempotency_key="k-retry")

    created = connector.create_order(a_draft(harness), idempotency_key="k-retry")
    assert created.order_id and harness.control()["orders"] == 1
    keys = [r.extra["idempotency_key"] for r in records if r.operation == "create_order"]
    assert keys[0] == "k-retry" and keys[1] != "k-retry"
    # Zuora answers the first key with its stored failure, however often the body is sent again.
    first = next(body for method, url, body in session.sent if url.endswith("/v1/orders"))
    replayed = requests.post(f"{hub_url}/sandbox/zuora/v1/orders", json=first, timeout=10, headers={
        "Authorization": f"Bearer {connector._access_token()}", "Idempotency-Key": "k-retry"})
    assert replayed.json()["success"] is False and harness.control()["orders"] == 1


def test_a_retry_after_a_5xx_looks_for_what_it_made_before_using_a_new_key(harness):
    connector = connector_for(harness, flexible_billing=False)
    harness.fail_next("503 POST /v1/orders", "503 POST /v1/accounts")
    with pytest.raises(TransientError):
        connector.create_order(a_draft(harness), idempotency_key="k-5xx")
    with pytest.raises(TransientError):
        connector.create_account(a_customer(), idempotency_key="k-5xx-account")

    created = connector.create_order(a_draft(harness), idempotency_key="k-5xx")
    again = connector.create_order(a_draft(harness), idempotency_key="k-5xx")
    account = connector.create_account(a_customer(), idempotency_key="k-5xx-account")
    assert again.order_id == created.order_id and account.account_id == created.account_id
    assert harness.control()["orders"] == 1 and harness.control()["accounts"] == 1


def test_email_lookup_ignores_case_and_works_without_object_query(harness):
    connector = connector_for(harness, flexible_billing=False)
    created = connector.create_order(a_draft(harness, customer=a_customer(email="Ana@Acme.IO")),
                                     idempotency_key="k-email")

    assert connector.find_account_by_email("ANA@acme.io").account_id == created.account_id
    assert connector.get_account(created.account_id).email == "ana@acme.io"  # written lower case
    harness.control(object_query=False)
    assert connector.find_account_by_email("ana@ACME.io").account_id == created.account_id
    assert harness.calls("POST /v1/action/query") > 0  # found through ZOQL, not Object Query
    assert connector.find_account_by_crm_id(created.customer.crm_id).account_id == \
        created.account_id
    assert connector.find_account_by_email("nobody@acme.io") is None


@pytest.mark.parametrize("flexible_billing", [False, True])
def test_a_lone_order_once_warm_costs_one_zuora_call(harness, flexible_billing):
    """The token, the catalog and (without Flexible Billing Attributes) the account's payment
    term are shared through Django's cache by every connector (each job builds its own); the
    order read brings its account's details along."""
    first = connector_for(harness, flexible_billing=flexible_billing)
    created = first.create_order(a_draft(harness), idempotency_key="k-warm")
    before = harness.control()["call_counts"]

    ZuoraConnector.from_settings()  # a new job's connector
    read = connector_for(harness, flexible_billing=flexible_billing).get_order(created.order_id)
    after = harness.control()["call_counts"]
    spent = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert spent == {"GET /v1/orders/{orderNumber}": 1}
    assert read.terms.payment_term == "Net 30" and read.customer.crm_id == created.customer.crm_id


def test_a_rejected_shared_token_is_renewed_for_every_connector(harness):
    connector_for(harness, flexible_billing=False).catalog()
    harness.expire_credentials()

    connector_for(harness, flexible_billing=False).find_account_by_crm_id("001000000000001AAA")
    connector_for(harness, flexible_billing=False).find_account_by_crm_id("001000000000001AAA")
    assert harness.calls("POST /oauth/token") == 2


def test_a_basic_auth_callout_gets_a_challenge(client, hub_settings, db):
    hub_settings["zuora_webhook_basic"] = "zuora:s3cret"
    refused = client.post("/api/v1/webhooks/zuora", {"id": "e1"}, content_type="application/json",
                          raise_request_exception=False)

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Basic realm=")
