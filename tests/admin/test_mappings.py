"""Mappings edited in the console: a changed Salesforce id is checked against Salesforce (the emulator,
over HTTP) before it is saved, and every change is kept with who made it and the values before and
after."""
import pytest
import requests
from django.forms.models import model_to_dict
from django.urls import reverse

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.console import mapping_checks
from syncapp.models import AccountLink, AuditEntry, FieldMapping, OrderLink, ProductMapping
from tests.admin.scenario import salesforce_fail_next

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sf(sandbox):
    return SalesforceConnector.from_settings()


@pytest.fixture
def account_id(sf):
    return sf.create("Account", {"Name": "Acme Inc"})


def calls(hub_url) -> int:
    return requests.get(f"{hub_url}/sandbox/salesforce/_control", timeout=5).json()["counts"]["total"]


def test_an_id_of_the_right_object_that_exists_passes(sf, account_id):
    assert mapping_checks.problems(AccountLink, {"salesforce_account_id": account_id}, sf) == {}


def test_wrong_object_malformed_and_missing_ids_are_explained(sf, account_id):
    product = sf.query("SELECT Id FROM Product2 LIMIT 1")[0]["Id"]
    found = mapping_checks.problems(ProductMapping, {
        "product2_id": account_id, "pricebook_entry_id": "not-an-id", "pricebook2_id": "01s" + "0" * 15,
    }, sf)
    assert "not a Product2 id" in found["product2_id"] and "this one is a Account id" in found["product2_id"]
    assert "not a Salesforce id" in found["pricebook_entry_id"]
    assert "Salesforce has no Pricebook2" in found["pricebook2_id"]
    assert mapping_checks.problems(ProductMapping, {"product2_id": product}, sf) == {}


def test_a_price_book_entry_must_price_the_mappings_product(sf):
    rows = {r["ProductCode"]: r for r in sf.query(
        "SELECT Id, Product2Id, Pricebook2Id, ProductCode FROM PricebookEntry WHERE IsActive = true")}
    seats, pro = rows["ADDON-SEATS"], rows["PRO-MONTHLY"]
    mapping = {"sku": "ADDON-SEATS", "product2_id": seats["Product2Id"], "pricebook2_id": seats["Pricebook2Id"],
               "pricebook_entry_id": seats["Id"]}
    assert mapping_checks.problems(ProductMapping, {"pricebook_entry_id": seats["Id"]}, sf, current=mapping) == {}
    wrong = {**mapping, "pricebook_entry_id": pro["Id"]}
    found = mapping_checks.problems(ProductMapping, {"pricebook_entry_id": pro["Id"]}, sf, current=wrong)
    assert "prices another product (PRO-MONTHLY" in found["pricebook_entry_id"]
    renamed = {**mapping, "sku": "SEATS"}
    assert "product code ADDON-SEATS, not SEATS" in mapping_checks.problems(
        ProductMapping, {"sku": "SEATS"}, sf, current=renamed)["sku"]
    sf.update("PricebookEntry", seats["Id"], {"IsActive": False})
    assert "inactive" in mapping_checks.problems(ProductMapping, {"pricebook_entry_id": seats["Id"]}, sf,
                                                 current=mapping)["pricebook_entry_id"]


def test_a_field_mapping_must_name_a_field_of_the_order(sf):
    assert mapping_checks.problems(FieldMapping, {"salesforce_field": "Billing_Period__c"}, sf) == {}
    assert "has no field Nope__c" in mapping_checks.problems(FieldMapping, {"salesforce_field": "Nope__c"},
                                                             sf)["salesforce_field"]


def test_an_id_that_cannot_be_checked_is_refused(sf, account_id, sandbox):
    sf.get("Account", account_id)  # logged in: the next data call fails
    salesforce_fail_next(sandbox, *["503"] * 3)  # the connector sends a refused call twice more
    found = mapping_checks.problems(AccountLink, {"salesforce_account_id": account_id}, sf)
    assert "could not be reached" in found["salesforce_account_id"]


def change(client, obj, **new):
    url = reverse(f"admin:syncapp_{obj._meta.model_name}_change", args=[obj.pk])
    data = {k: ("" if v is None else v) for k, v in model_to_dict(obj).items()}
    data.update(new)
    if isinstance(obj, OrderLink):  # its line inline's management form
        data.update({"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"})
    return client.post(url, data)


def test_the_form_refuses_a_wrong_id_and_saves_and_records_a_right_one(world, staff, account_id, sandbox):
    ops = staff("Ops")
    link = world["account"]
    refused = change(ops, link, salesforce_account_id="001" + "0" * 15)
    assert refused.status_code == 200
    assert "Salesforce has no Account" in str(refused.context["adminform"].form.errors)
    link.refresh_from_db()
    assert link.salesforce_account_id == "001Hb0000000001AAA"

    assert change(ops, link, salesforce_account_id=account_id).status_code == 302
    link.refresh_from_db()
    assert link.salesforce_account_id == account_id
    entry = AuditEntry.for_object(link).get()
    assert (entry.username, entry.action) == (ops.user.username, "changed")
    assert entry.changes == {"salesforce_account_id": ["001Hb0000000001AAA", account_id]}
    page = ops.get(reverse("admin:syncapp_accountlink_change", args=[link.pk])).content.decode()
    assert "001Hb0000000001AAA" in page and account_id in page and ops.user.username in page


def test_saving_without_changing_an_id_asks_salesforce_nothing(world, staff, sandbox):
    before = calls(sandbox)
    assert change(staff("Ops"), world["account"], email="new@acme.io").status_code == 302
    assert calls(sandbox) == before
    assert AuditEntry.for_object(world["account"]).get().changes == {"email": ["ana@acme.io", "new@acme.io"]}


def test_a_new_salesforce_order_id_makes_the_next_sync_write_in_full(world, staff, sf, account_id, sandbox):
    link = world["order"]
    OrderLink.objects.filter(pk=link.pk).update(billing_fingerprint="f" * 64)
    order_id = sf.create("Order", {"AccountId": account_id, "Status": "Draft", "EffectiveDate": "2026-11-22"})
    assert change(staff("Ops"), link, salesforce_order_id=order_id, abandonment_task_id="").status_code == 302
    link.refresh_from_db()
    assert (link.salesforce_order_id, link.billing_fingerprint) == (order_id, "")


def test_adding_a_mapping_is_checked_too(staff, sandbox, roles):
    response = staff("Ops").post(reverse("admin:syncapp_productmapping_add"), {
        "sku": "NEW-SKU", "currency": "USD", "product2_id": "01t" + "1" * 15, "pricebook2_id": "01s" + "1" * 15,
        "pricebook_entry_id": "01u" + "1" * 15})
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"product2_id", "pricebook2_id", "pricebook_entry_id"}
    assert not ProductMapping.objects.filter(sku="NEW-SKU").exists()
