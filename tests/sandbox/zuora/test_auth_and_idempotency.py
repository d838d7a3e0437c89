"""OAuth client credentials, bearer checks and `Idempotency-Key` handling, as Zuora documents;
the injected latency of the `_control` endpoint."""
import time

import pytest

from sandbox.zuora.models import Order
from tests.sandbox.zuora.conftest import order_body, rate_plan_entry

TOKEN_URL = "/sandbox/zuora/oauth/token"


def test_token_for_the_sandbox_client(client, db):
    response = client.post(TOKEN_URL, {"client_id": "sandbox", "client_secret": "sandbox",
                                       "grant_type": "client_credentials"})
    data = response.json()
    assert response.status_code == 200
    assert data["token_type"] == "bearer" and data["expires_in"] == 3600 and data["access_token"]


def test_wrong_credentials_and_grant_are_refused(client, db):
    wrong = client.post(TOKEN_URL, {"client_id": "sandbox", "client_secret": "nope",
                                    "grant_type": "client_credentials"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = client.post(TOKEN_URL, {"client_id": "sandbox", "client_secret": "sandbox",
                                    "grant_type": "password"})
    assert grant.status_code == 400


def test_calls_without_a_valid_token_get_zuoras_401(zuora):
    for token in ("not-a-token", ""):
        response = zuora.call("GET", "/v1/catalog/products", token=token or " ")
        assert response.status_code == 401
        assert response.json()["reasons"][0]["code"] == 90000011


def test_expired_tokens_stop_working(zuora):
    zuora.control(token_lifetime=120)
    token = zuora.new_token()
    assert zuora.call("GET", "/v1/catalog/products", token=token).status_code == 200

    zuora.control(expire_tokens=True)
    assert zuora.call("GET", "/v1/catalog/products", token=token).status_code == 401
    assert zuora.call("GET", "/v1/catalog/products", token=zuora.new_token()).status_code == 200


def test_injected_latency_delays_every_call_until_set_back(zuora):
    assert zuora.control(latency_ms=300)["latency_ms"] == 300
    started = time.monotonic()
    assert zuora.call("GET", "/v1/catalog/products").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert zuora.control(latency_ms=0)["latency_ms"] == 0


def test_token_lifetime_is_settable(zuora):
    zuora.control(token_lifetime=5)
    response = zuora.client.post(TOKEN_URL, {"client_id": "sandbox", "client_secret": "sandbox",
                                             "grant_type": "client_credentials"})
    assert response.json()["expires_in"] == 5


def test_same_key_and_body_replays_the_first_answer(zuora):
    key = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000001"}
    first = zuora.ok("POST", "/v1/orders", order_body(), headers=key)

    again = zuora.call("POST", "/v1/orders", order_body(), headers=key)
    assert again.status_code == 200 and again.json() == first
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_same_key_with_a_different_body_is_refused(zuora):
    key = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000002"}
    zuora.ok("POST", "/v1/orders", order_body(), headers=key)

    other = zuora.call("POST", "/v1/orders", order_body(rate_plan_entry("ADDON-SEATS", 9)),
                       headers=key)
    assert other.status_code == 422
    assert other.json()["success"] is False and Order.objects.count() == 1


def test_a_refused_request_is_replayed_too(zuora):
    key = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000003"}
    bad = order_body(orderDate=None)
    first = zuora.call("POST", "/v1/orders", bad, headers=key).json()

    again = zuora.call("POST", "/v1/orders", bad, headers=key).json()
    assert again["reasons"] == first["reasons"] and again["processId"] == first["processId"]


@pytest.mark.parametrize("failure, status", [("503", 503), ("lock", 200)])
def test_a_server_failure_under_a_key_is_replayed_for_the_day(zuora, failure, status):
    """Zuora saves a keyed request's answer "regardless of whether it succeeded or failed"."""
    key = {"Idempotency-Key": f"c0ffee00-0000-4000-8000-00000000000{status // 100}"}
    zuora.control(fail_next=[f"{failure} POST /v1/orders"])
    first = zuora.call("POST", "/v1/orders", order_body(), headers=key)
    assert first.status_code == status and first.json()["success"] is False

    again = zuora.call("POST", "/v1/orders", order_body(), headers=key)
    assert (again.status_code, again.json()) == (status, first.json())
    assert again["Idempotent-Replayed"] == "true" and Order.objects.count() == 0
    assert zuora.call("POST", "/v1/orders", order_body(), headers={
        "Idempotency-Key": key["Idempotency-Key"] + ".2"}).json()["success"] is True


def test_without_a_key_every_post_creates(zuora):
    zuora.ok("POST", "/v1/orders", order_body())
    zuora.ok("POST", "/v1/orders", order_body())
    assert Order.objects.count() == 2
