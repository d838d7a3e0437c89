"""The Nue emulator's front door: the `nue-api-key` header, the catalog, and the test switches."""
import time

import pytest

from tests.sandbox.nue.client import NueApi, errors_of


@pytest.mark.parametrize("key", [None, "wrong"])
def test_requests_without_the_right_api_key_are_refused_in_nues_shape(nue, key):
    response = NueApi(nue.base_url, key=key).get("/orders")

    assert response.status_code == 401
    assert errors_of(response) == [("UNAUTHORIZED", None)]


def test_the_catalog_lists_the_shared_skus_with_their_price_book_entries(nue):
    response = nue.get("/catalog/products")

    assert response.status_code == 200
    products = {p["sku"]: p for p in response.json()}
    assert set(products) == {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"}
    entry = products["TEAM-ANNUAL"]["priceBookEntries"][0]
    assert (products["TEAM-ANNUAL"]["name"], entry["listPrice"], entry["currencyIsoCode"],
            entry["billingPeriod"]) == ("Team Annual", 990.0, "USD", "Annual")
    assert products["PRO-MONTHLY"]["priceBookEntries"][0]["listPrice"] == 49.0
    assert products["ADDON-SEATS"]["name"] == "Extra Seats"


def test_queued_failures_are_served_once_each_in_order(nue):
    nue.control(fail_next=["500", "429"])

    first, second, third = (nue.get("/customers") for _ in range(3))

    assert first.status_code == 500 and errors_of(first)[0][0] == "INTERNAL_SERVER_ERROR"
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"
    assert third.status_code == 200
    assert nue.control()["fail_next"] == []


def test_a_queued_timeout_holds_the_answer_back(nue):
    nue.control(fail_next=["timeout"], timeout_seconds=0.5)

    started = time.monotonic()
    response = nue.get("/customers")

    assert time.monotonic() - started >= 0.5
    assert response.status_code == 504


def test_control_counts_calls_and_reset_wipes_the_tenant(nue):
    customer = nue.customer()
    nue.draft(customer["id"])
    nue.get("/customers")

    calls = nue.control()["calls"]
    assert (calls["POST orders"], calls["GET customers"], calls["POST customers"]) == (1, 1, 1)

    nue.control(reset=True)

    assert nue.control()["calls"] == {}
    assert nue.get(f"/customers/{customer['id']}").status_code == 404
    assert nue.get("/customers").json()["data"] == []
