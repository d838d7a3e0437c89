"""SOQL through `/query` and `/queryAll`: the forms the hub uses, and errors for the rest."""
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import SalesforceMalformedRequest

from .conftest import error_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accounts(rest):
    """Four accounts with contacts, and orders with varied fields."""
    made = {}
    for name, website, kind in (("Acme", "https://acme.io", "Customer - Direct"),
                                ("Beta", "beta.example", "Prospect"),
                                ("Gamma", None, "Prospect"),
                                ("delta", "delta.example", None)):
        made[name] = rest.create("Account", {"Name": name, "Website": website, "Type": kind})
    rest.create("Contact", {"LastName": "Diaz", "FirstName": "Ana", "Email": "Ana@Acme.io",
                            "AccountId": made["Acme"]})
    rest.create("Contact", {"LastName": "Lee", "Email": "lee@beta.example",
                            "AccountId": made["Beta"]})
    rest.create("Contact", {"LastName": "Solo"})
    return made


def names(records):
    return [r["Name"] for r in records]


def test_select_with_parent_relationship_fields(rest, accounts):
    records = rest.records("SELECT Id, LastName, Account.Name, Account.Owner.Email, Email "
                           "FROM Contact ORDER BY LastName")
    diaz, lee, solo = records
    assert diaz["Account"]["Name"] == "Acme"
    assert diaz["Account"]["attributes"]["type"] == "Account"
    assert diaz["Account"]["Owner"]["Email"] == "owner@sandbox.example"
    assert diaz["Account"]["Owner"]["attributes"]["type"] == "User"
    assert diaz["Email"] == "Ana@Acme.io"
    assert solo["Account"] is None
    assert diaz["attributes"]["url"] == f"/services/data/v62.0/sobjects/Contact/{diaz['Id']}"
    assert set(diaz) == {"attributes", "Id", "LastName", "Account", "Email"}


def test_three_level_path_from_order_items(rest, make_order):
    made = make_order()
    item = rest.records("SELECT Id, Order.Account.Id, Order.Account.Name, "
                        "PricebookEntry.Product2.ProductCode FROM OrderItem")[0]
    assert item["Order"]["Account"]["Id"] == made["account"]
    assert item["PricebookEntry"]["Product2"]["ProductCode"] == "PRO-MONTHLY"


def test_count(rest, accounts, sf):
    assert rest.query("SELECT COUNT() FROM Account").json() == \
        {"totalSize": 4, "done": True, "records": []}
    assert sf.query("SELECT COUNT() FROM Account WHERE Type = 'Prospect'")["totalSize"] == 2
    counted = rest.query("SELECT COUNT(Id) FROM Contact WHERE AccountId != null").json()
    assert counted["records"][0]["expr0"] == 2


@pytest.mark.parametrize("where, expected", [
    ("Name = 'acme'", ["Acme"]),  # text comparison is case-insensitive
    ("Name != 'Acme'", ["Beta", "delta", "Gamma"]),
    ("Name < 'C'", ["Acme", "Beta"]),
    ("Name >= 'delta'", ["delta", "Gamma"]),
    ("Name > 'Beta' AND Name <= 'Gamma'", ["delta", "Gamma"]),
    ("Name LIKE 'a%'", ["Acme"]),
    ("Name LIKE '%ta'", ["Beta", "delta"]),
    ("Name LIKE '_eta'", ["Beta"]),
    ("Website LIKE '%.example'", ["Beta", "delta"]),
    ("Name IN ('Acme', 'gamma', 'nobody')", ["Acme", "Gamma"]),
    ("Name NOT IN ('Acme', 'Gamma')", ["Beta", "delta"]),
    ("Website = null", ["Gamma"]),
    ("Website != null AND Type = null", ["delta"]),
    ("Type != 'Prospect'", ["Acme", "delta"]),  # != also matches nulls, as in SOQL
    ("(Name = 'Acme' OR Name = 'Beta') AND Type = 'Prospect'", ["Beta"]),
    ("Name = 'Acme' OR (Type = 'Prospect' AND Website = null)", ["Acme", "Gamma"]),
    ("NOT Name LIKE 'a%'", ["Beta", "delta", "Gamma"]),
    ("NOT (Name = 'Acme' OR Name = 'Beta')", ["delta", "Gamma"]),
    ("IsDeleted = false AND Name = 'Beta'", ["Beta"]),
])
def test_where_operators(rest, accounts, where, expected):
    records = rest.records(f"SELECT Name FROM Account WHERE {where} ORDER BY Name")
    assert sorted(names(records), key=str.lower) == sorted(expected, key=str.lower)


def test_where_on_ids_references_and_semi_joins(rest, accounts):
    acme = accounts["Acme"]
    assert names(rest.records(f"SELECT Name FROM Account WHERE Id = '{acme}'")) == ["Acme"]
    assert names(rest.records(f"SELECT Name FROM Account WHERE Id = '{acme[:15]}'")) == ["Acme"]
    contacts = rest.records(f"SELECT LastName FROM Contact WHERE AccountId IN ('{acme}')")
    assert [c["LastName"] for c in contacts] == ["Diaz"]
    by_domain = rest.records("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact "
                             "WHERE Email LIKE '%@beta.example')")
    assert names(by_domain) == ["Beta"]
    parent_filter = rest.records("SELECT LastName FROM Contact WHERE Account.Name = 'Beta'")
    assert [c["LastName"] for c in parent_filter] == ["Lee"]
    bad = rest.query("SELECT Id FROM Account WHERE Id = 'nope'")
    assert error_of(bad)["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_numbers_booleans_and_dates(rest, make_order):
    make_order(items=(("PRO-MONTHLY", 1),), EffectiveDate="2026-01-10")
    make_order(items=(("TEAM-ANNUAL", 2),), EffectiveDate="2026-03-01")
    totals = rest.records("SELECT TotalAmount FROM Order WHERE TotalAmount > 100")
    assert [o["TotalAmount"] for o in totals] == [1980]
    assert len(rest.records("SELECT Id FROM OrderItem WHERE Quantity >= 1 AND Quantity < 2")) == 1
    assert len(rest.records("SELECT Id FROM Order WHERE EffectiveDate > 2026-02-01")) == 1
    assert len(rest.records("SELECT Id FROM Order WHERE EffectiveDate = 2026-01-10")) == 1
    assert len(rest.records("SELECT Id FROM Product2 WHERE IsActive = true")) == 3
    assert len(rest.records("SELECT Id FROM Product2 WHERE IsActive = false")) == 0


def test_datetimes_and_date_literals(rest, accounts):
    now = datetime.now(UTC)
    hour_ago = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    in_an_hour = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    assert len(rest.records(f"SELECT Id FROM Account WHERE CreatedDate > {hour_ago}")) == 4
    assert len(rest.records(f"SELECT Id FROM Account WHERE SystemModstamp >= {in_an_hour}")) == 0
    assert len(rest.records("SELECT Id FROM Account WHERE CreatedDate = TODAY")) == 4
    assert len(rest.records("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:7")) == 4
    assert len(rest.records("SELECT Id FROM Account WHERE CreatedDate < YESTERDAY")) == 0
    wrong_type = rest.query("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01")
    assert error_of(wrong_type)["errorCode"] == "MALFORMED_QUERY"


def test_system_modstamp_watermark(rest, accounts):
    first = rest.records("SELECT Id, SystemModstamp FROM Account ORDER BY SystemModstamp, Id")
    mark = first[1]["SystemModstamp"].replace("+0000", "Z")
    later = rest.records(f"SELECT Id FROM Account WHERE SystemModstamp > {mark} "
                         "ORDER BY SystemModstamp")
    assert [r["Id"] for r in later] == [r["Id"] for r in first
                                        if r["SystemModstamp"] > first[1]["SystemModstamp"]]
    # with a LIMIT the emulator walks the stamp index; the answer must be the same
    for direction in ("ASC", "DESC"):
        full = rest.records(f"SELECT Id FROM Account WHERE Name != 'Beta' "
                            f"ORDER BY SystemModstamp {direction}, Id {direction}")
        page = rest.records(f"SELECT Id FROM Account WHERE Name != 'Beta' "
                            f"ORDER BY SystemModstamp {direction}, Id {direction} LIMIT 2 OFFSET 1")
        assert page == full[1:3]


def test_order_by_limit_offset(rest, accounts):
    assert names(rest.records("SELECT Name FROM Account ORDER BY Name")) == \
        ["Acme", "Beta", "delta", "Gamma"]  # text sorts case-insensitively
    assert names(rest.records("SELECT Name FROM Account ORDER BY Name DESC LIMIT 2")) == \
        ["Gamma", "delta"]
    assert names(rest.records("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1")) == \
        ["Beta", "delta"]
    assert names(rest.records("SELECT Name FROM Account ORDER BY Website NULLS FIRST, Name")) \
        [0] == "Gamma"
    assert names(rest.records("SELECT Name FROM Account ORDER BY Website NULLS LAST")) \
        [-1] == "Gamma"
    assert names(rest.records("SELECT Name FROM Account ORDER BY Website DESC")) [-1] == "Gamma"
    assert names(rest.records("SELECT Name FROM Account ORDER BY Type DESC NULLS FIRST, Name "
                              "ASC")) == ["delta", "Beta", "Gamma", "Acme"]
    contacts = rest.records("SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST")
    assert [c["LastName"] for c in contacts] == ["Lee", "Diaz", "Solo"]


def test_child_subquery(rest, make_order):
    made = make_order(items=(("PRO-MONTHLY", 1), ("ADDON-SEATS", 5)))
    empty = make_order(items=())
    orders = {o["Id"]: o for o in rest.records(
        "SELECT Id, (SELECT Quantity, PricebookEntry.ProductCode FROM OrderItems "
        "ORDER BY Quantity DESC) FROM Order")}
    items = orders[made["order"]]["OrderItems"]
    assert items["totalSize"] == 2 and items["done"] is True
    assert [i["Quantity"] for i in items["records"]] == [5, 1]
    assert items["records"][0]["PricebookEntry"]["ProductCode"] == "ADDON-SEATS"
    assert orders[empty["order"]]["OrderItems"] is None


def test_query_all_includes_deleted_records(rest, accounts):
    rest.delete(f"sobjects/Account/{accounts['Gamma']}")
    assert "Gamma" not in names(rest.records("SELECT Name FROM Account"))
    everything = rest.get("queryAll", params={"q": "SELECT Name, IsDeleted FROM Account "
                                                   "WHERE IsDeleted = true"}).json()
    assert names(everything["records"]) == ["Gamma"]


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
    ("SELECT Id Account", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account GROUP BY Name", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 5", "MALFORMED_QUERY"),
    ("SELECT Id FROM Product2 WHERE IsActive = 'true'", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name LIKE 5", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
    ("SELECT Id, Id FROM Account", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE"),
    ("SELECT MAX(Name) FROM Account", "MALFORMED_QUERY"),
    ("SELECT Bogus FROM Account", "INVALID_FIELD"),
    ("SELECT Account.Bogus FROM Contact", "INVALID_FIELD"),
    ("SELECT Bogus.Name FROM Contact", "INVALID_FIELD"),
    ("SELECT Id FROM Account ORDER BY Bogus", "INVALID_FIELD"),
    ("SELECT Id, (SELECT Id FROM Bogus) FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Bogus", "INVALID_TYPE"),
])
def test_queries_it_cannot_answer_are_errors(rest, soql, code):
    response = rest.query(soql)
    assert response.status_code == 400
    assert error_of(response)["errorCode"] == code


@pytest.mark.parametrize("sobject", ["Account", "Contact", "Order", "Product2", "Task"])
def test_fields_described_unfilterable_or_unsortable_are_refused_as_salesforce_does(rest, sobject):
    fields = rest.get(f"sobjects/{sobject}/describe").json()["fields"]
    textareas = [f for f in fields if f["type"] == "textarea"]
    assert textareas
    for fld in textareas:
        where = rest.query(f"SELECT Id FROM {sobject} WHERE {fld['name']} = 'x'")
        order = rest.query(f"SELECT Id FROM {sobject} ORDER BY {fld['name']}")
        if fld["filterable"]:
            assert where.status_code == 200, where.text
        else:
            assert where.status_code == 400
            assert error_of(where) == {"errorCode": "INVALID_FIELD", "message": f"field "
                                       f"'{fld['name']}' can not be filtered in a query call"}
        if fld["sortable"]:
            assert order.status_code == 200, order.text
        else:
            assert error_of(order)["errorCode"] == "INVALID_FIELD"
            assert "can not be sorted" in error_of(order)["message"]
    # Description on these objects is a Long Text Area; a street or Product2's is a Text Area.
    described = {f["name"]: (f["filterable"], f["sortable"]) for f in textareas}
    assert described.get("Description") == ((True, True) if sobject == "Product2" else
                                            (False, False))
    if sobject == "Account":
        assert described["BillingStreet"] == (True, True)
        assert error_of(rest.query("SELECT Id FROM Contact WHERE Account.Description "
                                   "LIKE '%x%'"))["errorCode"] == "INVALID_FIELD"


def test_simple_salesforce_raises_malformed_request(sf):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT FROM Account")
    assert refused.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_paging_with_next_records_url(rest, sf):
    records = [{"attributes": {"type": "Account"}, "Name": f"Bulk {n:03d}"} for n in range(450)]
    for start in range(0, 450, 200):
        response = rest.post("composite/sobjects", {"records": records[start:start + 200]})
        assert all(r["success"] for r in response.json())
    first = rest.query("SELECT Name FROM Account ORDER BY Name",
                       headers={"Sforce-Query-Options": "batchSize=200"}).json()
    assert first["totalSize"] == 450 and first["done"] is False
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-200")
    second = rest.get(first["nextRecordsUrl"]).json()
    assert second["records"][0]["Name"] == "Bulk 200" and second["done"] is False
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert third["done"] is True and "nextRecordsUrl" not in third
    assert third["records"][-1]["Name"] == "Bulk 449"
    # the client pages through by itself; the default batch is 2000
    assert len(sf.query_all("SELECT Id FROM Account")["records"]) == 450
    assert rest.query("SELECT Id FROM Account").json()["done"] is True
    assert error_of(rest.get("query/01gHb0000000zzzAAA-200"))["errorCode"] == \
        "INVALID_QUERY_LOCATOR"


def test_polymorphic_and_single_target_activity_relationships(rest, make_order):
    made = make_order()
    contact = rest.create("Contact", {"FirstName": "Ana", "LastName": "Diaz"})
    rest.create("Task", {"Subject": "Call about order", "WhatId": made["order"], "WhoId": contact})
    rest.create("Task", {"Subject": "Account check", "WhatId": made["account"],
                         "Status": "Completed"})
    tasks = rest.records("SELECT Subject, What.Name, What.Id, Who.Name, IsClosed FROM Task "
                         "ORDER BY Subject")
    assert [t["What"]["attributes"]["type"] for t in tasks] == ["Account", "Order"]
    assert tasks[0]["What"]["Name"] == "Acme Inc" and tasks[0]["IsClosed"] is True
    assert tasks[1]["What"]["Id"] == made["order"] and tasks[1]["Who"]["Name"] == "Ana Diaz"
    assert tasks[0]["Who"] is None
    assert error_of(rest.query("SELECT What.Website FROM Task"))["errorCode"] == "INVALID_FIELD"
