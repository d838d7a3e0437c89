"""The sandbox storefront — the merchant's self-service site — checks out through the hub's API."""
import re

import pytest
import requests

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.models import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store(hub_url, hub_settings):
    ApiClient.register("sandbox storefront", hub_settings["sandbox_storefront_token"], ["checkout"])
    return f"{hub_url}/sandbox/store/"


def submit(browser, url, **fields):
    page = browser.get(url, timeout=10)
    form = dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"', page.text))
    return browser.post(url, data={**form, **fields}, headers={"Referer": url}, timeout=60)


def test_a_person_checks_out_and_sees_the_result(store):
    browser = requests.Session()
    page = browser.get(store, timeout=10)
    assert page.status_code == 200 and "PRO-MONTHLY" in page.text
    result = submit(browser, store, sku="TEAM-ANNUAL", quantity="2", email="mia@wayne.example",
                    first_name="Mia", last_name="Wong", company="Wayne Corp", city="Gotham", country="US")
    assert result.status_code == 200
    assert "your order is placed" in result.text
    account_id = re.search(r'id="sf-account">([^<]+)<', result.text).group(1)
    assert re.search(r'id="account-match">created<', result.text)
    assert SalesforceConnector.from_settings().get("Account", account_id)["Name"] == "Wayne Corp"


def test_a_double_submit_checks_out_once(store):
    browser = requests.Session()
    page = browser.get(store, timeout=10)
    form = dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"', page.text))
    fields = {**form, "sku": "PRO-MONTHLY", "quantity": "1", "email": "li@acme.example", "first_name": "Li",
              "last_name": "Na"}
    first = browser.post(store, data=fields, headers={"Referer": store}, timeout=60)
    second = browser.post(store, data=fields, headers={"Referer": store}, timeout=60)
    order = re.compile(r'id="billing-order">([^<]+)<')
    assert order.search(first.text).group(1) == order.search(second.text).group(1)


def test_errors_are_shown_to_the_person(store):
    result = submit(requests.Session(), store, sku="PRO-MONTHLY", quantity="1", email="not-an-email",
                    first_name="A", last_name="B")
    assert "Checkout failed (400)" in result.text
