"""The Zuora emulator driven in-process through Django's test client, in Zuora's documented
request shapes."""
import json

import pytest

from sandbox.zuora.catalog import rate_plan

BASE = "/sandbox/zuora"


class ZuoraClient:
    def __init__(self, client):
        self.client = client
        self.token = self.new_token()

    def new_token(self) -> str:
        response = self.client.post(f"{BASE}/oauth/token", {
            "client_id": "sandbox", "client_secret": "sandbox",
            "grant_type": "client_credentials"})
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def call(self, method: str, path: str, body=None, *, headers=None, token=None):
        headers = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        return self.client.generic(method, f"{BASE}{path}",
                                   json.dumps(body) if body is not None else "",
                                   content_type="application/json", headers=headers)

    def ok(self, method: str, path: str, body=None, **kwargs) -> dict:
        """A call that must succeed: HTTP 200 and `success: true`."""
        response = self.call(method, path, body, **kwargs)
        data = response.json()
        assert response.status_code == 200 and data.get("success", True), data
        return data

    def control(self, **switches) -> dict:
        return self.client.post(f"{BASE}/_control", switches,
                                content_type="application/json").json()


@pytest.fixture
def zuora(client, db):
    return ZuoraClient(client)


def plan_id(sku: str) -> str:
    return rate_plan(plan_number={"PRO-MONTHLY": "PRP-00000001", "TEAM-ANNUAL": "PRP-00000002",
                                  "ADDON-SEATS": "PRP-00000003"}[sku]).rate_plan_id


def new_account(*, postal: str = "postalCode", **overrides) -> dict:
    """An order's `newAccount`; with `postal="zipCode"` a `POST /v1/accounts` body (the two
    spell the contact's postal code differently)."""
    return {
        "name": "Acme Inc", "currency": "USD", "billCycleDay": 1, "crmId": "001000000000001AAA",
        "paymentTerm": "Net 30",
        "billToContact": {"firstName": "Ana", "lastName": "Diaz", "workEmail": "ana@acme.io",
                          "address1": "1 Main St", "city": "Austin", "state": "TX",
                          postal: "78701", "country": "US", "workPhone": "+1 555 0100"},
        **overrides,
    }


def subscribe(*plans) -> list[dict]:
    """`subscriptions` with one CreateSubscription action subscribing to the given rate plans
    (each a dict, e.g. from `rate_plan_entry`)."""
    return [{"orderActions": [{
        "type": "CreateSubscription",
        "triggerDates": [{"name": "ContractEffective", "triggerDate": "2026-11-22"}],
        "createSubscription": {"terms": {"initialTerm": {"termType": "EVERGREEN"}},
                               "subscribeToRatePlans": list(plans)},
    }]}]


def rate_plan_entry(sku: str, quantity=1, *, list_price=None, **extra):
    plan = rate_plan(plan_id=plan_id(sku))
    per_unit = {"quantity": quantity}
    if list_price is not None:
        per_unit["listPrice"] = list_price
    pricing = {"recurringPerUnit": per_unit}
    return {"productRatePlanId": plan.rate_plan_id, **extra,
            "chargeOverrides": [{"productRatePlanChargeId": plan.charge_id, "pricing": pricing}]}


def order_body(*plans, **overrides) -> dict:
    body = {"orderDate": "2026-11-22", "newAccount": new_account(),
            "subscriptions": subscribe(*(plans or [rate_plan_entry("PRO-MONTHLY", 3)]))}
    body.update(overrides)
    return body
