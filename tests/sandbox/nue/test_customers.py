"""Customers in the Nue emulator: created as Nue takes them (an array), found, updated."""
import pytest

from tests.sandbox.nue.client import errors_of, nue_events

ACCOUNT_ID = "001000000000001AAA"


def test_creating_customers_from_an_array_returns_them_with_ids_and_contacts(nue):
    response = nue.post("/customers", [
        {"name": "Acme Inc", "recordType": "Business", "email": "ana@acme.io",
         "currencyIsoCode": "USD", "externalId": ACCOUNT_ID, "billingCity": "Austin",
         "contacts": [{"firstName": "Ana", "lastName": "Diaz", "email": "ana@acme.io",
                       "roles": ["BillTo"]},
                      {"firstName": "Bo", "lastName": "Li", "email": "bo@acme.io",
                       "roles": ["SoldTo"]}]},
        {"name": "Jo Smith", "recordType": "Consumer"},
    ])

    assert response.status_code == 201
    acme, jo = response.json()["data"]
    assert acme["accountNumber"] != jo["accountNumber"]
    assert (acme["externalId"], acme["billingCity"], acme["recordType"]) == (
        ACCOUNT_ID, "Austin", "Business")
    contacts = {c["email"]: c["id"] for c in acme["contacts"]}
    assert acme["billToContactId"] == contacts["ana@acme.io"]
    assert acme["orderPrimaryContactId"] == contacts["bo@acme.io"]
    assert jo["contacts"] == [] and jo["externalId"] is None
    assert [t for t, _ in nue_events()] == ["customer.created", "customer.created"]
    assert nue_events()[0][1] == {"order_id": None, "account_id": acme["id"]}


@pytest.mark.parametrize("body, expected", [
    ({"name": "Acme"}, [("REQUIRED_FIELD_MISSING", "[0].recordType")]),
    ({"recordType": "Business"}, [("REQUIRED_FIELD_MISSING", "[0].name")]),
    ({"name": "Acme", "recordType": "Partner"}, [("INVALID_FIELD_VALUE", "[0].recordType")]),
    ({"name": "Acme", "recordType": "Business", "email": "not-an-email"},
     [("INVALID_EMAIL_ADDRESS", "[0].email")]),
    ({"name": "Acme", "recordType": "Business", "externalId": "123"},
     [("INVALID_FIELD_VALUE", "[0].externalId")]),
    ({"name": "Acme", "recordType": "Business", "contacts": [{"firstName": "Ana"}]},
     [("REQUIRED_FIELD_MISSING", "[0].contacts[0].lastName"),
      ("REQUIRED_FIELD_MISSING", "[0].contacts[0].email")]),
    ({"name": "Acme", "recordType": "Business", "shoeSize": 9},
     [("INVALID_FIELD", "[0].shoeSize")]),
])
def test_invalid_customers_are_rejected_field_by_field(nue, body, expected):
    response = nue.post("/customers", [body])

    assert response.status_code == 400
    assert errors_of(response) == expected
    assert nue.get("/customers").json()["data"] == []


def test_a_customer_body_that_is_not_an_array_is_rejected(nue):
    response = nue.post("/customers", {"name": "Acme", "recordType": "Business"})

    assert response.status_code == 400
    assert errors_of(response) == [("INVALID_REQUEST_BODY", None)]


def test_a_customer_is_read_by_id_and_a_missing_one_is_404(nue):
    customer = nue.customer()

    assert nue.get(f"/customers/{customer['id']}").json()["data"] == customer
    missing = nue.get("/customers/5b1c7a38-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert errors_of(missing) == [("CUSTOMER_NOT_FOUND", None)]


def test_customers_are_found_by_email_regardless_of_case_and_by_salesforce_id(nue):
    ana = nue.customer(email="Ana@Acme.io")
    nue.customer(name="Other", email="other@acme.io", externalId=ACCOUNT_ID)

    by_email = nue.get("/customers", params={"email": "ana@acme.IO"}).json()
    by_crm = nue.get("/customers", params={"externalId": ACCOUNT_ID}).json()

    assert [c["id"] for c in by_email["data"]] == [ana["id"]]
    assert by_email["pagination"]["total"] == 1
    assert [c["name"] for c in by_crm["data"]] == ["Other"]
    assert nue.get("/customers", params={"email": "nobody@acme.io"}).json()["data"] == []
    assert nue.get("/customers", params={"shoeSize": "9"}).status_code == 400


def test_customers_list_pages(nue):
    ids = [nue.customer(name=f"C{i}", email=f"c{i}@x.io")["id"] for i in range(3)]

    first = nue.get("/customers", params={"limit": 2}).json()
    second = nue.get("/customers", params={"limit": 2, "page": 2}).json()

    assert [c["id"] for c in first["data"] + second["data"]] == ids
    assert first["pagination"]["hasMore"] is True and second["pagination"]["hasMore"] is False


def test_patch_updates_fields_salesforce_id_and_replaces_contacts(nue):
    customer = nue.customer()
    ana_id = customer["contacts"][0]["id"]

    response = nue.patch(f"/customers/{customer['id']}", {
        "name": "Acme Corp", "externalId": ACCOUNT_ID, "currencyIsoCode": "EUR",
        "billingStreet": "1 Main St",
        "contacts": [{"id": ana_id, "firstName": "Ana", "lastName": "Diaz-Li",
                      "email": "ana@acme.io"},
                     {"firstName": "Bo", "lastName": "Li", "email": "bo@acme.io",
                      "roles": ["SoldTo"]}]})

    assert response.status_code == 200
    updated = response.json()["data"]
    assert (updated["name"], updated["externalId"], updated["currencyIsoCode"],
            updated["billingStreet"]) == ("Acme Corp", ACCOUNT_ID, "EUR", "1 Main St")
    contacts = {c["email"]: c for c in updated["contacts"]}
    ana = contacts["ana@acme.io"]
    assert (ana["id"], ana["lastName"]) == (ana_id, "Diaz-Li")
    assert updated["billToContactId"] == ana_id
    assert updated["orderPrimaryContactId"] == contacts["bo@acme.io"]["id"]
    assert nue_events()[-1] == ("customer.updated",
                                {"order_id": None, "account_id": customer["id"]})


def test_patch_rejects_bad_values_and_unknown_customers(nue):
    customer = nue.customer()

    bad = nue.patch(f"/customers/{customer['id']}", {"billCycleDay": 40, "email": "x"})
    missing = nue.patch("/customers/nope", {"name": "X"})

    assert bad.status_code == 400
    assert errors_of(bad) == [("INVALID_EMAIL_ADDRESS", "email"),
                              ("INVALID_FIELD_VALUE", "billCycleDay")]
    assert missing.status_code == 404
    assert nue.get(f"/customers/{customer['id']}").json()["data"]["billCycleDay"] is None


def test_contacts_are_added_through_the_contacts_endpoint(nue):
    customer = nue.customer()

    response = nue.post(f"/customers/{customer['id']}/contacts",
                        [{"firstName": "Bo", "lastName": "Li", "email": "bo@acme.io"}])

    assert response.status_code == 201
    assert [c["email"] for c in response.json()["data"]] == ["bo@acme.io"]
    listed = nue.get(f"/customers/{customer['id']}/contacts").json()["data"]
    assert sorted(c["email"] for c in listed) == ["ana@acme.io", "bo@acme.io"]


def test_creating_a_customer_with_the_same_idempotency_key_replays_it(nue):
    body = [{"name": "Acme", "recordType": "Business"}]
    headers = {"Idempotency-Key": "cust-1"}

    first = nue.post("/customers", body, headers=headers)
    again = nue.post("/customers", body, headers=headers)
    other = nue.post("/customers", [{"name": "Other", "recordType": "Business"}], headers=headers)

    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and errors_of(other) == [("IDEMPOTENCY_KEY_REUSED", None)]
    assert len(nue.get("/customers").json()["data"]) == 1
