"""The hosted checkout page: shows the draft, and "Pay now" activates it."""
import re

import requests

from tests.sandbox.nue.client import nue_events


def pay(url):
    """Open the page like a browser and press "Pay now" (its form carries a CSRF token)."""
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    return browser.post(url, data={"csrfmiddlewaretoken": token}, timeout=10)


def test_the_checkout_page_shows_the_order_with_a_pay_now_button(nue):
    customer = nue.customer()
    order = nue.draft(customer["id"], products=[{"priceBookEntryId": nue.entry_id("PRO-MONTHLY"),
                                                 "quantity": 3}])

    page = requests.get(order["checkoutUrl"], timeout=10)

    assert page.status_code == 200
    assert order["orderNumber"] in page.text and "Acme Inc" in page.text
    assert "Pro Monthly" in page.text and "147.00" in page.text
    assert 'id="pay-now"' in page.text


def test_pay_now_activates_the_order_and_confirms(nue):
    order = nue.draft(nue.customer()["id"])

    confirmation = pay(order["checkoutUrl"])

    assert confirmation.status_code == 200
    assert 'id="confirmation"' in confirmation.text and 'id="pay-now"' not in confirmation.text
    assert nue.get(f"/orders/{order['id']}").json()["data"]["status"] == "Activated"
    assert nue_events()[-1] == ("order.activated", {"order_id": order["id"],
                                                    "account_id": order["customerId"]})
    again = requests.get(order["checkoutUrl"], timeout=10)
    assert "paid and activated" in again.text


def test_a_canceled_order_cannot_be_paid(nue):
    order = nue.draft(nue.customer()["id"])
    page = requests.Session()
    form = page.get(order["checkoutUrl"], timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    nue.post(f"/orders/{order['id']}/cancel")

    response = page.post(order["checkoutUrl"], data={"csrfmiddlewaretoken": token}, timeout=10)

    assert response.status_code == 409 and 'id="unavailable"' in response.text
    assert nue.get(f"/orders/{order['id']}").json()["data"]["status"] == "Canceled"


def test_pay_now_without_the_pages_token_is_refused(nue):
    order = nue.draft(nue.customer()["id"])

    response = requests.post(order["checkoutUrl"], timeout=10)

    assert response.status_code == 403
    assert nue.get(f"/orders/{order['id']}").json()["data"]["status"] == "Draft"


def test_an_unknown_order_has_no_checkout_page(nue):
    assert requests.get(f"{nue.base_url}/checkout/nope", timeout=10).status_code == 404
