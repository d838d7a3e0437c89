"""The save and delete rules of Orders and their products the hub meets, derived fields, and
the optional duplicate rules."""
import time

import pytest

from .conftest import error_of

pytestmark = pytest.mark.django_db(transaction=True)


def order_of(rest, order_id, fields="Status,AccountId,TotalAmount,OrderNumber,SystemModstamp"):
    return rest.get(f"sobjects/Order/{order_id}", params={"fields": fields}).json()


def test_orders_are_created_as_draft_only(rest, make_order, catalog):
    account = rest.create("Account", {"Name": "A"})
    response = rest.post("sobjects/Order", {"AccountId": account, "EffectiveDate": "2026-01-01",
                                            "Status": "Activated",
                                            "Pricebook2Id": catalog["pricebook"]})
    assert error_of(response)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    bad_status = rest.post("sobjects/Order", {"AccountId": account, "EffectiveDate": "2026-01-01",
                                              "Status": "Shipped"})
    assert error_of(bad_status)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    defaulted = rest.create("Order", {"AccountId": account, "EffectiveDate": "2026-01-01"})
    assert order_of(rest, defaulted)["Status"] == "Draft"


def test_order_number_and_totals_are_derived(rest, make_order, catalog):
    made = make_order(items=(("PRO-MONTHLY", 3), ("ADDON-SEATS", 2)))
    order = order_of(rest, made["order"])
    assert order["TotalAmount"] == 3 * 49 + 2 * 10
    assert order["OrderNumber"].isdigit() and len(order["OrderNumber"]) == 8
    item = rest.get(f"sobjects/OrderItem/{made['items'][0]}").json()
    assert item["TotalPrice"] == 147 and item["ListPrice"] == 49
    assert item["Product2Id"] == catalog["entries"]["PRO-MONTHLY"]["Product2Id"]
    item_url = f"sobjects/OrderItem/{made['items'][0]}"
    assert rest.patch(item_url, {"Quantity": 1, "UnitPrice": 49}).status_code == 204
    assert order_of(rest, made["order"])["TotalAmount"] == 49 + 20
    # Documented: Quantity without UnitPrice keeps TotalPrice and adjusts UnitPrice.
    assert rest.patch(item_url, {"Quantity": 2}).status_code == 204
    item = rest.get(item_url).json()
    assert (item["UnitPrice"], item["TotalPrice"]) == (24.5, 49)
    assert rest.delete(f"sobjects/OrderItem/{made['items'][1]}").status_code == 204
    assert order_of(rest, made["order"])["TotalAmount"] == 49


def test_read_only_fields_cannot_be_written(rest, make_order):
    made = make_order()
    response = rest.patch(f"sobjects/Order/{made['order']}", {"TotalAmount": 1})
    error = error_of(response)
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["TotalAmount"]


def test_account_changes_only_while_draft(rest, make_order):
    made = make_order()
    other = rest.create("Account", {"Name": "Other"})
    assert rest.patch(f"sobjects/Order/{made['order']}", {"AccountId": other}).status_code == 204
    assert rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Activated"}).status_code == 204
    response = rest.patch(f"sobjects/Order/{made['order']}", {"AccountId": made["account"]})
    error = error_of(response)
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION" and error["fields"] == ["AccountId"]
    # other fields of an activated order stay editable
    assert rest.patch(f"sobjects/Order/{made['order']}",
                      {"Description": "paid", "Billing_Period__c": "Month"}).status_code == 204


def test_status_code_is_the_status_category(rest, make_order):
    """StatusCode is Draft or Activated; the Canceled status the hub ships sits in Draft."""
    made = make_order()
    codes = [order_of(rest, made["order"], "StatusCode")["StatusCode"]]
    for status in ("Activated", "Canceled"):
        assert rest.patch(f"sobjects/Order/{made['order']}", {"Status": status}).status_code == 204
        codes.append(order_of(rest, made["order"], "StatusCode")["StatusCode"])
    assert codes == ["Draft", "Activated", "Draft"]
    described = {f["name"]: f for f in rest.get("sobjects/Order/describe").json()["fields"]}
    assert [v["value"] for v in described["StatusCode"]["picklistValues"]] == ["Draft", "Activated"]


def test_activation_needs_products(rest, make_order):
    made = make_order(items=())
    response = rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Activated"})
    assert error_of(response)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error_of(response)["fields"] == ["Status"]


def test_order_items_keep_their_order_and_price_book_entry(rest, make_order, catalog):
    made = make_order(billing_id="ZO-9")
    other = make_order()
    entry = catalog["entries"]["PRO-MONTHLY"]["Id"]
    # An upsert that finds the item updates it, so the create-only fields are refused there too.
    rest.patch(f"sobjects/OrderItem/{made['items'][0]}", {"Billing_Line_Id__c": "L-9"})
    upsert = rest.patch("sobjects/OrderItem/Billing_Line_Id__c/L-9", {
        "OrderId": made["order"], "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 49})
    assert error_of(upsert)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert sorted(error_of(upsert)["fields"]) == ["OrderId", "PricebookEntryId"]
    for field, value in (("OrderId", other["order"]),
                         ("PricebookEntryId", catalog["entries"]["TEAM-ANNUAL"]["Id"])):
        response = rest.patch(f"sobjects/OrderItem/{made['items'][0]}", {field: value})
        error = error_of(response)
        assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        assert error["fields"] == [field]


def test_no_item_changes_on_an_activated_order(rest, make_order, catalog):
    made = make_order()
    assert rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Activated"}).status_code == 204
    item_url = f"sobjects/OrderItem/{made['items'][0]}"
    refused = [
        rest.post("sobjects/OrderItem", {
            "OrderId": made["order"], "Quantity": 1, "UnitPrice": 1,
            "PricebookEntryId": catalog["entries"]["PRO-MONTHLY"]["Id"]}),
        rest.patch(item_url, {"Quantity": 5, "UnitPrice": 49}),
        rest.delete(item_url),
    ]
    assert [error_of(r)["errorCode"] for r in refused] == ["FIELD_INTEGRITY_EXCEPTION"] * 3
    assert rest.get(item_url).json()["Quantity"] == 1
    # back to Draft, the items can change again
    assert rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Draft"}).status_code == 204
    assert rest.patch(item_url, {"Quantity": 5, "UnitPrice": 49}).status_code == 204


def test_items_must_be_priced_from_the_orders_price_book(rest, make_order, catalog):
    pricebook = rest.create("Pricebook2", {"Name": "Partners", "IsActive": True})
    product = catalog["entries"]["PRO-MONTHLY"]["Product2Id"]
    partner_entry = rest.create("PricebookEntry", {"Pricebook2Id": pricebook, "Product2Id": product,
                                                   "UnitPrice": 39, "IsActive": True})
    made = make_order(items=())
    response = rest.post("sobjects/OrderItem", {"OrderId": made["order"], "Quantity": 1,
                                                "UnitPrice": 39, "PricebookEntryId": partner_entry})
    error = error_of(response)
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error["fields"] == ["PricebookEntryId"]
    no_pricebook = rest.create("Order", {"AccountId": made["account"],
                                         "EffectiveDate": "2026-01-01"})
    response = rest.post("sobjects/OrderItem", {
        "OrderId": no_pricebook, "Quantity": 1, "UnitPrice": 49,
        "PricebookEntryId": catalog["entries"]["PRO-MONTHLY"]["Id"]})
    assert error_of(response)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_price_book_entries_need_a_standard_price_and_are_unique(rest, catalog):
    product = rest.create("Product2", {"Name": "Gadget", "ProductCode": "GADGET", "IsActive": True})
    pricebook = rest.create("Pricebook2", {"Name": "Partners", "IsActive": True})
    no_standard = rest.post("sobjects/PricebookEntry", {"Pricebook2Id": pricebook,
                                                        "Product2Id": product, "UnitPrice": 5})
    assert error_of(no_standard)["errorCode"] == "STANDARD_PRICE_NOT_DEFINED"
    entry = rest.create("PricebookEntry", {"Pricebook2Id": catalog["pricebook"],
                                           "Product2Id": product, "UnitPrice": 5, "IsActive": True})
    assert rest.get(f"sobjects/PricebookEntry/{entry}").json()["ProductCode"] == "GADGET"
    again = rest.post("sobjects/PricebookEntry", {"Pricebook2Id": catalog["pricebook"],
                                                  "Product2Id": product, "UnitPrice": 6})
    assert error_of(again)["errorCode"] == "DUPLICATE_VALUE"


def test_price_book_entries_follow_their_product(rest, catalog):
    entry = catalog["entries"]["ADDON-SEATS"]
    rest.patch(f"sobjects/Product2/{entry['Product2Id']}",
               {"ProductCode": "SEATS", "Name": "Seats"})
    updated = rest.get(f"sobjects/PricebookEntry/{entry['Id']}").json()
    assert (updated["ProductCode"], updated["Name"]) == ("SEATS", "Seats")
    assert rest.records("SELECT Id FROM PricebookEntry WHERE ProductCode = 'SEATS'")[0]["Id"] == \
        entry["Id"]


def test_system_modstamp_advances_on_every_write(rest, make_order):
    made = make_order()
    before = order_of(rest, made["order"])["SystemModstamp"]
    time.sleep(0.01)
    rest.patch(f"sobjects/Order/{made['order']}", {"Description": "edited"})
    after_edit = order_of(rest, made["order"])["SystemModstamp"]
    assert after_edit > before
    time.sleep(0.01)
    rest.patch(f"sobjects/OrderItem/{made['items'][0]}", {"Quantity": 2, "UnitPrice": 1})
    assert order_of(rest, made["order"])["SystemModstamp"] > after_edit


def test_deletes_cascade_and_activated_orders_are_protected(rest, make_order):
    made = make_order()
    contact = rest.create("Contact", {"LastName": "D", "AccountId": made["account"]})
    rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Activated"})
    refused = rest.delete(f"sobjects/Order/{made['order']}")
    assert error_of(refused)["errorCode"] == "DELETE_FAILED"
    assert error_of(rest.delete(f"sobjects/Account/{made['account']}"))["errorCode"] == \
        "DELETE_FAILED"
    rest.patch(f"sobjects/Order/{made['order']}", {"Status": "Draft"})
    assert rest.delete(f"sobjects/Account/{made['account']}").status_code == 204
    for path in (f"Order/{made['order']}", f"OrderItem/{made['items'][0]}", f"Contact/{contact}"):
        assert rest.get(f"sobjects/{path}").status_code == 404
    deleted = rest.get("queryAll", params={"q": "SELECT Id, IsDeleted FROM Order"}).json()
    assert deleted["records"][0]["IsDeleted"] is True


def test_duplicate_rules_refuse_with_the_matching_records(rest, control):
    account = rest.create("Account", {"Name": "Acme", "Website": "https://www.acme.io/"})
    contact = rest.create("Contact", {"LastName": "Diaz", "Email": "Ana@Acme.io"})
    assert rest.post("sobjects/Account", {"Name": "Acme 2", "Website": "acme.io"}).status_code \
        == 201  # rules off by default
    control(duplicate_rules=True)
    response = rest.post("sobjects/Contact", {"LastName": "D", "Email": "ana@acme.io"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    matches = error["duplicateResult"]["matchResults"][0]["matchRecords"]
    assert [m["record"]["Id"] for m in matches] == [contact]
    response = rest.post("sobjects/Account", {"Name": "Acme 3", "Website": "http://acme.io/x"})
    ids = {m["record"]["Id"] for m in error_of(response)["duplicateResult"]["matchResults"][0][
        "matchRecords"]}
    assert account in ids
    allowed = rest.post("sobjects/Contact", {"LastName": "D", "Email": "ana@acme.io"},
                        headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"})
    assert allowed.status_code == 201
    control(duplicate_rules=False)
    assert rest.post("sobjects/Contact", {"LastName": "E", "Email": "ana@acme.io"}).status_code \
        == 201


def test_a_single_currency_org_has_no_currency_field(rest):
    response = rest.query("SELECT CurrencyIsoCode FROM Order")
    assert response.status_code == 400 and error_of(response)["errorCode"] == "INVALID_FIELD"


def test_a_multi_currency_org_prices_each_order_in_its_currency(rest, control, catalog):
    """Switched to multi-currency, every record has a currency, the products have EUR standard
    prices beside the USD ones, and an order product must be priced in its order's currency."""
    control(multi_currency=True)
    entries = rest.records("SELECT ProductCode, CurrencyIsoCode FROM PricebookEntry WHERE "
                           "ProductCode = 'PRO-MONTHLY' ORDER BY CurrencyIsoCode")
    assert [e["CurrencyIsoCode"] for e in entries] == ["EUR", "USD"]
    eur = rest.records("SELECT Id FROM PricebookEntry WHERE ProductCode = 'PRO-MONTHLY' AND "
                       "CurrencyIsoCode = 'EUR'")[0]["Id"]
    account = rest.create("Account", {"Name": "Acme GmbH"})
    order = rest.create("Order", {"AccountId": account, "EffectiveDate": "2026-01-15", "Status": "Draft",
                                  "Pricebook2Id": catalog["pricebook"], "CurrencyIsoCode": "EUR"})
    usd_item = rest.post("sobjects/OrderItem", {"OrderId": order, "Quantity": 1, "UnitPrice": 49,
                                                "PricebookEntryId": catalog["entries"]["PRO-MONTHLY"]["Id"]})
    assert usd_item.status_code == 400 and error_of(usd_item)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    item = rest.create("OrderItem", {"OrderId": order, "Quantity": 1, "UnitPrice": 45, "PricebookEntryId": eur})
    assert rest.get(f"sobjects/OrderItem/{item}").json()["CurrencyIsoCode"] == "EUR"
    changed = rest.patch(f"sobjects/Order/{order}", {"CurrencyIsoCode": "USD"})
    assert changed.status_code == 400 and error_of(changed)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    described = {f["name"]: f for f in rest.get("sobjects/PricebookEntry/describe").json()["fields"]}
    assert (described["CurrencyIsoCode"]["createable"], described["CurrencyIsoCode"]["updateable"]) == (True, False)
