"""The connector's parsers on the examples Zuora publishes (tests/connectors/fixtures/zuora/*.json,
each naming the page it comes from), not only on what the emulator answers."""
import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from syncapp.connectors.billing.zuora import ZuoraConnector
from syncapp.connectors.billing.zuora.errors import decoded, error_for
from syncapp.connectors.billing.zuora.mapping import Plan, customer_of
from syncapp.domain.records import CatalogItem, OrderStatus
from syncapp.exceptions import PermanentError

FIXTURES = Path(__file__).parent / "fixtures" / "zuora"


def example(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text())
    assert data["source"].startswith("https://")  # where Zuora publishes it
    return data


def answered(data: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = data["http_status"]
    response._content = json.dumps(data["body"]).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_zuoras_sample_error_is_a_permanent_invalid_value_with_its_reasons():
    data = example("error_invalid_term_type.json")
    response = answered(data)

    error = error_for(response, decoded(response))
    assert isinstance(error, PermanentError)
    assert (error.code, error.status) == ("invalid_value", 200)  # category 20, despite HTTP 200
    assert error.details["reasons"] == data["body"]["reasons"]
    assert error.details["process_id"] == "CBCFED6580B4E076"
    assert "termType" in str(error)


# --- order read-backs ---------------------------------------------------------------------------
DOCUMENTED_PLAN = "2c989028622282520162235ac91605b3"  # the product rate plan of O-00000001


class Answering(requests.Session):
    """Zuora as its reference shows it: each GET answers the published sample for its path."""

    def __init__(self, answers: dict[str, dict]):
        super().__init__()
        self.answers, self.asked = answers, []

    def request(self, method, url, *args, **kwargs):
        path = urlsplit(url).path
        self.asked.append(f"{method} {path}")
        if path == "/oauth/token":
            return answered({"http_status": 200, "body": {"access_token": "t", "expires_in": 3600}})
        return answered(self.answers[path])


def a_connector(session: requests.Session) -> ZuoraConnector:
    connector = ZuoraConnector("https://rest.test.zuora.com", "id", "secret", session=session,
                               flexible_billing=True)
    # The tenant's catalog sells the documented rate plan as DOC-VOLUME, at 9.50 a year.
    item = CatalogItem(sku="DOC-VOLUME", name="Volume plan", list_price=D("9.50"), currency="USD",
                       billing_period="Annual")
    connector._plans = {"DOC-VOLUME": Plan("DOC-VOLUME", DOCUMENTED_PLAN, "c1", item)}
    connector._read_catalog = True
    return connector


def test_zuoras_documented_create_subscription_read_back_is_read_line_by_line(db):
    orders = example("list_orders.json")["body"]["orders"]
    [created] = [o for o in orders if o["orderNumber"] == "O-00000001"]
    plan = created["subscriptions"][0]["orderActions"][0]["createSubscription"][
        "subscribeToRatePlans"][0]

    order = a_connector(requests.Session())._draft_order(created)

    assert (order.order_id, order.status, order.account_id, order.currency, order.order_date) == (
        "O-00000001", OrderStatus.ACTIVATED, "accountA_Num", "USD", dt.date(2017, 1, 1))
    [line] = order.lines
    # Zuora returns no uniqueToken for a rate plan sent without one: its own rate plan id keys it.
    assert line.line_id == plan["newRatePlanId"] == "2c989028622282520162235acd1b05d2"
    # Volume pricing: the quantity is the volume model's; no price override, so the catalog's.
    assert (line.sku, line.quantity, line.list_price, line.net_price, line.discount) == (
        "DOC-VOLUME", D(12), D("9.50"), D("9.50"), None)
    # billingPeriod null (not overridden) is the catalog charge's; the bill cycle day is read.
    assert (order.terms.billing_period, order.terms.bill_cycle_day) == ("Annual", 1)
    assert order.custom_fields == ()  # this order has none; its action's are not the order's


def test_an_order_that_only_changes_subscriptions_is_refused_by_name_and_skipped_in_listings(db):
    # Without a subscription payment term the order's is its account's (two fields of
    # `GET /v1/accounts/{key}` suffice: not a published sample).
    account = {"http_status": 200, "body": {"success": True, "basicInfo": {"id": "accountA_Num"},
                                            "billingAndPayment": {"paymentTerm": "Net 30"}}}
    answers = {"/v1/orders/O-00000282": example("get_order.json"),
               "/v1/orders": example("list_orders.json"), "/v1/accounts/accountA_Num": account}
    connector = a_connector(Answering(answers))

    with pytest.raises(PermanentError) as refused:
        connector.get_order("O-00000282")
    assert refused.value.code == "unsupported_order"
    assert refused.value.details["actions"] == ["Resume", "TermsAndConditions", "UpdateProduct"]

    listed = list(connector.list_orders())
    # O-00000002 (an UpdateProduct) is not an order the hub syncs; O-00000001 is.
    assert [order.order_id for order in listed] == ["O-00000001"]
    assert listed[0].lines[0].quantity == D(12) and listed[0].terms.payment_term == "Net 30"


def test_the_documented_order_reads_its_account_details(db):
    raw = example("get_order.json")["body"]["order"]
    details = raw["existingAccountDetails"]

    customer = customer_of({**details, "billingAndPayment": {"currency": raw["currency"]}})

    assert (customer.account_id, customer.name, customer.email, customer.crm_id) == (
        "A00000001", "Test", "contact@example.com", None)  # crmId "" is no CRM id
    assert customer.bill_to.address is None  # every address field empty or null
