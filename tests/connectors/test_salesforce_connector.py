"""The Salesforce connector against the live Salesforce emulator, over HTTP, through the real
simple-salesforce client: logins, new sessions, timeouts, the error taxonomy, call counting,
paging, upsert, composite graphs and what the call log may contain."""
import json
import re
import time
from pathlib import Path

import jwt
import pytest
import requests

from hub.keypair import data_keypair
from syncapp import conf
from syncapp.connectors.salesforce import SalesforceConnector, graph_error, graph_halted, record_error, soql
from syncapp.exceptions import NotFoundError, PermanentError, TransientError
from tests.salesforce_seed import create_records

UNKNOWN_ACCOUNT_ID = "001000000000000AAA"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "salesforce"


@pytest.fixture
def sf_control(hub_url):
    """Change the emulator's switches (`POST _control`) and return its state (`GET _control`)."""
    url = f"{hub_url}/sandbox/salesforce/_control"

    def control(**changes):
        if changes:
            requests.post(url, json=changes, timeout=10).raise_for_status()
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        return response.json()

    return control


@pytest.fixture
def sf_records():
    """The `CallRecord`s a connector reported."""
    return []


@pytest.fixture
def sf(hub_url, sf_records):
    return SalesforceConnector.from_settings(recorder=sf_records.append)


@pytest.fixture
def sf_oauth(hub_settings, hub_url):
    """The legacy OAuth password flow: a connected app's key and secret, no private key."""
    hub_settings["salesforce_consumer_key"] = "sandbox"
    hub_settings["salesforce_consumer_secret"] = "sandbox"
    hub_settings["salesforce_private_key_file"] = ""


@pytest.fixture
def sf_soap(hub_settings, hub_url):
    """The legacy SOAP login: a username and password, no connected app."""
    hub_settings["salesforce_consumer_key"] = hub_settings["salesforce_private_key_file"] = ""


def new_account(sf, name="Acme Inc"):
    return sf.create("Account", {"Name": name})


def order_fields(account_id, **extra):
    return {"AccountId": account_id, "EffectiveDate": "2026-11-22", "Status": "Draft", **extra}


def product_names(sf):
    return {r["Name"] for r in sf.query("SELECT Name, ProductCode FROM Product2")}


# --- logins ----------------------------------------------------------------------------------
def test_the_sandbox_logs_in_with_the_jwt_bearer_flow(sf, sf_records):
    assert product_names(sf)
    assert (sf.login_calls, sf.calls) == (1, 1)
    login = sf_records[0]
    assert login.url.endswith("/services/oauth2/token") and login.ok
    sent = json.loads(login.request_excerpt)
    assert sent == {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": "[redacted]"}
    assert json.loads(login.response_excerpt)["access_token"] == "[redacted]"


def signed_assertion(hub_settings, key_file=None, **claims):
    """A JWT bearer assertion as simple-salesforce makes it, with `claims` changed."""
    payload = {"iss": "sandbox", "sub": "hub@sandbox.example", "aud": "https://login.salesforce.com",
               "exp": f"{time.time() + 170:.0f}", **claims}
    key = Path(key_file or hub_settings["salesforce_private_key_file"]).read_bytes()
    return jwt.encode(payload, key, algorithm="RS256")


def jwt_login(hub_url, assertion):
    return requests.post(f"{hub_url}/sandbox/salesforce/services/oauth2/token", timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})


def test_a_jwt_assertion_signed_by_another_key_is_refused(hub_settings, hub_url, tmp_path):
    other_key, _ = data_keypair(tmp_path, "other")
    response = jwt_login(hub_url, signed_assertion(hub_settings, key_file=other_key))
    assert (response.status_code, response.json()) == (
        400, {"error": "invalid_grant", "error_description": "invalid assertion"})


@pytest.mark.parametrize("claims, description", [
    ({"exp": "1700000000"}, "expired authorization code"),
    ({"exp": str(int(time.time()) + 3600)}, "expired authorization code"),
    ({"aud": "https://acme.example.com"}, "audience is invalid"),
    ({"sub": "nobody@sandbox.example"}, "user hasn't approved this consumer"),
], ids=["expired", "too-long", "audience", "unknown-user"])
def test_a_bad_jwt_assertion_is_refused(hub_settings, hub_url, claims, description):
    response = jwt_login(hub_url, signed_assertion(hub_settings, **claims))
    assert (response.status_code, response.json()) == (
        400, {"error": "invalid_grant", "error_description": description})


def test_a_jwt_assertion_for_an_unknown_app_is_refused(hub_settings, hub_url):
    response = jwt_login(hub_url, signed_assertion(hub_settings, iss="someone-else"))
    assert response.json()["error"] == "invalid_client_id"


def test_a_refused_jwt_login_is_permanent(hub_settings, hub_url):
    hub_settings["salesforce_username"] = "nobody@sandbox.example"
    sf = SalesforceConnector.from_settings()
    with pytest.raises(PermanentError) as caught:
        sf.limits()
    assert caught.value.code == "invalid_grant" and not caught.value.retryable


def test_soap_username_password_login(sf_soap, sf_records):
    sf = SalesforceConnector.from_settings(recorder=sf_records.append)
    assert product_names(sf)
    assert (sf.login_calls, sf.calls) == (1, 1)
    login = sf_records[0]
    assert login.operation == "login" and "/services/Soap/u/" in login.url and login.ok


def test_oauth_password_flow_login(sf_oauth, sf, sf_records):
    assert product_names(sf)
    login = sf_records[0]
    assert login.url.endswith("/services/oauth2/token")
    sent = json.loads(login.request_excerpt)
    assert sent["grant_type"] == "password"
    assert sent["password"] == sent["client_secret"] == "[redacted]"
    assert json.loads(login.response_excerpt)["access_token"] == "[redacted]"


def test_client_credentials_login(sf_oauth, hub_settings, sf_records):
    hub_settings["salesforce_username"] = ""
    hub_settings["salesforce_password"] = ""
    sf = SalesforceConnector.from_settings(recorder=sf_records.append)
    assert product_names(sf)
    assert json.loads(sf_records[0].request_excerpt)["grant_type"] == "client_credentials"
    assert sf.login_calls == 1


def oauth_token(hub_url):
    response = requests.post(f"{hub_url}/sandbox/salesforce/services/oauth2/token", timeout=10,
                             data={"grant_type": "password", "client_id": "sandbox",
                                   "client_secret": "sandbox", "username": "hub@sandbox.example",
                                   "password": "sandbox"})
    response.raise_for_status()
    return response.json()["access_token"]


def test_instance_url_and_session_id_login(hub_url):
    sf = SalesforceConnector(conf.salesforce(), session_id=oauth_token(hub_url))
    assert product_names(sf)
    assert (sf.login_calls, sf.calls) == (0, 1)


def test_expired_given_session_without_credentials_is_permanent(hub_url, hub_settings, sf_control):
    hub_settings["salesforce_username"] = hub_settings["salesforce_password"] = ""
    sf = SalesforceConnector(conf.salesforce(), session_id=oauth_token(hub_url))
    sf_control(expire_sessions=True)
    with pytest.raises(PermanentError) as caught:
        sf.limits()
    assert caught.value.code == "INVALID_SESSION_ID"


def test_expired_given_session_logs_in_with_credentials(hub_url, sf_control):
    sf = SalesforceConnector(conf.salesforce(), session_id=oauth_token(hub_url))
    sf_control(expire_sessions=True)
    assert sf.limits()
    assert sf.login_calls == 1


@pytest.mark.parametrize("oauth", [False, True], ids=["soap", "oauth"])
def test_refused_login_is_permanent(hub_settings, hub_url, oauth):
    hub_settings["salesforce_private_key_file"] = ""
    hub_settings["salesforce_consumer_key"] = hub_settings["salesforce_consumer_secret"] = "sandbox" if oauth else ""
    hub_settings["salesforce_password"] = "wrong"
    sf = SalesforceConnector.from_settings()
    with pytest.raises(PermanentError) as caught:
        sf.limits()
    assert caught.value.code == ("invalid_grant" if oauth else "INVALID_LOGIN")
    assert caught.value.vendor == "salesforce" and not caught.value.retryable
    assert (sf.login_calls, sf.calls) == (1, 0)


# --- new sessions ----------------------------------------------------------------------------
def test_a_session_is_shared_by_connectors_until_salesforce_refuses_it(hub_url, sf_control):
    """Each job (in any worker process) builds its own connector: the first one logs in, the
    next ones reuse its session through the shared cache, and a refused session is replaced."""
    first = SalesforceConnector.from_settings()
    first.limits()
    second = SalesforceConnector.from_settings()
    second.limits()
    assert (first.login_calls, second.login_calls) == (1, 0)
    assert sf_control()["logins"] == 1
    sf_control(expire_sessions=True)
    third = SalesforceConnector.from_settings()
    third.limits()
    fourth = SalesforceConnector.from_settings()
    fourth.limits()
    assert (third.login_calls, third.calls, fourth.login_calls, fourth.calls) == (1, 2, 0, 1)
    assert sf_control()["logins"] == 2


def test_logs_in_again_after_the_org_expires_sessions(sf, sf_control):
    sf.limits()
    sf_control(expire_sessions=True)
    assert product_names(sf)
    assert sf.login_calls == 2
    assert sf.calls == 3  # the refused call is counted too


def test_logs_in_again_after_invalid_session_id(sf, sf_control, sf_records):
    sf.limits()
    sf_control(fail_next=["INVALID_SESSION_ID"])
    assert sf.limits()
    assert (sf.login_calls, sf.calls) == (2, 3)
    assert [r.error_code for r in sf_records] == ["", "", "INVALID_SESSION_ID", "", ""]


def test_second_invalid_session_is_transient(sf, sf_control):
    sf.limits()
    sf_control(fail_next=["INVALID_SESSION_ID", "INVALID_SESSION_ID"])
    with pytest.raises(TransientError) as caught:
        sf.limits()
    assert caught.value.code == "INVALID_SESSION_ID"
    assert sf.login_calls == 2


# --- timeouts and the error taxonomy ---------------------------------------------------------
def test_read_timeout_is_transient(hub_url, sf_control, sf_records):
    sf = SalesforceConnector.from_settings(recorder=sf_records.append, timeout=(5, 1))
    sf.limits()
    sf_control(timeout_seconds=2, fail_next=["timeout"] * 3)
    with pytest.raises(TransientError) as caught:
        sf.limits()
    assert caught.value.code == "timeout"
    assert sf_records[-1].status is None and sf_records[-1].error_code == "timeout"
    assert sf.calls == 4  # a read that timed out is sent again, twice at most


def test_a_read_that_timed_out_once_is_sent_again(hub_url, sf_control, sf_records):
    sf = SalesforceConnector.from_settings(recorder=sf_records.append, timeout=(5, 1))
    sf.limits()
    sf_control(timeout_seconds=2, fail_next=["timeout"])
    assert sf.limits()
    assert [r.error_code for r in sf_records] == ["", "", "timeout", ""]


def test_a_create_that_timed_out_is_not_sent_again(hub_url, sf_control):
    """It may have gone through: sending it again could make a second record."""
    sf = SalesforceConnector.from_settings(timeout=(5, 1))
    sf.limits()
    sf_control(timeout_seconds=2, fail_next=["timeout"])
    with pytest.raises(TransientError) as caught:
        sf.create("Account", {"Name": "Slow Co"})
    assert caught.value.code == "timeout"
    assert sf.calls == 2


@pytest.mark.parametrize("fault", ["503", "UNABLE_TO_LOCK_ROW"])
def test_a_call_refused_unchanged_is_sent_again(sf, sf_control, fault):
    """A locked row or a busy server clears within a second: the call is sent again at once."""
    sf.limits()
    sf_control(fail_next=[fault])
    assert sf.create("Account", {"Name": "Lock Co"})
    assert sf.calls == 3


@pytest.mark.parametrize("fault", ["503", "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"])
def test_transient_faults(sf, sf_control, fault):
    sf.limits()
    sf_control(fail_next=[fault] * 3)
    with pytest.raises(TransientError) as caught:
        sf.query("SELECT Id FROM Product2")
    error = caught.value
    assert error.vendor == "salesforce" and error.retryable
    if fault == "503":
        assert error.status == 503
    else:
        assert error.code == fault
    if fault == "REQUEST_LIMIT_EXCEEDED":
        assert error.retry_after and error.retry_after > 0
        assert sf.calls == 2  # the allocation is the job engine's to wait for, never resent here
    else:
        assert sf.calls == 4
    sf_control(fail_next=[])
    assert product_names(sf)  # the faults are gone; the next call works


def test_exhausted_daily_allocation_is_transient_with_a_wait(sf, sf_control):
    sf.limits()
    used = sf.api_usage[0]
    sf_control(daily_limit=used + 1)
    sf.limits()
    with pytest.raises(TransientError) as caught:
        sf.limits()
    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert caught.value.status == 403
    assert caught.value.retry_after >= 60


def test_validation_error_is_permanent_with_salesforce_errors(sf):
    with pytest.raises(PermanentError) as caught:
        sf.create("Account", {"Website": "acme.io"})
    error = caught.value
    assert type(error) is PermanentError
    assert (error.code, error.status) == ("REQUIRED_FIELD_MISSING", 400)
    assert error.details["errors"][0]["fields"] == ["Name"]


def test_unique_external_id_taken_is_duplicate_value(sf):
    account_id = new_account(sf)
    sf.create("Order", order_fields(account_id, Billing_Order_Id__c="O-DUP"))
    with pytest.raises(PermanentError) as caught:
        sf.create("Order", order_fields(account_id, Billing_Order_Id__c="O-DUP"))
    assert caught.value.code == "DUPLICATE_VALUE"
    assert caught.value.details["errors"]


def test_duplicate_rule_match_names_the_existing_records(sf, sf_control):
    sf_control(duplicate_rules=True)
    first = sf.create("Account", {"Name": "Acme", "Website": "https://acme.io"})
    with pytest.raises(PermanentError) as caught:
        sf.create("Account", {"Name": "Acme Two", "Website": "www.acme.io"})
    assert caught.value.code == "DUPLICATES_DETECTED"
    assert caught.value.details["duplicate_ids"] == [first]


def test_malformed_query_is_permanent(sf):
    with pytest.raises(PermanentError) as caught:
        sf.query("SELECT Id FROM Account WHERE")
    assert caught.value.code == "MALFORMED_QUERY" and not caught.value.retryable


def test_unknown_or_deleted_record_is_not_found(sf):
    with pytest.raises(NotFoundError):
        sf.get("Account", UNKNOWN_ACCOUNT_ID)
    with pytest.raises(NotFoundError):
        sf.update("Account", UNKNOWN_ACCOUNT_ID, {"Name": "x"})
    account_id = new_account(sf)
    sf.delete("Account", account_id)
    with pytest.raises(NotFoundError):
        sf.get("Account", account_id)
    with pytest.raises(NotFoundError):
        sf.delete("Account", account_id)


# --- counting and limits ---------------------------------------------------------------------
def test_call_counts_match_the_emulators(sf, sf_control):
    sf_control(reset_counts=True)
    account_id = new_account(sf)
    sf.get("Account", account_id, fields=["Name"])
    sf.update("Account", account_id, {"Name": "Acme Corp"})
    sf.query("SELECT Id FROM Account")
    sf.limits()
    state = sf_control()
    assert (sf.calls, sf.login_calls) == (5, 1)
    assert sf.calls == state["counts"]["total"]  # the emulator counts data calls, not logins
    assert state["counts"]["sobjects/Account"] == 3
    assert sf.api_usage == (state["api_usage"], state["daily_limit"])


def test_limit_info_header_is_read_from_every_answer(sf, sf_control):
    sf_control(daily_limit=5000)
    sf.limits()
    used, limit = sf.api_usage
    sf.query("SELECT Id FROM Product2")
    assert sf.api_usage == (used + 1, 5000)


# --- operations ------------------------------------------------------------------------------
def test_query_pages_through_next_records_url(sf):
    records = [{"attributes": {"type": "Account"}, "Name": f"Paging {i:03}"} for i in range(200)]
    create_records(sf, records)
    create_records(sf, records[:50])
    before = sf.calls
    pages = sf.query_iter("SELECT Id, Name FROM Account WHERE Name LIKE 'Paging%'", batch_size=200)
    first = next(pages)
    assert sf.calls == before + 1  # lazy: one page fetched so far
    rest = list(pages)
    assert sf.calls == before + 2
    assert len({r["Id"] for r in [first, *rest]}) == 250
    assert "attributes" not in first


def test_collection_update_reports_each_record(sf):
    good, other = (new_account(sf, name) for name in ("One", "Two"))
    results = sf.collection_update([
        {"attributes": {"type": "Account"}, "Id": good, "Name": "One renamed"},
        {"attributes": {"type": "Account"}, "Id": other, "Name": ""},
    ], all_or_none=False)
    assert [r["success"] for r in results] == [True, False]
    assert record_error(results[0]) is None
    assert isinstance(record_error(results[1]), PermanentError)
    assert sf.get("Account", good, ["Name"])["Name"] == "One renamed"


def test_query_strips_attributes_from_parent_fields(sf):
    account_id = new_account(sf, "Parent Co")
    sf.create("Contact", {"LastName": "Diaz", "Email": "ana@parent.example",
                          "AccountId": account_id})
    [contact] = sf.query(soql("SELECT Id, Account.Name FROM Contact WHERE Email = {}",
                              "ana@parent.example"))
    assert contact["Account"] == {"Name": "Parent Co"}


@pytest.mark.parametrize("name", ["O'Brien", "x' OR Name != 'y", "back\\slash' OR Name LIKE '%",
                                  'quote" and \\\' mixed', "line\nbreak"])
def test_soql_literals_cannot_escape(sf, name):
    new_account(sf, "Bystander")
    account_id = new_account(sf, name)
    found = sf.query(soql("SELECT Id, Name FROM Account WHERE Name = {}", name))
    assert [(r["Id"], r["Name"]) for r in found] == [(account_id, name)]


def test_upsert_creates_then_updates(sf):
    account_id = new_account(sf)
    order_id, created = sf.upsert("Order", "Billing_Order_Id__c", "O-100 a+b",
                                  order_fields(account_id, Description="first"))
    assert created and order_id.startswith("801")
    again, created = sf.upsert("Order", "Billing_Order_Id__c", "O-100 a+b",
                               {"Description": "second"})
    assert (again, created) == (order_id, False)
    assert sf.get("Order", order_id, ["Description"])["Description"] == "second"


def test_upsert_matching_several_records_is_multiple_choices(sf):
    """Product2.ExternalId is an external id but not unique: Salesforce answers 300."""
    matches = [sf.create("Product2", {"Name": name, "ExternalId": ext})
               for name, ext in (("One", "EXT-9"), ("Two", "ext-9"))]
    with pytest.raises(PermanentError) as caught:
        sf.upsert("Product2", "ExternalId", "EXT-9", {"Name": "Three"})
    error = caught.value
    assert type(error) is PermanentError and not error.retryable
    assert (error.code, error.status) == ("MULTIPLE_CHOICES", 300)
    assert sorted(error.details["matches"]) == sorted(sf.data_path(f"sobjects/Product2/{record_id}")
                                                      for record_id in matches)
    assert [sf.get("Product2", i, ["Name"])["Name"] for i in matches] == ["One", "Two"]


def order_graph(sf, graph_id, billing_id, account_name):
    return {"graphId": graph_id, "compositeRequest": [
        {"method": "POST", "url": sf.data_path("sobjects/Account"), "referenceId": "account",
         "body": {"Name": account_name} if account_name else {"Website": "nameless.example"}},
        {"method": "PATCH", "url": sf.data_path(f"sobjects/Order/Billing_Order_Id__c/{billing_id}"),
         "referenceId": "order", "body": order_fields("@{account.id}")},
    ]}


def test_graph_writes_each_graph_all_or_nothing(sf):
    before = sf.calls
    [result] = sf.graph([order_graph(sf, "g1", "O-G1", "Graph Co")])
    assert sf.calls == before + 1
    assert result["isSuccessful"] and graph_error(result) is None
    [order] = sf.query("SELECT Id, Account.Name FROM Order WHERE Billing_Order_Id__c = 'O-G1'")
    assert order["Account"]["Name"] == "Graph Co"


@pytest.mark.serial  # the emulator's own time per node counts against the budget: not under other tests' load
def test_a_graph_call_waits_longer_the_more_nodes_it_carries(hub_url, sf_control):
    """Salesforce works through a batch's nodes one by one: a full batch may take seconds."""
    sf = SalesforceConnector.from_settings(timeout=(5, 1))
    sf_control(timeout_seconds=1.5, fail_next=["timeout"])
    with pytest.raises(TransientError) as caught:  # 2 nodes: about the plain read timeout
        sf.graph([order_graph(sf, "one", "O-ONE", "One Co")])
    assert caught.value.code == "timeout"
    sf_control(timeout_seconds=1.5, fail_next=["timeout"])
    batch = [order_graph(sf, f"g{i}", f"O-B{i}", f"Batch {i} Co") for i in range(25)]  # 50 nodes
    assert all(r["isSuccessful"] for r in sf.graph(batch))


def test_failing_graph_raises_its_first_real_error(sf):
    with pytest.raises(PermanentError) as caught:
        sf.graph([order_graph(sf, "bad", "O-BAD", None)])
    assert caught.value.code == "REQUIRED_FIELD_MISSING"
    assert caught.value.details["graph_id"] == "bad"
    assert sf.query("SELECT Id FROM Order WHERE Billing_Order_Id__c = 'O-BAD'") == []


def test_graph_batch_reports_which_graph_failed(sf):
    graphs = [order_graph(sf, "ok", "O-OK", "Fine Co"), order_graph(sf, "bad", "O-BAD", None)]
    results = sf.graph(graphs, raise_on_failure=False)
    assert [r["graphId"] for r in results] == ["ok", "bad"]
    assert graph_error(results[0]) is None
    assert graph_error(results[1]).code == "REQUIRED_FIELD_MISSING"
    assert len(sf.query("SELECT Id FROM Order WHERE Billing_Order_Id__c = 'O-OK'")) == 1
    assert sf.query("SELECT Id FROM Account WHERE Website = 'nameless.example'") == []


def test_a_documented_graph_answer_tells_succeeded_failed_and_halted_graphs_apart():
    """Salesforce's documented shapes (the fixture names its pages): a failed graph raises its
    real cause, not the rolled-back marker; a halted graph was never tried, so it did not fail."""
    fixture = json.loads((FIXTURES / "composite_graph_failed_and_halted.json").read_text())
    ok, failed, halted = fixture["response"]["graphs"]
    assert graph_error(ok) is None and not graph_halted(ok)
    error = graph_error(failed)
    assert isinstance(error, PermanentError) and not graph_halted(failed)
    assert (error.code, error.details["graph_id"], error.details["reference_id"]) == (
        "REQUIRED_FIELD_MISSING", "2", "reference_id_contact_2")
    assert graph_halted(halted)


def test_describe_and_limits(sf):
    fields = {f["name"]: f for f in sf.describe("Order")["fields"]}
    assert fields["Billing_Order_Id__c"]["externalId"]
    assert sf.limits()["DailyApiRequests"]["Max"] > 0


# --- the call log ----------------------------------------------------------------------------
@pytest.mark.parametrize("oauth", [False, True], ids=["soap", "oauth"])
def test_call_records_hold_no_secrets(hub_settings, hub_url, sf_records, oauth):
    hub_settings["salesforce_private_key_file"] = ""
    hub_settings["salesforce_consumer_key"] = hub_settings["salesforce_consumer_secret"] = "sandbox" if oauth else ""
    sf = SalesforceConnector.from_settings(recorder=sf_records.append)
    account_id = new_account(sf)
    sf.upsert("Order", "Billing_Order_Id__c", "O-LOG", order_fields(account_id))
    session_id = sf._sf.session_id
    assert [r.operation for r in sf_records] == ["login", "create Account", "upsert Order"]
    login_text = sf_records[0].request_excerpt + sf_records[0].response_excerpt
    # the password (and client secret) sent, the session received
    assert login_text.count("[redacted]") == (3 if oauth else 2)
    for record in sf_records:
        text = " ".join([record.url, record.request_excerpt, record.response_excerpt])
        assert session_id not in text
        for secret in re.findall(r"<(?:\w+:)?(?:password|sessionId)>([^<]*)<", text):
            assert secret == "[redacted]"
    upsert = sf_records[-1]
    assert (upsert.method, upsert.status, upsert.ok) == ("PATCH", 201, True)
    assert "O-LOG" in upsert.url and account_id in upsert.request_excerpt
