"""`manage.py doctor` against the live sandbox: every check passes on the embedded default, and one
broken thing is a ✗ with its fix and exit status 1."""
import json
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.jobs import heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def doctor(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("doctor", *args, stdout=out)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue()


@pytest.fixture
def worker_seen(hub_url):
    heartbeat.beat()  # what a worker's every-minute sweep does


def test_the_sandbox_passes_every_check(worker_seen):
    status, out = doctor()
    assert status == 0, out
    assert "✗" not in out
    for line in ("✓ Salesforce login (OAuth 2.0 JWT bearer flow)", "✓ Salesforce API version 62.0 served",
                 "✓ Account.Hub_Match_Key__c writable", "✓ Contact.Hub_Contact_Key__c writable",
                 "✓ Order.Billing_Order_Id__c writable", "✓ Order status Canceled exists",
                 "✓ PricebookEntry for PRO-MONTHLY in USD", "✓ Billing (zuora) credentials and catalog",
                 "✓ Webhook authentication (zuora)", "✓ Workers alive"):
        assert line in out


def test_json_names_each_check(worker_seen):
    status, out = doctor("--json")
    report = json.loads(out)
    assert status == 0 and report["ok"] is True
    assert {"name", "ok", "detail", "fix"} == set(report["checks"][0])


def test_a_product_without_an_active_price_is_a_cross_with_its_fix(worker_seen):
    sf = SalesforceConnector.from_settings()
    entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'TEAM-ANNUAL'")[0]
    sf.update("PricebookEntry", entry["Id"], {"IsActive": False})
    status, out = doctor("--json")
    assert status == 1
    failed = [c for c in json.loads(out)["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["PricebookEntry for TEAM-ANNUAL in USD"]
    assert "ProductCode TEAM-ANNUAL" in failed[0]["fix"]


def test_the_checkout_external_ids_are_crosses_with_their_fix(hub_url, worker_seen):
    """A checkout upserts its Account and Contact by the hub's keys: a key field that is no longer an
    External ID, or that the integration user cannot see or write, is found before the first sync."""
    requests.post(f"{hub_url}/sandbox/salesforce/_control", json={"field_changes": {
        "Account.Hub_Match_Key__c": "not_external_id", "Contact.Hub_Contact_Key__c": "hidden"}}, timeout=10)
    status, out = doctor("--json")
    failed = {c["name"]: c for c in json.loads(out)["checks"] if not c["ok"]}
    assert status == 1
    assert set(failed) == {"Account.Hub_Match_Key__c writable", "Contact.Hub_Contact_Key__c writable"}
    match_key, contact_key = failed["Account.Hub_Match_Key__c writable"], failed["Contact.Hub_Contact_Key__c writable"]
    assert match_key["detail"] == "not an external id"
    assert "sf project deploy start" in match_key["fix"] and "External ID" in match_key["fix"]
    assert contact_key["detail"] == "missing, or not visible to the integration user"
    assert "sf project deploy start" in contact_key["fix"]
    assert "Order_Sync_Hub_Integration permission set" in contact_key["fix"]


def test_a_key_field_the_integration_user_can_only_read_is_a_cross(hub_url, worker_seen):
    requests.post(f"{hub_url}/sandbox/salesforce/_control",
                  json={"field_changes": {"Contact.Hub_Contact_Key__c": "read_only"}}, timeout=10)
    status, out = doctor()
    assert status == 1
    assert "✗ Contact.Hub_Contact_Key__c writable" in out and "not createable; not updateable" in out
    assert "fix: assign the Order_Sync_Hub_Integration permission set" in out
    assert "✓ Account.Hub_Match_Key__c writable" in out


def test_a_refused_login_and_dead_workers_are_crosses(hub_url, hub_settings):
    hub_settings["salesforce_username"] = "nobody@sandbox.example"
    hub_settings["zuora_webhook_secret"] = ""
    status, out = doctor()
    assert status == 1
    assert "✗ Salesforce login (OAuth 2.0 JWT bearer flow)" in out and "invalid_grant" in out
    assert "✗ Webhook authentication (zuora)" in out and "fix: set ZUORA_WEBHOOK_SECRET" in out
    assert "✗ Workers alive" in out and "never seen" in out
    assert "✓ Billing (zuora) credentials and catalog" in out


def test_a_multi_currency_org_needs_the_setting_and_prices_in_each_currency(hub_url, worker_seen, hub_settings):
    requests.post(f"{hub_url}/sandbox/salesforce/_control", json={"multi_currency": True}, timeout=10)
    status, out = doctor("--json")
    failed = {c["name"]: c["fix"] for c in json.loads(out)["checks"] if not c["ok"]}
    assert status == 1 and failed == {
        "Salesforce currencies match SALESFORCE_MULTI_CURRENCY": "set SALESFORCE_MULTI_CURRENCY=1"}
    hub_settings["salesforce_multi_currency"] = True
    assert doctor()[0] == 0


def test_a_missing_private_key_file_is_a_cross_naming_it(hub_url, worker_seen, hub_settings, tmp_path):
    hub_settings["salesforce_private_key_file"] = str(tmp_path / "salesforce.key")
    status, out = doctor()
    assert status == 1
    assert "✗ Salesforce login (OAuth 2.0 JWT bearer flow)" in out and "salesforce.key" in out
