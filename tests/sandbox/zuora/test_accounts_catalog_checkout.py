"""Accounts (GET/PUT, create), Object Query lookups, the catalog, the hosted checkout page, the
control endpoint, and the signed webhooks the emulator sends."""
import re

import pytest
from standardwebhooks import Webhook

from sandbox.webhooks.models import Delivery, Switches
from sandbox.webhooks.outbox import deliver_due
from tests.sandbox.webhooks.receiver import Receiver
from tests.sandbox.zuora.conftest import new_account, order_body


@pytest.fixture
def account(zuora):
    return zuora.ok("POST", "/v1/orders", order_body())["accountNumber"]


def test_account_by_number_or_id(zuora, account):
    by_number = zuora.ok("GET", f"/v1/accounts/{account}")
    by_id = zuora.ok("GET", f"/v1/accounts/{by_number['basicInfo']['id']}")

    assert by_id == by_number
    assert by_number["billingAndPayment"]["currency"] == "USD"
    missing = zuora.call("GET", "/v1/accounts/A09999999")
    assert missing.status_code == 200 and missing.json()["reasons"][0]["code"] == 50000040


def test_update_account_sets_crm_id_contacts_and_custom_fields(zuora, account):
    zuora.ok("PUT", f"/v1/accounts/{account}", {
        "crmId": "001000000000002BBB",
        "billToContact": {"firstName": "Ana", "lastName": "Diaz", "workEmail": "billing@acme.io"},
        "Segment__c": "SMB"})

    updated = zuora.ok("GET", f"/v1/accounts/{account}")
    assert updated["basicInfo"]["crmId"] == "001000000000002BBB"
    assert updated["basicInfo"]["Segment__c"] == "SMB"
    assert updated["billToContact"]["workEmail"] == "billing@acme.io"
    assert updated["billToContact"]["firstName"] == "Ana"
    unknown = zuora.call("PUT", f"/v1/accounts/{account}", {"shoeSize": 42})
    assert unknown.json()["reasons"][0]["code"] == 52010021
    assert Delivery.objects.filter(event_type="customer.updated").count() == 1


def test_create_account(zuora):
    created = zuora.ok("POST", "/v1/accounts", new_account(name="Globex", postal="zipCode"))

    assert created["accountNumber"].startswith("A") and created["billToContactId"]
    assert zuora.ok("GET", f"/v1/accounts/{created['accountId']}")["basicInfo"]["name"] == "Globex"
    refused = zuora.call("POST", "/v1/accounts", new_account(billToContact=None, postal="zipCode"))
    assert refused.json()["success"] is False


def test_object_query_finds_accounts_by_crm_id_and_contacts_by_email(zuora, account):
    found = zuora.ok("GET", "/object-query/accounts?filter[]=crmId.EQ:001000000000001AAA")
    assert [row["accountNumber"] for row in found["data"]] == [account]
    assert zuora.ok("GET", "/object-query/accounts?filter[]=crmId.EQ:nobody")["data"] == []

    # Filters compare exactly, case included (an assumption, docs/vendor-assumptions.md, Zuora).
    assert zuora.ok("GET", "/object-query/contacts?filter[]=workEmail.EQ:ANA@acme.io")["data"] == []
    contacts = zuora.ok("GET", "/object-query/contacts?filter[]=workEmail.EQ:ana@acme.io")["data"]
    assert len(contacts) == 1
    bill_to = zuora.ok("GET", f"/object-query/accounts?filter[]=billToId.IN:[{contacts[0]['id']}]"
                              "&sort[]=createdDate.ASC")["data"]
    assert [row["accountNumber"] for row in bill_to] == [account]
    bad = zuora.call("GET", "/object-query/accounts?filter[]=shoeSize.EQ:42")
    assert bad.status_code == 400


def test_a_tenant_without_object_query_answers_404_and_zoql_still_works(zuora, account):
    zuora.control(object_query=False)
    assert zuora.call("GET", "/object-query/accounts?filter[]=crmId.EQ:x").status_code == 404

    found = zuora.ok("POST", "/v1/action/query", {
        "queryString": "select Id, AccountId from Contact where WorkEmail = 'nobody@acme.io' "
                       "or WorkEmail = 'ana@acme.io'"})
    assert found["size"] == 1 and found["done"] is True
    accounts = zuora.ok("POST", "/v1/action/query", {
        "queryString": "select AccountNumber from Account where CrmId = '001000000000001AAA'"})
    assert accounts["records"] == [{"AccountNumber": account}]
    assert zuora.call("POST", "/v1/action/query", {"queryString": "drop table"}).status_code == 400


def test_catalog_lists_the_sandbox_skus(zuora):
    products = zuora.ok("GET", "/v1/catalog/products")["products"]
    prices = {p["sku"]: (p["productRatePlans"][0]["productRatePlanCharges"][0]["pricing"][0],
                         p["productRatePlans"][0]["productRatePlanCharges"][0]["billingPeriod"])
              for p in products}
    assert prices == {
        "PRO-MONTHLY": ({"currency": "USD", "price": "49.00"}, "Month"),
        "TEAM-ANNUAL": ({"currency": "USD", "price": "990.00"}, "Annual"),
        "ADDON-SEATS": ({"currency": "USD", "price": "10.00"}, "Month"),
    }


def test_checkout_page_shows_the_draft_and_pay_now_activates_it(zuora):
    number = zuora.ok("POST", "/v1/orders", order_body(status="Draft"))["orderNumber"]
    url = zuora.ok("GET", f"/v1/orders/{number}")["order"]["checkoutUrl"]

    page = zuora.client.get(url)
    assert page.status_code == 200
    assert "Pro Monthly" in page.content.decode() and "147.00" in page.content.decode()
    assert re.search(r'id="pay"', page.content.decode())
    paid = zuora.client.post(url)
    assert 'id="confirmation"' in paid.content.decode()
    assert zuora.ok("GET", f"/v1/orders/{number}")["order"]["status"] == "Completed"
    assert Delivery.objects.filter(event_type="order.activated").count() == 1
    assert zuora.client.get("/sandbox/zuora/checkout/O-09999999").status_code == 404


def test_fail_next_injects_failures_then_recovers(zuora):
    zuora.control(fail_next=["500", "429", "lock"])

    assert zuora.call("GET", "/v1/catalog/products").status_code == 500
    limited = zuora.call("GET", "/v1/catalog/products")
    assert limited.status_code == 429 and limited["Retry-After"] == "1"
    locked = zuora.call("GET", "/v1/catalog/products")
    assert locked.status_code == 200 and locked.json()["reasons"][0]["code"] % 100 == 50
    assert zuora.call("GET", "/v1/catalog/products").status_code == 200
    assert zuora.control()["call_counts"]["GET /v1/catalog/products"] == 4


def test_reset_forgets_the_tenant(zuora, account):
    assert zuora.control(reset=True)["accounts"] == 0
    assert zuora.call("GET", f"/v1/accounts/{account}").status_code == 401  # tokens went too


def test_emulator_webhooks_verify_with_the_configured_secret(zuora, hub_settings):
    receiver = Receiver()
    hub_settings["public_url"] = receiver.url
    Switches.objects.update_or_create(pk=1, defaults={"auto_deliver": False})
    try:
        created = zuora.ok("POST", "/v1/orders", order_body(status="Draft"))
        assert deliver_due() == 2
        requests = receiver.wait_for(2)
    finally:
        receiver.close()

    verified = [Webhook(hub_settings["zuora_webhook_secret"]).verify(r["body"], r["headers"])
                for r in requests]
    assert {event["type"] for event in verified} == {"customer.created", "order.created"}
    order_event = next(e for e in verified if e["type"] == "order.created")
    assert order_event["data"] == {"order_id": created["orderNumber"],
                                   "account_id": created["accountNumber"]}
    assert all(r["path"] == "/api/v1/webhooks/zuora" for r in requests)
