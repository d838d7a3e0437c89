"""The API allocation (`Sforce-Limit-Info`, `/limits`, REQUEST_LIMIT_EXCEEDED) and the `_control`
endpoint: injected latency and faults, call counts, resets."""
import threading
import time

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceGeneralError, SalesforceRefusedRequest

from syncapp.connectors.sandbox_transport import sandbox_session

from .conftest import API, error_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_data_response_carries_the_limit_header(rest, control):
    control(reset_counts=True)
    first = rest.get("limits")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert first.json()["DailyApiRequests"] == {"Max": 100000, "Remaining": 99999}
    second = rest.query("SELECT Bogus FROM Account")  # errors carry it too
    assert second.status_code == 400
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/100000"
    unauthenticated = requests.get(f"{rest.base}limits", timeout=10)
    assert unauthenticated.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_simple_salesforce_reads_the_usage(sf):
    sf.query("SELECT COUNT() FROM Account")
    assert sf.api_usage["api-usage"].total == 100000
    assert sf.api_usage["api-usage"].used >= 1


def test_daily_allocation_runs_out(rest, control, sf):
    control(reset_counts=True, daily_limit=3)
    assert [rest.get("limits").status_code for _ in range(3)] == [200, 200, 200]
    refused = rest.get("limits")
    assert refused.status_code == 403
    assert error_of(refused) == {"message": "TotalRequests Limit exceeded.",
                                 "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=3/3"
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Account")
    control(daily_limit=1000)
    assert rest.get("limits").status_code == 200


def test_concurrent_calls_never_overshoot_a_low_allocation(rest, control):
    limit, callers = 4, 16
    control(reset_counts=True, daily_limit=limit)
    start = threading.Barrier(callers)
    statuses = []

    def call():
        start.wait()
        statuses.append(rest.get("limits").status_code)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * limit + [403] * (callers - limit)
    assert control()["api_usage"] == limit


def test_fail_next_injects_faults_in_order(rest, control):
    control(fail_next=["503", "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"])
    unavailable = rest.get("limits")
    assert unavailable.status_code == 503
    assert error_of(unavailable)["errorCode"] == "SERVER_UNAVAILABLE"
    locked = rest.post("sobjects/Account", {"Name": "Locked out"})
    assert locked.status_code == 400 and error_of(locked)["errorCode"] == "UNABLE_TO_LOCK_ROW"
    limited = rest.get("limits")
    assert limited.status_code == 403
    assert error_of(limited)["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert rest.get("limits").status_code == 200
    assert control()["fail_next"] == []
    assert rest.query("SELECT COUNT() FROM Account").json()["totalSize"] == 0  # nothing saved


def test_injected_invalid_session_ends_the_session(sf, rest, control):
    control(fail_next=["INVALID_SESSION_ID"])
    first = rest.get("limits")
    assert first.status_code == 401 and error_of(first)["errorCode"] == "INVALID_SESSION_ID"
    assert rest.get("limits").status_code == 401  # the session is gone for good
    control(fail_next=["INVALID_SESSION_ID"])
    old_session = sf.session_id
    assert sf.query("SELECT COUNT() FROM Product2")["totalSize"] == 3  # logs in again by itself
    assert sf.session_id != old_session


def test_fault_rates(rest, control):
    control(fault_rates={"503": 1.0})
    assert {rest.get("limits").status_code for _ in range(3)} == {503}
    control(fault_rates={})
    assert rest.get("limits").status_code == 200
    bad = requests.post(f"{rest.root}/_control", json={"fault_rates": {"teapot": 1}}, timeout=10)
    assert bad.status_code == 400


def test_timeout_fault_outlasts_the_client(sf_base, token, control):
    control(fail_next=["timeout"], timeout_seconds=1.5)
    http = sandbox_session(sf_base, timeout=(5, 0.5))
    client = Salesforce(instance_url=sf_base, session_id=token, version=API, session=http)
    with pytest.raises(requests.Timeout):
        client.Account.create({"Name": "Slow"})
    time.sleep(1.5)
    # The slow call still did its work, as a real timed-out call may have.
    assert client.query("SELECT Name FROM Account")["records"][0]["Name"] == "Slow"


def test_latency(rest, control):
    control(latency_ms=300)
    started = time.monotonic()
    rest.get("limits")
    assert time.monotonic() - started >= 0.3
    control(latency_ms=0)


def test_call_counts_per_resource(rest, sf, control):
    control(reset_counts=True)
    rest.query("SELECT Id FROM Account")
    sf.query("SELECT Id FROM Account")
    account = rest.create("Account", {"Name": "A"})
    rest.get(f"sobjects/Account/{account}")
    rest.post("composite/graph", {"graphs": [{"graphId": "g", "compositeRequest": [
        {"method": "GET", "url": "/services/data/v62.0/limits", "referenceId": "l"}]}]})
    rest.get("sobjects/Order/describe")
    state = control()
    counts = state["counts"]
    assert counts["query"] == 2
    assert counts["sobjects/Account"] == 2
    assert counts["sobjects/Order"] == 1
    assert counts["composite/graph"] == 1
    assert counts["composite"] == 0 and counts["limits"] == 0  # graph subrequests aren't calls
    assert counts["total"] == 6
    assert state["api_usage"] == 6
    after_reset = control(reset_counts=True)
    assert after_reset["counts"]["total"] == 0 and after_reset["api_usage"] == 0


def test_control_state_lives_in_the_database(rest, control):
    state = control(latency_ms=5, daily_limit=500, duplicate_rules=True, timeout_seconds=2)
    assert (state["latency_ms"], state["daily_limit"], state["duplicate_rules"],
            state["timeout_seconds"]) == (5, 500, True, 2.0)
    from sandbox.salesforce.models import Org
    org = Org.objects.get(pk=1)
    assert (org.latency_ms, org.daily_limit, org.duplicate_rules) == (5, 500, True)


def test_reset_org_wipes_records_and_reseeds(rest, control):
    rest.create("Account", {"Name": "Temporary"})
    rest.post("sobjects/Product2/ExternalId/X", {"Name": "whatever"})
    control(reset_org=True)
    assert rest.query("SELECT COUNT() FROM Account").json()["totalSize"] == 0
    codes = {r["ProductCode"] for r in rest.records("SELECT ProductCode FROM Product2")}
    assert codes == {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"}
    entries = rest.records("SELECT UnitPrice, Pricebook2.IsStandard, Product2.ProductCode "
                           "FROM PricebookEntry ORDER BY UnitPrice")
    assert [(e["Product2"]["ProductCode"], e["UnitPrice"], e["Pricebook2"]["IsStandard"])
            for e in entries] == [("ADDON-SEATS", 10, True), ("PRO-MONTHLY", 49, True),
                                  ("TEAM-ANNUAL", 990, True)]
    owner = rest.records("SELECT Email FROM User WHERE Email = 'owner@sandbox.example'")
    assert len(owner) == 1


def test_server_errors_in_simple_salesforce(sf, control):
    control(fail_next=["503"])
    with pytest.raises(SalesforceGeneralError) as failed:
        sf.query("SELECT Id FROM Account")
    assert failed.value.status == 503


def _describe_field(rest, sobject, name):
    fields = rest.get(f"sobjects/{sobject}/describe").json()["fields"]
    return next((f for f in fields if f["name"] == name), None)


def test_field_changes_are_what_an_admin_did_to_a_field(rest, control):
    """A field the integration user may not see is gone from describe, SOQL and saves; one it may
    only read refuses writes; one whose External ID box is unchecked refuses upserts by it."""
    control(field_changes={"Account.Hub_Match_Key__c": "not_external_id",
                           "Contact.Hub_Contact_Key__c": "hidden", "Order.Sync_Origin__c": "read_only"})
    match_key = _describe_field(rest, "Account", "Hub_Match_Key__c")
    assert (match_key["externalId"], match_key["idLookup"], match_key["createable"]) == (False, False, True)
    upsert = rest.patch("sobjects/Account/Hub_Match_Key__c/k-1", {"Name": "Acme"})
    assert upsert.status_code == 404 and error_of(upsert)["errorCode"] == "NOT_FOUND"
    assert rest.create("Account", {"Name": "Acme", "Hub_Match_Key__c": "k-1"})

    assert _describe_field(rest, "Contact", "Hub_Contact_Key__c") is None
    query = rest.query("SELECT Hub_Contact_Key__c FROM Contact")
    assert query.status_code == 400 and error_of(query)["errorCode"] == "INVALID_FIELD"
    create = rest.post("sobjects/Contact", {"LastName": "Doe", "Hub_Contact_Key__c": "c-1"})
    assert create.status_code == 400 and error_of(create)["errorCode"] == "INVALID_FIELD"

    origin = _describe_field(rest, "Order", "Sync_Origin__c")
    assert (origin["createable"], origin["updateable"]) == (False, False)

    assert control(field_changes={})["field_changes"] == {}
    assert _describe_field(rest, "Account", "Hub_Match_Key__c")["externalId"] is True
    assert _describe_field(rest, "Contact", "Hub_Contact_Key__c") is not None


def test_field_changes_name_known_fields_and_changes(sf_base):
    for changes in ({"Account.Nope__c": "hidden"}, {"Account.Hub_Match_Key__c": "gone"}):
        refused = requests.post(f"{sf_base}/_control", json={"field_changes": changes}, timeout=10)
        assert refused.status_code == 400, refused.text
