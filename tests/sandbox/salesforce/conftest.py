"""Fixtures for the Salesforce emulator's conformance suite: a live server, the real
simple-salesforce client (through the sandbox transport) and plain `requests`."""
import pytest
import requests
from simple_salesforce import Salesforce

from syncapp.connectors.sandbox_transport import sandbox_session

API = "62.0"
USERNAME = "hub@sandbox.example"
PASSWORD = "sandbox"


@pytest.fixture
def sf_base(hub_url):
    return f"{hub_url}/sandbox/salesforce"


@pytest.fixture
def control(sf_base):
    """Read (no argument) or change (keyword arguments) the emulator's `_control` switches."""

    def call(**changes):
        if changes:
            response = requests.post(f"{sf_base}/_control", json=changes, timeout=10)
        else:
            response = requests.get(f"{sf_base}/_control", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    return call


def oauth_token(sf_base, **form):
    data = {"grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
            "username": USERNAME, "password": PASSWORD, **form}
    return requests.post(f"{sf_base}/services/oauth2/token", data=data, timeout=10)


@pytest.fixture
def token(sf_base):
    response = oauth_token(sf_base)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class FreshConnections:
    """requests' verbs, one connection per call: the live server answers a reused keep-alive
    connection some 40 ms late (Nagle and delayed ACKs), a fresh one at once."""

    def __init__(self, headers: dict):
        self.headers = headers

    def request(self, method, url, headers=None, **kw):
        return requests.request(method, url, headers={**self.headers, **(headers or {})}, **kw)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def patch(self, url, **kw):
        return self.request("PATCH", url, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


class Rest:
    """Plain HTTP against `/services/data/vXX.X/`, returning `requests` responses."""

    def __init__(self, base: str, token: str):
        self.root = base
        self.base = f"{base}/services/data/v{API}/"
        self.http = FreshConnections({"Authorization": f"Bearer {token}"})

    def url(self, path: str) -> str:
        if path.startswith("/services/"):
            return self.root + path
        return self.base + path.lstrip("/")

    def get(self, path, **kw):
        return self.http.get(self.url(path), timeout=10, **kw)

    def post(self, path, body=None, **kw):
        return self.http.post(self.url(path), json=body, timeout=10, **kw)

    def patch(self, path, body=None, **kw):
        return self.http.patch(self.url(path), json=body, timeout=10, **kw)

    def delete(self, path, **kw):
        return self.http.delete(self.url(path), timeout=10, **kw)

    def query(self, soql, **kw):
        return self.get("query", params={"q": soql}, **kw)

    def records(self, soql):
        response = self.query(soql)
        assert response.status_code == 200, response.text
        return response.json()["records"]

    def create(self, sobject, fields) -> str:
        response = self.post(f"sobjects/{sobject}", fields)
        assert response.status_code == 201, response.text
        return response.json()["id"]


@pytest.fixture
def rest(sf_base, token):
    return Rest(sf_base, token)


@pytest.fixture
def sf(sf_base):
    """simple-salesforce logged in by username and password (the SOAP login)."""
    return Salesforce(username=USERNAME, password=PASSWORD, security_token="", domain="login",
                      version=API, session=sandbox_session(sf_base))


def error_of(response):
    """The first error of a Salesforce error body, checking the body's form on the way."""
    body = response.json()
    assert isinstance(body, list) and body, body
    assert {"message", "errorCode"} <= set(body[0]), body
    return body[0]


@pytest.fixture
def catalog(rest):
    """The seeded standard price book and its entries by product code."""
    pricebook = rest.records("SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"]
    entries = {r["ProductCode"]: r for r in rest.records(
        "SELECT Id, ProductCode, Product2Id, UnitPrice FROM PricebookEntry")}
    return {"pricebook": pricebook, "entries": entries}


@pytest.fixture
def make_order(rest, catalog):
    """Create an Account and a Draft Order (with items given as (code, quantity) pairs)."""

    def make(items=(("PRO-MONTHLY", 1),), billing_id=None, account_id=None, **fields):
        account_id = account_id or rest.create("Account", {"Name": "Acme Inc"})
        order = {"AccountId": account_id, "EffectiveDate": "2026-01-15", "Status": "Draft",
                 "Pricebook2Id": catalog["pricebook"], **fields}
        if billing_id:
            order["Billing_Order_Id__c"] = billing_id
        order_id = rest.create("Order", order)
        item_ids = [rest.create("OrderItem", {
            "OrderId": order_id, "PricebookEntryId": catalog["entries"][code]["Id"],
            "Quantity": quantity, "UnitPrice": catalog["entries"][code]["UnitPrice"]})
            for code, quantity in items]
        return {"account": account_id, "order": order_id, "items": item_ids}

    return make
