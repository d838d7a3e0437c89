"""Conformance of `NueConnector` to `BillingConnector`, against the Nue emulator over real HTTP:
every operation, each error shape, idempotent replay, and what it records."""
import dataclasses
import datetime as dt
import http.server
import json
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from sandbox.webhooks.models import Switches
from syncapp.connectors.billing import billing_connector
from syncapp.connectors.billing.nue import NueConnector, order_from_nue
from syncapp.domain.records import (
    Address,
    BillingTerms,
    Contact,
    Customer,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)
from syncapp.exceptions import NotFoundError, PermanentError, TransientError, UnsupportedError
from tests.sandbox.nue.client import NueApi

CRM_ID = "001000000000001AAA"
D = Decimal


@pytest.fixture
def records():
    return []


@pytest.fixture
def nue(hub_url, records, transactional_db):
    # Emulator webhooks stay queued: these tests are about the connector.
    Switches.objects.update_or_create(pk=1, defaults={"auto_deliver": False})
    return NueConnector.from_settings(recorder=records.append)


@pytest.fixture
def emulator(hub_url):
    return NueApi(f"{hub_url}/sandbox/nue")


def a_customer(email="ana@acme.io", crm_id=None, name="Acme Inc") -> Customer:
    address = Address(line1="1 Main St", city="Austin", state="TX", postal_code="78701",
                      country="US")
    return Customer(name=name, email=email, crm_id=crm_id,
                    bill_to=Contact(email=email, first_name="Ana", last_name="Diaz",
                                    phone="+1 555 0100", address=address))


def a_draft(account_id=None, customer=None, **changes) -> DraftOrder:
    lines = (OrderLine("PRO-MONTHLY", D(3), D("49.00"), D("44.10"),
                       discount=Discount(percent=D(10)), description="Pro seats"),
             OrderLine("ADDON-SEATS", D(4), D("10.00"), D("8.50"),
                       discount=Discount(amount=D("6.00"))))
    order = DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), lines=lines,
                       account_id=account_id, customer=customer,
                       terms=BillingTerms("Quarter", "Net 30", 15),
                       custom_fields=(("Channel__c", "web"), ("Region__c", "EMEA")))
    return dataclasses.replace(order, **changes)


def without_line_ids(order: DraftOrder) -> tuple:
    return tuple(dataclasses.replace(line, line_id=None) for line in order.lines)


# --- settings and catalog ----------------------------------------------------------------------
def test_it_is_built_from_settings_and_refuses_missing_ones(hub_url, hub_settings):
    hub_settings["billing_provider"] = "nue"
    connector = billing_connector()
    assert isinstance(connector, NueConnector)
    assert connector.base_url == f"{hub_url}/sandbox/nue"

    hub_settings["nue_api_key"] = ""
    with pytest.raises(ImproperlyConfigured):
        NueConnector.from_settings()


def test_the_catalog_lists_every_sellable_sku(nue):
    catalog = nue.catalog()

    assert set(catalog) == {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"}
    team = catalog["TEAM-ANNUAL"]
    assert (team.name, team.list_price, team.currency, team.billing_period) == (
        "Team Annual", D("990.00"), "USD", "Annual")


# --- accounts ----------------------------------------------------------------------------------
def test_an_account_is_created_and_read_back_as_it_was_given(nue):
    given = a_customer(crm_id=CRM_ID)

    created = nue.create_account(given, idempotency_key="acct-1")

    assert created.account_id
    assert created == dataclasses.replace(given, account_id=created.account_id)
    assert nue.get_account(created.account_id) == created


def test_separate_bill_to_and_sold_to_contacts_survive_the_round_trip(nue):
    given = dataclasses.replace(a_customer(), sold_to=Contact(email="bo@acme.io", first_name="Bo",
                                                              last_name="Li"))

    created = nue.create_account(given, idempotency_key="acct-2")

    assert (created.bill_to, created.sold_to) == (given.bill_to, given.sold_to)


def test_accounts_are_found_by_email_case_insensitively_oldest_first(nue):
    oldest = nue.create_account(a_customer(email="Ana@Acme.io"), idempotency_key="a1")
    nue.create_account(a_customer(email="ana@acme.io", name="Second"), idempotency_key="a2")

    found = nue.find_account_by_email("ANA@acme.io")

    assert found.account_id == oldest.account_id
    assert nue.find_account_by_email("nobody@acme.io") is None


def test_the_crm_id_is_set_and_found(nue):
    account = nue.create_account(a_customer(), idempotency_key="a1")
    assert nue.find_account_by_crm_id(CRM_ID) is None

    nue.set_account_crm_id(account.account_id, CRM_ID)

    assert nue.find_account_by_crm_id(CRM_ID).account_id == account.account_id
    assert nue.get_account(account.account_id).crm_id == CRM_ID


def test_a_missing_account_is_not_found(nue):
    with pytest.raises(NotFoundError) as raised:
        nue.get_account("5b1c7a38-0000-4000-8000-000000000000")
    error = raised.value
    assert (error.code, error.status, error.vendor) == ("CUSTOMER_NOT_FOUND", 404, "nue")


# --- orders ------------------------------------------------------------------------------------
def test_a_draft_for_an_existing_account_round_trips(nue):
    account = nue.create_account(a_customer(crm_id=CRM_ID), idempotency_key="a1")
    given = a_draft(account_id=account.account_id)

    created = nue.create_order(given, idempotency_key="o1")

    assert created.order_id and created.status == OrderStatus.DRAFT
    assert created.account_id == account.account_id
    assert all(line.line_id for line in created.lines)
    assert created.checkout_url.endswith(f"/sandbox/nue/checkout/{created.order_id}")
    assert without_line_ids(created) == given.lines
    assert (created.terms, created.custom_fields, created.order_date, created.total) == (
        given.terms, given.custom_fields, given.order_date, D("166.30"))
    fetched = nue.get_order(created.order_id)
    assert fetched == dataclasses.replace(created, customer=account)


def test_an_order_creates_its_new_account_with_the_crm_id(nue):
    order = nue.create_order(a_draft(customer=a_customer(crm_id=CRM_ID)), idempotency_key="o1")

    account = nue.find_account_by_crm_id(CRM_ID)
    assert account.account_id == order.account_id
    assert nue.get_order(order.order_id).customer == account
    assert account.bill_to == a_customer().bill_to


def test_a_completed_order_is_created_activated(nue):
    order = nue.create_order(a_draft(customer=a_customer(), status=OrderStatus.ACTIVATED),
                             idempotency_key="o1")

    assert order.status == OrderStatus.ACTIVATED
    assert nue.get_order(order.order_id).status == OrderStatus.ACTIVATED


def test_an_unknown_sku_is_a_permanent_unknown_sku_error(nue):
    order = a_draft(customer=a_customer(), lines=(OrderLine("GOLD-PLAN", D(1), D(1), D(1)),))

    with pytest.raises(PermanentError) as raised:
        nue.create_order(order, idempotency_key="o1")

    assert raised.value.code == "unknown_sku" and "GOLD-PLAN" in str(raised.value)
    assert list(nue.list_orders()) == []


def test_an_order_is_created_with_the_body_nue_publishes(nue, records, emulator):
    """`customer: {id}` (a new customer is created first) and products by price book entry id,
    never by SKU or with a list price of the hub's."""
    nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")

    create = next(r for r in records if r.operation == "create_order")
    body = json.loads(create.request_excerpt)
    assert [r.operation for r in records][:2] == ["catalog", "create_account"]
    assert set(body["customer"]) == {"id"} and body["options"] == {}
    assert [line["priceBookEntryId"] for line in body["orderProducts"]] == [
        emulator.entry_id("PRO-MONTHLY"), emulator.entry_id("ADDON-SEATS")]
    assert all("productSku" not in line and "listPrice" not in line
               for line in body["orderProducts"])
    assert body["orderProducts"][0]["subscriptionStartDate"] == "2026-11-22"


def test_a_price_above_the_price_book_is_refused_before_any_order_call(nue, records):
    account = nue.create_account(a_customer(), idempotency_key="a1")
    dear = a_draft(account_id=account.account_id,
                   lines=(OrderLine("PRO-MONTHLY", D(1), D("59.00"), D("59.00")),))

    with pytest.raises(PermanentError) as raised:
        nue.create_order(dear, idempotency_key="o1")

    assert raised.value.code == "price_above_list"
    assert "create_order" not in [r.operation for r in records]


def test_the_same_idempotency_key_twice_creates_one_order(nue):
    order = a_draft(customer=a_customer(), status=OrderStatus.ACTIVATED)

    first = nue.create_order(order, idempotency_key="checkout-1-order")
    again = nue.create_order(order, idempotency_key="checkout-1-order")

    assert again == first
    assert [o.order_id for o in nue.list_orders()] == [first.order_id]
    with pytest.raises(PermanentError) as raised:
        nue.create_order(dataclasses.replace(order, order_date=dt.date(2027, 1, 1)),
                         idempotency_key="checkout-1-order")
    # Refused by the hub before anything is sent: the key already made an order from another body.
    assert raised.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_update_replaces_lines_terms_and_custom_fields(nue):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")
    pro, _seats = created.lines
    wanted = dataclasses.replace(
        created,
        lines=(dataclasses.replace(pro, quantity=D(5), discount=None, net_price=D("49.00")),
               OrderLine("TEAM-ANNUAL", D(1), D("990.00"), D("900.00"))),
        terms=BillingTerms("Annual", "Net 45", None), custom_fields=(("Region__c", "APAC"),))

    updated = nue.update_order(wanted)

    assert updated.lines[0].line_id == pro.line_id
    assert without_line_ids(updated) == (
        dataclasses.replace(pro, line_id=None, quantity=D(5), discount=None, net_price=D("49.00")),
        OrderLine("TEAM-ANNUAL", D(1), D("990.00"), D("900.00"),
                  discount=Discount(amount=D("90.00"))))
    assert (updated.terms, updated.custom_fields) == (wanted.terms, wanted.custom_fields)
    assert nue.get_order(created.order_id).lines == updated.lines


def test_only_a_draft_can_be_updated(nue):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")
    nue.activate_order(created.order_id)

    with pytest.raises(PermanentError) as raised:
        nue.update_order(created)
    assert raised.value.code == "order_not_draft"


def test_activating_twice_returns_the_activated_order(nue):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")

    first = nue.activate_order(created.order_id)
    again = nue.activate_order(created.order_id)

    assert first.status == again.status == OrderStatus.ACTIVATED
    assert again == first


def test_a_canceled_order_cannot_be_activated(nue):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")

    assert nue.cancel_order(created.order_id).status == OrderStatus.CANCELED
    with pytest.raises(PermanentError) as raised:
        nue.activate_order(created.order_id)
    assert raised.value.code == "order_not_draft"


def test_delete_removes_the_order_and_deleting_again_is_fine(nue):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")

    nue.delete_order(created.order_id)
    nue.delete_order(created.order_id)

    with pytest.raises(NotFoundError):
        nue.get_order(created.order_id)


def test_orders_are_listed_customer_page_by_customer_page(hub_url, nue, records):
    """Nue lists orders only for named customers: the customers are walked page by page and
    each page's orders asked for in one call."""
    accounts = [nue.create_account(a_customer(name=f"Acme {i}"), idempotency_key=f"a{i}")
                for i in range(3)]
    drafts = [nue.create_order(a_draft(account_id=account.account_id), idempotency_key=f"o{i}")
              for i, account in enumerate(accounts)]
    active = nue.activate_order(nue.create_order(a_draft(account_id=accounts[0].account_id),
                                                 idempotency_key="o9").order_id)
    paged = NueConnector.from_settings(recorder=records.append)
    paged.page_size = 2
    records.clear()

    listed = [o.order_id for o in paged.list_orders(status=OrderStatus.DRAFT)]

    assert listed == [o.order_id for o in drafts]
    assert [r.operation for r in records if r.operation != "catalog"] == [
        "list_customers", "list_orders", "list_customers", "list_orders"]
    assert all("customerIds=" in r.url for r in records if r.operation == "list_orders")
    assert [o.order_id for o in nue.list_orders(status="Activated")] == [active.order_id]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.5)
    nue.update_order(drafts[0])
    assert drafts[0].order_id in [o.order_id for o in nue.list_orders(updated_since=since)]
    assert len(list(nue.list_orders())) == 4


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("failure, status, retry_after", [("500", 500, None), ("503", 503, None),
                                                          ("429", 429, 1.0)])
def test_server_errors_and_rate_limits_are_transient(nue, emulator, records, failure, status,
                                                     retry_after):
    emulator.control(fail_next=[failure])

    with pytest.raises(TransientError) as raised:
        nue.catalog()

    assert (raised.value.status, raised.value.retry_after) == (status, retry_after)
    last = records[-1]
    assert (last.ok, last.status, last.error_code) == (False, status, raised.value.code)


def test_a_timeout_is_transient(hub_url, emulator, records):
    emulator.control(fail_next=["timeout"], timeout_seconds=0.8)
    impatient = NueConnector(f"{hub_url}/sandbox/nue", "sandbox", recorder=records.append,
                             timeout=(5, 0.2))
    started = time.monotonic()

    with pytest.raises(TransientError) as raised:
        impatient.get_account("any")

    assert raised.value.code == "timeout"
    assert (records[-1].status, records[-1].error_code) == (None, "timeout")
    time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))  # let the held answer finish


def test_no_answer_at_all_is_transient():
    with pytest.raises(TransientError) as raised:
        NueConnector("http://127.0.0.1:9", "sandbox").catalog()
    assert raised.value.code == "connection_error"


def test_a_refused_key_is_permanent_and_never_recorded(hub_url, records):
    secret = "nue-key-do-not-log-7f3a"
    refused = NueConnector(f"{hub_url}/sandbox/nue", secret, recorder=records.append)

    with pytest.raises(PermanentError) as raised:
        refused.create_account(a_customer(), idempotency_key="a1")

    assert (raised.value.code, raised.value.status) == ("UNAUTHORIZED", 401)
    assert raised.value.details["errors"][0]["message"]
    assert records and all(secret not in repr(record) for record in records)


def test_validation_errors_are_permanent_with_nues_errors_in_details(nue):
    account = nue.create_account(a_customer(), idempotency_key="a1")

    with pytest.raises(PermanentError) as raised:
        nue.create_order(a_draft(account_id=account.account_id, terms=BillingTerms("Weekly")),
                         idempotency_key="o1")

    assert raised.value.code == "INVALID_FIELD_VALUE" and not raised.value.retryable
    assert raised.value.details["errors"] == [
        {"code": "INVALID_FIELD_VALUE", "field": "billingPeriod",
         "message": "billingPeriod must be one of Month, Quarter, Semi-Annual, Annual."}]


def test_a_custom_field_nue_cannot_hold_is_refused_before_any_call(nue, records):
    with pytest.raises(PermanentError) as raised:
        nue.create_order(a_draft(customer=a_customer(), custom_fields=(("po_number", "1"),)),
                         idempotency_key="o1")
    assert raised.value.code == "invalid_custom_field"
    assert {r.operation for r in records} <= {"catalog"}  # nothing written


# --- the call log ------------------------------------------------------------------------------
def test_every_call_is_recorded_with_redacted_excerpts(nue, records):
    order = nue.create_order(a_draft(customer=a_customer()), idempotency_key="o1")
    nue.get_order(order.order_id)

    assert [r.operation for r in records] == [
        "catalog", "create_account", "create_order", "get_order", "get_account"]
    create = records[2]
    assert (create.vendor, create.method, create.status, create.ok) == ("nue", "POST", 201, True)
    assert create.url.endswith("/sandbox/nue/orders") and create.duration_ms > 0
    assert '"priceBookEntryId": ' in create.request_excerpt
    assert order.order_id in create.response_excerpt


# --- Nue's own example -------------------------------------------------------------------------
DOCUMENTED_SKUS = {"pbe-123e4567-e89b-12d3-a456-426614174000": "PLATFORM"}


def documented_draft() -> dict:
    """The draft-order answer shown in Nue's docs (the fixture names its pages)."""
    path = Path(__file__).parent / "fixtures" / "nue" / "draft_order_created.json"
    return json.loads(path.read_text())["response"]


def test_nues_documented_draft_order_answer_is_read():
    answer = documented_draft()
    assert answer["status"] == "success"

    order = order_from_nue(answer["data"]["order"], skus=DOCUMENTED_SKUS)

    assert (order.order_id, order.status, order.account_id, order.order_date) == (
        "b636440c-b3dd-4a92-9187-199f110d5b24", OrderStatus.DRAFT,
        "d2e04653-ae90-49df-a986-134cf64f6d03", dt.date(2024, 12, 24))
    [line] = order.lines
    assert (line.sku, line.quantity, line.list_price, line.net_price) == (
        "PLATFORM", D(1), D("5940.00"), D("5940.00"))


@pytest.mark.parametrize("status", ["Pending", "", None])
def test_an_order_status_the_hub_does_not_know_is_a_clear_sync_error(status):
    data = {**documented_draft()["data"]["order"], "status": status}

    with pytest.raises(PermanentError) as raised:
        order_from_nue(data, skus=DOCUMENTED_SKUS)

    assert raised.value.code == "unknown_order_status" and repr(status) in str(raised.value)


@pytest.mark.parametrize("status, expected", [("Activated", OrderStatus.ACTIVATED),
                                              ("active", OrderStatus.ACTIVATED),
                                              ("Canceled", OrderStatus.CANCELED)])
def test_nues_status_spellings_are_read(status, expected):
    data = {**documented_draft()["data"]["order"], "status": status}
    assert order_from_nue(data, skus=DOCUMENTED_SKUS).status == expected


def test_an_order_product_without_its_price_is_a_clear_sync_error():
    data = documented_draft()["data"]["order"]
    del data["orderProducts"][0]["netSalesPrice"]

    with pytest.raises(PermanentError) as raised:
        order_from_nue(data, skus=DOCUMENTED_SKUS)

    assert raised.value.code == "invalid_response" and "netSalesPrice" in str(raised.value)


# --- actions Nue's reference does not document -------------------------------------------------
@pytest.fixture
def nue_without(request):
    """A stand-in for a Nue tenant without the assumed order endpoints: every call answers
    `status` with a body that is not Nue's error envelope, as a missing route would. With a
    (status, body) pair it answers that body instead."""
    status, body = request.param if isinstance(request.param, tuple) else (
        request.param, b'{"message": "Not Found"}')

    class NoRoute(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoRoute)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield NueConnector(f"http://127.0.0.1:{server.server_address[1]}", "sandbox")
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("nue_without", [404, 405], indirect=True)
@pytest.mark.parametrize("action", ["delete_order", "cancel_order", "get_order"])
def test_an_assumed_endpoint_nue_lacks_is_a_clear_unsupported_error(nue_without, action):
    assert action.split("_")[0] in NueConnector.assumed_actions

    with pytest.raises(UnsupportedError) as raised:
        getattr(nue_without, action)("b636440c-b3dd-4a92-9187-199f110d5b24")

    assert raised.value.code == "unsupported" and not raised.value.retryable
    assert "in Nue itself" in str(raised.value)


def test_a_missing_order_is_still_not_found_not_unsupported(nue):
    with pytest.raises(NotFoundError):
        nue.get_order("5b1c7a38-0000-4000-8000-000000000000")
    nue.delete_order("5b1c7a38-0000-4000-8000-000000000000")  # already gone: fine


ORDER_GONE = (404, json.dumps({"status": "failed", "data": None, "warnings": [], "errors": [
    {"code": "NOT_FOUND", "message": "Order not found", "field": None}]}).encode())


@pytest.mark.parametrize("nue_without", [ORDER_GONE], indirect=True)
@pytest.mark.parametrize("action", ["get_order", "cancel_order", "update_order"])
def test_a_404_in_nues_error_envelope_is_a_missing_order_whatever_its_code(nue_without, action):
    """Nue's envelope means Nue's API answered: the endpoint exists and the order does not."""
    argument = a_draft(order_id="5b1c7a38-0000-4000-8000-000000000000") \
        if action == "update_order" else "5b1c7a38-0000-4000-8000-000000000000"

    with pytest.raises(NotFoundError) as raised:
        getattr(nue_without, action)(argument)

    assert not isinstance(raised.value, UnsupportedError) and raised.value.code == "NOT_FOUND"
    nue_without.delete_order("5b1c7a38-0000-4000-8000-000000000000")  # gone: fine


@pytest.mark.parametrize("call, action", [("GET orders/{id}", "get_order"),
                                          ("POST orders/{id}/cancel", "cancel_order"),
                                          ("DELETE orders/{id}", "delete_order"),
                                          ("PATCH orders/{id}", "update_order")])
def test_the_emulator_tells_a_missing_endpoint_from_a_missing_order(nue, emulator, hub_url, call,
                                                                    action):
    created = nue.create_order(a_draft(customer=a_customer()), idempotency_key=f"k-{action}")
    argument = created if action == "update_order" else created.order_id
    missing = dataclasses.replace(created, order_id="5b1c7a38-0000-4000-8000-000000000000") \
        if action == "update_order" else "5b1c7a38-0000-4000-8000-000000000000"
    if action != "delete_order":
        with pytest.raises(NotFoundError):  # the endpoint is there, the order is not
            getattr(nue, action)(missing)

    requests.post(f"{hub_url}/sandbox/nue/_control", json={"absent_endpoints": [call]},
                  timeout=5).raise_for_status()
    try:
        with pytest.raises(UnsupportedError):  # this tenant lacks the endpoint
            getattr(nue, action)(argument)
    finally:
        requests.post(f"{hub_url}/sandbox/nue/_control", json={"absent_endpoints": []}, timeout=5)
    unknown = requests.get(f"{hub_url}/sandbox/nue/orders/x/unheard-of", timeout=5)
    assert unknown.status_code == 404 and "status" not in unknown.json()  # not Nue's envelope


def test_a_create_retried_after_a_lost_answer_makes_one_order_without_idempotency_keys(hub_url,
                                                                                       nue):
    """Nue documents no idempotency key: with the emulator ignoring it, the retry finds the order
    the first attempt made (its description carries the request) instead of making another."""
    requests.post(f"{hub_url}/sandbox/nue/_control", timeout=5, json={
        "idempotency_keys": False, "timeout_seconds": 1.5,
        "fail_next": ["timeout_after_commit POST orders"]}).raise_for_status()
    impatient = NueConnector(f"{hub_url}/sandbox/nue", "sandbox", timeout=(5, 0.5))
    account = nue.create_account(a_customer(), idempotency_key="a-lost")
    draft = a_draft(account_id=account.account_id)
    with pytest.raises(TransientError):
        impatient.create_order(draft, idempotency_key="checkout-9-order")
    time.sleep(1.5)  # the emulator finishes holding the answer back

    again = nue.create_order(draft, idempotency_key="checkout-9-order")

    [only] = list(nue.list_orders())
    assert again.order_id == only.order_id and len(again.lines) == 2
    third = nue.create_order(draft, idempotency_key="checkout-10-order")  # a new request: new order
    assert third.order_id != again.order_id


@pytest.mark.parametrize("crm_id", ["001000000000001AAA", None])
def test_a_customer_create_retried_after_a_lost_answer_makes_one_customer(hub_url, nue, emulator, crm_id):
    """Without idempotency keys, the retry of a `POST /customers` whose answer was lost looks the
    customer up (by the CRM id the hub wrote, else by email) instead of making a second one."""
    requests.post(f"{hub_url}/sandbox/nue/_control", timeout=5, json={
        "idempotency_keys": False, "timeout_seconds": 1.5,
        "fail_next": ["timeout_after_commit POST customers"]}).raise_for_status()
    impatient = NueConnector(f"{hub_url}/sandbox/nue", "sandbox", timeout=(5, 0.5))
    with pytest.raises(TransientError):
        impatient.create_account(a_customer(crm_id=crm_id), idempotency_key="checkout-7-customer")
    time.sleep(1.5)  # the emulator finishes holding the answer back

    again = nue.create_account(a_customer(crm_id=crm_id), idempotency_key="checkout-7-customer")

    [only] = emulator.get("/customers", params={"email": "ana@acme.io"}).json()["data"]
    assert again.account_id == only["id"] and again.crm_id == crm_id
    other = nue.create_account(a_customer(crm_id=crm_id), idempotency_key="checkout-8-customer")
    assert other.account_id != again.account_id  # a new request: a new customer
