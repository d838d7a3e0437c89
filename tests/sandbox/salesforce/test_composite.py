"""`/composite`, `/composite/graph` and `/composite/sobjects`: references between subrequests
and all-or-nothing rollback."""
import pytest

from .conftest import error_of

pytestmark = pytest.mark.django_db(transaction=True)

V = "/services/data/v62.0"


def sub(ref, method, url, body=None):
    item = {"referenceId": ref, "method": method, "url": f"{V}/{url}"}
    if body is not None:
        item["body"] = body
    return item


def count(rest, sobject):
    return rest.query(f"SELECT COUNT() FROM {sobject}").json()["totalSize"]


def order_graph(graph_id, billing_id, catalog, quantity=1, entry="PRO-MONTHLY"):
    """The hub's shape of an order write: account, order upsert, item upsert by references."""
    return {"graphId": graph_id, "compositeRequest": [
        sub("acct", "POST", "sobjects/Account", {"Name": f"Org {billing_id}"}),
        sub("ord", "PATCH", f"sobjects/Order/Billing_Order_Id__c/{billing_id}", {
            "AccountId": "@{acct.id}", "EffectiveDate": "2026-01-01", "Status": "Draft",
            "Pricebook2Id": catalog["pricebook"]}),
        sub("line", "PATCH", f"sobjects/OrderItem/Billing_Line_Id__c/{billing_id}-1", {
            "OrderId": "@{ord.id}", "PricebookEntryId": catalog["entries"][entry]["Id"]
            if entry in catalog["entries"] else entry, "Quantity": quantity, "UnitPrice": 49}),
    ]}


def test_composite_with_references(rest, catalog):
    response = rest.post("composite", {"allOrNone": True, "compositeRequest": [
        sub("acct", "POST", "sobjects/Account", {"Name": "Acme"}),
        sub("contact", "POST", "sobjects/Contact", {"LastName": "Diaz", "AccountId": "@{acct.id}"}),
        sub("found", "GET", "query?q=SELECT+Id,Name+FROM+Account+WHERE+Name+=+'Acme'"),
        sub("upd", "PATCH", "sobjects/Account/@{found.records[0].Id}", {"Phone": "555"}),
        sub("read", "GET", "sobjects/Contact/@{contact.id}?fields=AccountId"),
    ]})
    assert response.status_code == 200
    results = response.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 200, 204, 200]
    assert [r["referenceId"] for r in results] == ["acct", "contact", "found", "upd", "read"]
    account_id = results[0]["body"]["id"]
    assert results[0]["httpHeaders"]["Location"] == f"{V}/sobjects/Account/{account_id}"
    assert results[4]["body"]["AccountId"] == account_id
    assert rest.get(f"sobjects/Account/{account_id}").json()["Phone"] == "555"


def test_composite_all_or_none_rolls_everything_back(rest):
    response = rest.post("composite", {"allOrNone": True, "compositeRequest": [
        sub("acct", "POST", "sobjects/Account", {"Name": "Rolled back"}),
        sub("bad", "POST", "sobjects/Contact", {"AccountId": "@{acct.id}"}),  # no LastName
        sub("after", "POST", "sobjects/Account", {"Name": "Never"}),
    ]})
    assert response.status_code == 200
    results = response.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400]
    assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert results[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert count(rest, "Account") == 0


def test_composite_without_all_or_none_keeps_what_succeeded(rest):
    results = rest.post("composite", {"allOrNone": False, "compositeRequest": [
        sub("acct", "POST", "sobjects/Account", {"Name": "Kept"}),
        sub("bad", "POST", "sobjects/Account", {"Website": "x"}),
        sub("dependent", "POST", "sobjects/Contact", {"LastName": "D", "AccountId": "@{bad.id}"}),
        sub("independent", "POST", "sobjects/Account", {"Name": "Also kept"}),
    ]}).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 400, 400, 201]
    assert results[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert count(rest, "Account") == 2


def test_composite_limits_and_request_errors(rest):
    many = [sub(f"r{n}", "GET", "limits") for n in range(26)]
    too_many = rest.post("composite", {"compositeRequest": many})
    assert too_many.status_code == 400 and error_of(too_many)["errorCode"] == "LIMIT_EXCEEDED"
    assert rest.post("composite", {"compositeRequest": many[:25]}).status_code == 200
    missing_ref = rest.post("composite", {"compositeRequest": [{"method": "GET", "url": V}]})
    assert missing_ref.status_code == 400 and error_of(missing_ref)["message"]


def test_graphs_are_all_or_nothing_each(rest, catalog):
    response = rest.post("composite/graph", {"graphs": [
        order_graph("good", "ZO-1", catalog, quantity=2),
        order_graph("bad", "ZO-2", catalog, entry="01uHb0000000zzzAAA"),
    ]})
    assert response.status_code == 200
    graphs = {g["graphId"]: g for g in response.json()["graphs"]}
    assert graphs["good"]["isSuccessful"] is True
    assert graphs["bad"]["isSuccessful"] is False
    good = graphs["good"]["graphResponse"]["compositeResponse"]
    assert [r["httpStatusCode"] for r in good] == [201, 201, 201]
    assert good[1]["body"]["created"] is True
    bad = graphs["bad"]["graphResponse"]["compositeResponse"]
    assert bad[2]["httpStatusCode"] == 400 and bad[0]["body"][0]["errorCode"] == \
        "PROCESSING_HALTED"
    orders = rest.records("SELECT Billing_Order_Id__c, TotalAmount, Account.Name FROM Order")
    assert [(o["Billing_Order_Id__c"], o["TotalAmount"]) for o in orders] == [("ZO-1", 98)]
    assert count(rest, "Account") == 1  # the bad graph's account was rolled back
    # The same upserts again update; OrderId and PricebookEntryId are create-only, so an
    # update graph leaves them out.
    again = rest.post("composite/graph", {"graphs": [{"graphId": "again", "compositeRequest": [
        sub("ord", "PATCH", "sobjects/Order/Billing_Order_Id__c/ZO-1", {"Description": "v2"}),
        sub("line", "PATCH", "sobjects/OrderItem/Billing_Line_Id__c/ZO-1-1",
            {"Quantity": 3, "UnitPrice": 49}),
    ]}]})
    nodes = again.json()["graphs"][0]["graphResponse"]["compositeResponse"]
    assert [n["httpStatusCode"] for n in nodes] == [200, 200]
    assert nodes[0]["body"]["created"] is False
    assert rest.records("SELECT TotalAmount FROM Order")[0]["TotalAmount"] == 147


def test_graph_node_limit(rest, catalog):
    graphs = [{"graphId": f"g{n}", "compositeRequest": [
        sub(f"a{i}", "GET", "limits") for i in range(101)]} for n in range(5)]
    response = rest.post("composite/graph", {"graphs": graphs})
    assert response.status_code == 400 and error_of(response)["errorCode"] == "LIMIT_EXCEEDED"
    assert rest.post("composite/graph", {"graphs": graphs[:4]}).status_code == 200


def test_sobject_collections(rest):
    created = rest.post("composite/sobjects", {"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, "Name": "One"},
        {"attributes": {"type": "Account"}},
        {"attributes": {"type": "Contact"}, "LastName": "Two"},
    ]}).json()
    assert [r["success"] for r in created] == [True, False, True]
    assert created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    account_id, contact_id = created[0]["id"], created[2]["id"]
    updated = rest.patch("composite/sobjects", {"records": [
        {"attributes": {"type": "Account"}, "id": account_id, "Phone": "1"},
        {"attributes": {"type": "Contact"}, "Id": contact_id, "AccountId": account_id},
    ]}).json()
    assert [r["success"] for r in updated] == [True, True]
    fetched = rest.get("composite/sobjects/Account", params={"ids": account_id,
                                                             "fields": "Phone"}).json()
    assert fetched[0]["Phone"] == "1"
    deleted = rest.delete("composite/sobjects", params={"ids": f"{contact_id},{account_id}"})
    assert [r["success"] for r in deleted.json()] == [True, True]
    assert count(rest, "Account") == 0


def test_sobject_collections_all_or_none(rest):
    response = rest.post("composite/sobjects", {"allOrNone": True, "records": [
        {"attributes": {"type": "Account"}, "Name": "One"},
        {"attributes": {"type": "Account"}, "Name": "x" * 300},
    ]}).json()
    assert [r["success"] for r in response] == [False, False]
    assert response[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert response[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert count(rest, "Account") == 0
    too_many = rest.post("composite/sobjects", {"records": [
        {"attributes": {"type": "Account"}, "Name": str(n)} for n in range(201)]})
    assert too_many.status_code == 400
    assert error_of(too_many)["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_collection_upsert_by_external_id(rest, make_order, catalog):
    made = make_order(items=())
    records = [{"attributes": {"type": "OrderItem"}, "Billing_Line_Id__c": "L-1",
                "OrderId": made["order"],
                "PricebookEntryId": catalog["entries"]["PRO-MONTHLY"]["Id"],
                "Quantity": 1, "UnitPrice": 49}]
    first = rest.patch("composite/sobjects/OrderItem/Billing_Line_Id__c", {"records": records})
    assert first.json()[0]["created"] is True
    records[0].pop("OrderId")
    records[0].pop("PricebookEntryId")
    records[0]["Quantity"] = 4
    second = rest.patch("composite/sobjects/OrderItem/Billing_Line_Id__c", {"records": records})
    assert second.json()[0]["created"] is False
    assert rest.records("SELECT Quantity FROM OrderItem")[0]["Quantity"] == 4


def test_graph_count_limit(rest):
    graphs = [{"graphId": f"g{n}", "compositeRequest": [sub("a", "GET", "limits")]} for n in range(76)]
    response = rest.post("composite/graph", {"graphs": graphs})
    assert response.status_code == 400 and error_of(response)["errorCode"] == "LIMIT_EXCEEDED"
    assert rest.post("composite/graph", {"graphs": graphs[:75]}).status_code == 200


def test_after_fourteen_failed_graphs_the_rest_are_halted(rest):
    """Salesforce stops working through a request once 14 of its graphs failed: the graphs after
    them are not tried, and every node of theirs answers PROCESSING_HALTED."""
    failing = [{"graphId": f"bad{n}", "compositeRequest": [
        sub("a", "POST", "sobjects/Account", {"Name": None})]} for n in range(14)]
    later = [{"graphId": f"later{n}", "compositeRequest": [
        sub("a", "POST", "sobjects/Account", {"Name": f"Later {n}"}),
        sub("c", "POST", "sobjects/Contact", {"LastName": "Diaz", "AccountId": "@{a.id}"})]}
        for n in range(2)]
    response = rest.post("composite/graph", {"graphs": failing + later})
    assert response.status_code == 200
    graphs = response.json()["graphs"]
    assert [g["isSuccessful"] for g in graphs] == [False] * 16
    assert graphs[0]["graphResponse"]["compositeResponse"][0]["body"][0]["errorCode"] == \
        "REQUIRED_FIELD_MISSING"
    for halted in graphs[14:]:
        nodes = halted["graphResponse"]["compositeResponse"]
        assert [(n["referenceId"], n["httpStatusCode"], n["body"][0]["errorCode"]) for n in nodes] == \
            [("a", 400, "PROCESSING_HALTED"), ("c", 400, "PROCESSING_HALTED")]
    assert count(rest, "Account") == 0
    # Thirteen failures halt nothing.
    again = rest.post("composite/graph", {"graphs": failing[:13] + later}).json()["graphs"]
    assert [g["isSuccessful"] for g in again[13:]] == [True, True]
