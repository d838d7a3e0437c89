"""Draft orders in the Nue emulator: created in Nue's documented shape, validated like Nue,
updated, activated, canceled, deleted and listed — each change announced by a webhook."""
import json
import re

import pytest

from tests.sandbox.nue.client import errors_of, nue_events

PRO = "price-book-entry-of-PRO-MONTHLY"  # replaced by the entry's id in the test


def orders_of(nue, *customers) -> list:
    ids = json.dumps([c["id"] for c in customers])
    return nue.get("/orders", params={"customerIds": ids}).json()["data"]


@pytest.fixture
def customer(nue):
    return nue.customer(paymentTerm="Net 30", billCycleDay=5)


def test_a_draft_in_nues_documented_shape_is_created(nue, customer):
    entry_id = nue.entry_id("PRO-MONTHLY")
    response = nue.post("/orders", {
        "customer": {"id": customer["id"]}, "effectiveDate": "2026-11-22",
        "name": "Annual platform license", "options": {"previewInvoice": False},
        "orderProducts": [{"priceBookEntryId": entry_id, "quantity": 5,
                           "subscriptionStartDate": "2026-12-01", "subscriptionTerm": 12}]})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "success" and body["warnings"] == []
    order = body["data"]["order"]
    assert re.fullmatch(r"[0-9a-f-]{36}", order["id"])
    assert re.fullmatch(r"O-\d{8}", order["orderNumber"])
    assert (order["status"], order["customerId"], order["effectiveDate"]) == (
        "Draft", customer["id"], "2026-11-22")
    assert (order["paymentTerm"], order["billCycleDay"], order["billingPeriod"]) == (
        "Net 30", 5, "Month")
    assert order["billToContactId"] == customer["billToContactId"]
    assert order["checkoutUrl"] == f"{nue.base_url}/checkout/{order['id']}"
    [line] = order["orderProducts"]
    assert (line["productSku"], line["priceBookEntryId"], line["quantity"], line["listPrice"],
            line["netSalesPrice"], line["totalPrice"]) == (
        "PRO-MONTHLY", entry_id, 5.0, 49.0, 49.0, 245.0)
    assert (line["subscriptionStartDate"], line["subscriptionTerm"]) == ("2026-12-01", 12)
    assert order["totalAmount"] == 245.0
    assert nue_events()[-1] == ("order.created",
                                {"order_id": order["id"], "account_id": customer["id"]})


def test_lines_carry_prices_discounts_terms_and_custom_fields(nue, customer):
    order = nue.draft(customer["id"], products=[
        {"priceBookEntryId": nue.entry_id("PRO-MONTHLY"), "quantity": 3, "discount": 10,
         "Seat_Type__c": "Editor"},
        {"priceBookEntryId": nue.entry_id("ADDON-SEATS"), "quantity": 4, "discountAmount": 6},
        {"priceBookEntryId": nue.entry_id("TEAM-ANNUAL"), "quantity": 1, "discountAmount": 90},
    ], billingPeriod="Quarter", paymentTerm="Net 45", billCycleDay=15, Region__c="EMEA")

    pro, seats, team = order["orderProducts"]
    assert (pro["discount"], pro["netSalesPrice"], pro["totalPrice"], pro["Seat_Type__c"]) == (
        10.0, 44.1, 132.3, "Editor")
    assert (seats["discountAmount"], seats["netSalesPrice"], seats["totalPrice"]) == (
        6.0, 8.5, 34.0)
    assert (team["listPrice"], team["netSalesPrice"], team["billingPeriod"]) == (
        990.0, 900.0, "Annual")
    assert (order["billingPeriod"], order["paymentTerm"], order["billCycleDay"],
            order["Region__c"]) == ("Quarter", "Net 45", 15, "EMEA")
    assert (order["listTotal"], order["totalAmount"]) == (1177.0, 1066.3)


def test_a_percentage_wins_over_an_amount_with_a_warning(nue, customer):
    response = nue.post("/orders", {
        "customer": {"id": customer["id"]}, "effectiveDate": "2026-11-22",
        "orderProducts": [{"priceBookEntryId": nue.entry_id("PRO-MONTHLY"), "quantity": 1,
                           "discount": 50,
                           "discountAmount": 1}]})

    body = response.json()
    assert body["data"]["order"]["orderProducts"][0]["netSalesPrice"] == 24.5
    assert [w["code"] for w in body["warnings"]] == ["PRODUCT_DISCOUNT_APPLIED"]


def test_an_order_may_name_its_customer_by_salesforce_id(nue):
    customer = nue.customer(externalId="001000000000003AAA")

    order = nue.draft("001000000000003AAA")

    assert order["customerId"] == customer["id"]


@pytest.mark.parametrize("change, expected", [
    ({"effectiveDate": None}, [("REQUIRED_FIELD_MISSING", "effectiveDate")]),
    ({"effectiveDate": "22/11/2026"}, [("INVALID_DATE", "effectiveDate")]),
    ({"orderProducts": []}, [("REQUIRED_FIELD_MISSING", "orderProducts")]),
    ({"customer": None}, [("REQUIRED_FIELD_MISSING", "customer")]),
    ({"customer": {"id": "no-such-customer"}}, [("CUSTOMER_NOT_FOUND", "customer.id")]),
    ({"orderProducts": [{"productSku": "PRO-MONTHLY", "quantity": 1}]},
     [("INVALID_FIELD", "orderProducts[0].productSku"),
      ("REQUIRED_FIELD_MISSING", "orderProducts[0].priceBookEntryId")]),
    ({"orderProducts": [{"priceBookEntryId": PRO, "quantity": 1, "listPrice": 1}]},
     [("INVALID_FIELD", "orderProducts[0].listPrice")]),
    ({"orderProducts": [{"priceBookEntryId": PRO, "quantity": 1, "addOns": {}}]},
     [("INVALID_FIELD_VALUE", "orderProducts[0].addOns")]),
    ({"customer": {"name": "New Co", "recordType": "Business"}},
     [("INVALID_FIELD", "customer.name"), ("INVALID_FIELD", "customer.recordType"),
      ("REQUIRED_FIELD_MISSING", "customer.id")]),
    ({"customerId": "x"}, [("INVALID_FIELD", "customerId")]),
    ({"billToContact": {"email": "ana@acme.io"}},
     [("INVALID_FIELD", "billToContact.email"), ("CONTACT_NOT_FOUND", "billToContact.id")]),
    ({"options": {"previewInvoice": "yes"}}, [("INVALID_FIELD_VALUE", "options.previewInvoice")]),
    ({"options": {"shipIt": True}}, [("INVALID_FIELD", "options.shipIt")]),
    ({"orderProducts": [{"priceBookEntryId": "01u000000000000", "quantity": 1}]},
     [("PRICE_BOOK_ENTRY_NOT_FOUND", "orderProducts[0].priceBookEntryId")]),
    ({"orderProducts": [{"quantity": 1}]},
     [("REQUIRED_FIELD_MISSING", "orderProducts[0].priceBookEntryId")]),
    ({"orderProducts": [{"priceBookEntryId": PRO, "quantity": 0}]},
     [("INVALID_FIELD_VALUE", "orderProducts[0].quantity")]),
    ({"orderProducts": [{"priceBookEntryId": PRO, "quantity": 2, "discount": 120}]},
     [("INVALID_FIELD_VALUE", "orderProducts[0].discount")]),
    ({"orderProducts": [{"priceBookEntryId": PRO, "quantity": 1, "discountAmount": 50}]},
     [("INVALID_DISCOUNT", "orderProducts[0].discountAmount")]),
    ({"currencyIsoCode": "EUR"}, [("INVALID_FIELD", "currencyIsoCode")]),
    ({"billingPeriod": "Weekly"}, [("INVALID_FIELD_VALUE", "billingPeriod")]),
    ({"billCycleDay": 0}, [("INVALID_FIELD_VALUE", "billCycleDay")]),
    ({"poNumber": "PO-1"}, [("INVALID_FIELD", "poNumber")]),
    ({"Region__c": {"nested": True}}, [("INVALID_FIELD_VALUE", "Region__c")]),
])
def test_invalid_orders_are_rejected_like_nue_does(nue, customer, change, expected):
    body = {"customer": {"id": customer["id"]}, "effectiveDate": "2026-11-22",
            "orderProducts": [{"priceBookEntryId": PRO, "quantity": 1}], **change}
    body = json.loads(json.dumps({k: v for k, v in body.items() if v is not None})
                      .replace(PRO, nue.entry_id("PRO-MONTHLY")))

    response = nue.post("/orders", body)

    assert response.status_code == 400
    assert errors_of(response) == expected
    assert orders_of(nue, customer) == []


def test_a_body_that_is_not_json_is_rejected(nue):
    response = nue.post("/orders", data=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert errors_of(response) == [("MALFORMED_REQUEST", None)]


def test_the_same_idempotency_key_and_body_create_one_order(nue, customer):
    body = {"customer": {"id": customer["id"]}, "effectiveDate": "2026-11-22",
            "orderProducts": [{"priceBookEntryId": nue.entry_id("PRO-MONTHLY"), "quantity": 1}]}
    headers = {"Idempotency-Key": "order-1"}

    first = nue.post("/orders", body, headers=headers)
    again = nue.post("/orders", body, headers=headers)
    changed = nue.post("/orders", {**body, "effectiveDate": "2026-12-01"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert changed.status_code == 409 and errors_of(changed) == [("IDEMPOTENCY_KEY_REUSED", None)]
    assert len(orders_of(nue, customer)) == 1
    assert [t for t, _ in nue_events()].count("order.created") == 1


def test_a_draft_is_read_back_and_a_missing_order_is_404(nue, customer):
    order = nue.draft(customer["id"])

    assert nue.get(f"/orders/{order['id']}").json()["data"] == order
    missing = nue.get("/orders/5b1c7a38-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and errors_of(missing) == [("ORDER_NOT_FOUND", None)]


def test_patching_a_draft_replaces_its_products_and_merges_custom_fields(nue, customer):
    order = nue.draft(customer["id"], products=[
        {"priceBookEntryId": nue.entry_id("PRO-MONTHLY"), "quantity": 3},
        {"priceBookEntryId": nue.entry_id("ADDON-SEATS"), "quantity": 2}],
                      Region__c="EMEA", Channel__c="web")
    pro, _seats = order["orderProducts"]

    response = nue.patch(f"/orders/{order['id']}", {
        "orderProducts": [{"id": pro["id"], "priceBookEntryId": nue.entry_id("PRO-MONTHLY"),
                           "quantity": 5},
                          {"priceBookEntryId": nue.entry_id("TEAM-ANNUAL"), "quantity": 1}],
        "paymentTerm": "Net 15", "Region__c": "APAC", "Channel__c": None})

    assert response.status_code == 200
    updated = response.json()["data"]["order"]
    lines = [(p["id"] == pro["id"], p["productSku"], p["quantity"])
             for p in updated["orderProducts"]]
    assert lines == [(True, "PRO-MONTHLY", 5.0), (False, "TEAM-ANNUAL", 1.0)]
    assert (updated["paymentTerm"], updated["Region__c"]) == ("Net 15", "APAC")
    assert "Channel__c" not in updated
    assert nue_events()[-1] == ("order.updated",
                                {"order_id": order["id"], "account_id": customer["id"]})


def test_patching_with_a_line_id_from_elsewhere_changes_nothing(nue, customer):
    order = nue.draft(customer["id"])

    response = nue.patch(f"/orders/{order['id']}", {"orderProducts": [
        {"id": "not-a-line-here", "priceBookEntryId": nue.entry_id("PRO-MONTHLY"),
         "quantity": 9}]})

    assert response.status_code == 400 and errors_of(response)[0][0] == "ORDER_PRODUCT_NOT_FOUND"
    unchanged = nue.get(f"/orders/{order['id']}").json()["data"]
    assert unchanged["orderProducts"] == order["orderProducts"]


def test_activation_is_a_post_to_the_order_and_only_drafts_activate(nue, customer):
    order = nue.draft(customer["id"])

    response = nue.post(f"/orders/{order['id']}", {"options": {"generateInvoice": False}})
    again = nue.post(f"/orders/{order['id']}/activate")
    patch = nue.patch(f"/orders/{order['id']}", {"paymentTerm": "Net 15"})

    assert response.status_code == 200
    activated = response.json()["data"]["order"]
    assert activated["status"] == "Activated" and activated["orderPlacedDate"]
    assert again.status_code == 400 and errors_of(again) == [("INVALID_ORDER_STATUS", None)]
    assert patch.status_code == 400 and errors_of(patch) == [("INVALID_ORDER_STATUS", None)]
    assert [t for t, _ in nue_events()][-1] == "order.activated"


def test_cancel_then_delete(nue, customer):
    order = nue.draft(customer["id"])

    canceled = nue.post(f"/orders/{order['id']}/cancel")
    activate = nue.post(f"/orders/{order['id']}")
    deleted = nue.delete(f"/orders/{order['id']}")

    assert canceled.json()["data"]["order"]["status"] == "Canceled"
    assert activate.status_code == 400
    assert deleted.status_code == 200
    assert nue.get(f"/orders/{order['id']}").status_code == 404
    assert nue.delete(f"/orders/{order['id']}").status_code == 404
    assert [t for t, _ in nue_events()][-3:] == ["order.created", "order.canceled", "order.deleted"]


def test_an_activated_order_cannot_be_deleted(nue, customer):
    order = nue.draft(customer["id"])
    nue.post(f"/orders/{order['id']}")

    response = nue.delete(f"/orders/{order['id']}")

    assert response.status_code == 400 and errors_of(response) == [("INVALID_ORDER_STATUS", None)]
    assert nue.get(f"/orders/{order['id']}").json()["data"]["status"] == "Activated"


def test_orders_are_listed_only_for_named_customers(nue, customer):
    other = nue.customer(name="Other", email="o@other.io")
    drafts = [nue.draft(customer["id"])["id"] for _ in range(3)]
    active = nue.draft(other["id"])["id"]
    nue.post(f"/orders/{active}")
    since = nue.get(f"/orders/{active}").json()["data"]["lastModifiedDate"]

    def ids(**params):
        return [o["id"] for o in nue.get("/orders", params=params).json()["data"]]

    both = json.dumps([customer["id"], other["id"]])
    assert ids(customerIds=both, status="draft") == drafts
    assert ids(customerIds=both, status="active", includes="assets,invoices") == [active]
    assert ids(customerIds=f'["{other["id"]}"]') == [active]
    refused = {"no customers": {"status": "draft"},
               "not an array": {"customerIds": customer["id"]},
               "unknown status": {"customerIds": both, "status": "pending"},
               "undocumented filter": {"customerIds": both, "lastModifiedDate>": since}}
    for params in refused.values():
        assert nue.get("/orders", params=params).status_code == 400
    assert errors_of(nue.get("/orders")) == [("REQUIRED_FIELD_MISSING", "customerIds")]


def test_activation_takes_only_nues_documented_options(nue, customer):
    order = nue.draft(customer["id"])

    unknown = nue.post(f"/orders/{order['id']}", {"options": {"chargeNow": True}})
    stray = nue.post(f"/orders/{order['id']}", {"status": "Activated"})
    activated = nue.post(f"/orders/{order['id']}", {"options": {"generateInvoice": True,
                                                                "activateInvoice": False}})

    assert errors_of(unknown) == [("INVALID_FIELD", "options.chargeNow")]
    assert errors_of(stray) == [("INVALID_FIELD", "status")]
    data = activated.json()["data"]
    assert (data["order"]["status"], data["assets"], data["invoices"]) == ("Activated", [], [])
