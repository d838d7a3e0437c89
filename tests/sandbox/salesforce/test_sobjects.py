"""sObject resources: describe, create, read, update, delete, upsert by external id, record ids,
field names and the error bodies of refused saves."""
import pytest
from simple_salesforce import SalesforceMalformedRequest, SalesforceResourceNotFound

from sandbox.salesforce.ids import checksum

from .conftest import error_of

pytestmark = pytest.mark.django_db(transaction=True)

PREFIXES = {"Account": "001", "Contact": "003", "Order": "801", "OrderItem": "802",
            "Product2": "01t", "Pricebook2": "01s", "PricebookEntry": "01u", "Task": "00T",
            "User": "005"}
MISSING_ACCOUNT = "001Hb000000zzzz" + checksum("001Hb000000zzzz")


def assert_valid_id(record_id, sobject):
    assert len(record_id) == 18 and record_id[:3] == PREFIXES[sobject]
    assert record_id[15:] == checksum(record_id[:15])


def test_describe_lists_fields_with_their_properties(sf):
    order = sf.Order.describe()
    assert order["name"] == "Order" and order["keyPrefix"] == "801"
    fields = {f["name"]: f for f in order["fields"]}
    billing_id = fields["Billing_Order_Id__c"]
    assert billing_id["externalId"] and billing_id["unique"] and billing_id["length"] == 80
    assert billing_id["custom"] is True and billing_id["type"] == "string"
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert [p["value"] for p in fields["Status"]["picklistValues"]] == \
        ["Draft", "Activated", "Canceled"]
    assert fields["OrderNumber"]["createable"] is False
    assert fields["TotalAmount"]["updateable"] is False
    assert fields["Sync_Origin__c"]["type"] == "picklist"
    assert fields["Billing_Checkout_URL__c"]["type"] == "url"
    item = {f["name"]: f for f in sf.OrderItem.describe()["fields"]}
    assert item["OrderId"]["createable"] and not item["OrderId"]["updateable"]
    assert not item["PricebookEntryId"]["updateable"]
    assert item["Discount_Percent__c"]["type"] == "percent"
    assert item["Billing_Line_Id__c"]["externalId"] and item["Billing_Line_Id__c"]["unique"]
    assert item["Quantity"]["nillable"] is False
    names = {s["name"] for s in sf.describe()["sobjects"]}
    assert set(PREFIXES) <= names


def test_create_get_update_delete_round_trip(sf, rest):
    created = sf.Account.create({"Name": "Acme Inc", "Website": "https://acme.io",
                                 "BillingCity": "Austin"})
    assert created["success"] is True and created["errors"] == []
    account_id = created["id"]
    assert_valid_id(account_id, "Account")
    record = sf.Account.get(account_id)
    assert record["attributes"] == {"type": "Account",
                                    "url": f"/services/data/v62.0/sobjects/Account/{account_id}"}
    assert record["Name"] == "Acme Inc" and record["BillingCity"] == "Austin"
    assert record["OwnerId"].startswith("005") and record["IsDeleted"] is False
    assert record["CreatedDate"].endswith("+0000")
    assert sf.Account.update(account_id, {"Phone": "+1 555 0100"}) == 204
    updated = sf.Account.get(account_id)
    assert updated["Phone"] == "+1 555 0100"
    assert updated["SystemModstamp"] >= record["SystemModstamp"]
    assert sf.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(account_id)
    gone = rest.get(f"sobjects/Account/{account_id}")
    assert gone.status_code == 404 and error_of(gone)["errorCode"] == "NOT_FOUND"


def test_every_object_gets_ids_with_its_key_prefix(rest, make_order, catalog):
    made = make_order()
    contact = rest.create("Contact", {"LastName": "Diaz", "AccountId": made["account"]})
    task = rest.create("Task", {"Subject": "Call", "WhatId": made["order"], "WhoId": contact})
    product = rest.create("Product2", {"Name": "Gadget", "ProductCode": "GADGET"})
    pricebook = rest.create("Pricebook2", {"Name": "Partners", "IsActive": True})
    found = {"Account": made["account"], "Order": made["order"], "OrderItem": made["items"][0],
             "Contact": contact, "Task": task, "Product2": product, "Pricebook2": pricebook,
             "PricebookEntry": catalog["entries"]["PRO-MONTHLY"]["Id"],
             "User": rest.records("SELECT Id FROM User LIMIT 1")[0]["Id"]}
    for sobject, record_id in found.items():
        assert_valid_id(record_id, sobject)
    # a 15-character id is accepted and answered with the 18-character form
    assert rest.get(f"sobjects/Account/{made['account'][:15]}").json()["Id"] == made["account"]


def test_field_names_are_case_insensitive_and_come_back_canonical(rest):
    account_id = rest.create("Account", {"nAmE": "lower", "WEBSITE": "acme.io"})
    record = rest.get(f"sobjects/Account/{account_id}", params={"fields": "name,website"}).json()
    assert record == {"attributes": {"type": "Account",
                                     "url": f"/services/data/v62.0/sobjects/Account/{account_id}"},
                      "Name": "lower", "Website": "acme.io"}


def test_get_with_unknown_field_is_invalid_field(rest):
    account_id = rest.create("Account", {"Name": "A"})
    response = rest.get(f"sobjects/Account/{account_id}", params={"fields": "Name,Bogus"})
    assert response.status_code == 400 and error_of(response)["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize("sobject, body, code, fields", [
    ("Account", {}, "REQUIRED_FIELD_MISSING", ["Name"]),
    ("Contact", {"FirstName": "Ana"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
    ("Task", {"Status": "Completed"}, "REQUIRED_FIELD_MISSING", ["Subject"]),
    ("OrderItem", {"Quantity": 1}, "REQUIRED_FIELD_MISSING",
     ["OrderId", "PricebookEntryId", "UnitPrice"]),
    ("Order", {"Status": "Draft"}, "REQUIRED_FIELD_MISSING", ["AccountId", "EffectiveDate"]),
    ("Account", {"Name": "A", "Bogus__c": 1}, "INVALID_FIELD", ["Bogus__c"]),
    ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
    ("Account", {"Name": "A", "OwnerId": "garbage"}, "MALFORMED_ID", ["OwnerId"]),
    ("Contact", {"LastName": "D", "AccountId": "003000000000000AAA"}, "MALFORMED_ID",
     ["AccountId"]),
    ("Contact", {"LastName": "D", "AccountId": MISSING_ACCOUNT},
     "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
    ("Contact", {"LastName": "D", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
    ("Product2", {"Name": "P", "IsActive": "maybe"}, "INVALID_TYPE_ON_FIELD_IN_RECORD",
     ["IsActive"]),
    ("Task", {"Subject": "S", "ActivityDate": "2026-13-45"}, "INVALID_TYPE_ON_FIELD_IN_RECORD",
     ["ActivityDate"]),
    ("Task", {"Subject": "S", "Priority": "Urgent"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     ["Priority"]),
    ("Account", {"Name": "A", "CreatedDate": "2020-01-01T00:00:00Z"},
     "INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
])
def test_refused_creates_name_the_error_and_fields(rest, sobject, body, code, fields):
    response = rest.post(f"sobjects/{sobject}", body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["errorCode"] == code
    assert sorted(error["fields"]) == sorted(fields)


def test_numbers_must_be_numbers(rest, make_order, catalog):
    made = make_order(items=())
    response = rest.post("sobjects/OrderItem", {
        "OrderId": made["order"], "PricebookEntryId": catalog["entries"]["PRO-MONTHLY"]["Id"],
        "Quantity": "three", "UnitPrice": 49})
    assert error_of(response)["errorCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert error_of(response)["fields"] == ["Quantity"]


def test_simple_salesforce_raises_on_refused_saves(sf):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Account.create({"Website": "acme.io"})
    assert refused.value.status == 400
    assert refused.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_update_and_delete_of_unknown_records(rest):
    missing = MISSING_ACCOUNT
    assert rest.patch(f"sobjects/Account/{missing}", {"Name": "x"}).status_code == 404
    assert rest.delete(f"sobjects/Account/{missing}").status_code == 404
    assert rest.get("sobjects/Bogus/describe").status_code == 404
    wrong_method = rest.post(f"sobjects/Account/{missing}", {})
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["errorCode"] == "METHOD_NOT_ALLOWED"


def test_upsert_creates_then_updates(sf, rest, make_order):
    made = make_order(items=())
    order = {"AccountId": made["account"], "EffectiveDate": "2026-02-01", "Status": "Draft"}
    first = rest.patch("sobjects/Order/Billing_Order_Id__c/ZO-100", order)
    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "success": True, "errors": [],
                            "created": True}
    second = rest.patch("sobjects/Order/Billing_Order_Id__c/ZO-100", {"Description": "again"})
    assert second.status_code == 200
    assert second.json()["created"] is False and second.json()["id"] == first.json()["id"]
    stored = sf.Order.get_by_custom_id("Billing_Order_Id__c", "ZO-100")
    assert stored["Description"] == "again" and stored["Billing_Order_Id__c"] == "ZO-100"
    # simple-salesforce's upsert returns the status code
    assert sf.Order.upsert("Billing_Order_Id__c/ZO-101", order) == 201
    assert sf.Order.upsert("Billing_Order_Id__c/ZO-101", {"Description": "x"}) == 200


def test_upsert_with_several_matches_is_300_listing_them(rest):
    first = rest.create("Product2", {"Name": "A", "ExternalId": "EXT-1"})
    second = rest.create("Product2", {"Name": "B", "ExternalId": "ext-1"})
    response = rest.patch("sobjects/Product2/ExternalId/EXT-1", {"Name": "C"})
    assert response.status_code == 300
    assert sorted(response.json()) == sorted(
        f"/services/data/v62.0/sobjects/Product2/{i}" for i in (first, second))
    assert {r["Name"] for r in rest.records("SELECT Name FROM Product2 WHERE ExternalId != null")} \
        == {"A", "B"}


def test_upsert_by_a_field_that_is_not_an_external_id_is_not_found(rest):
    response = rest.patch("sobjects/Account/Name/Acme", {"Website": "acme.io"})
    assert response.status_code == 404 and error_of(response)["errorCode"] == "NOT_FOUND"


def test_unique_external_ids_are_duplicate_values(rest, make_order):
    made = make_order(items=(), billing_id="ZO-7")
    again = rest.post("sobjects/Order", {"AccountId": made["account"], "EffectiveDate":
                                         "2026-01-01", "Status": "Draft",
                                         "Billing_Order_Id__c": "zo-7"})
    error = error_of(again)
    assert error["errorCode"] == "DUPLICATE_VALUE" and error["fields"] == ["Billing_Order_Id__c"]
    assert made["order"] in error["message"]


def test_json_body_errors(rest):
    response = rest.http.post(rest.url("sobjects/Account"), data="{not json",
                              headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400 and error_of(response)["errorCode"] == "JSON_PARSER_ERROR"
