"""`_control`'s `timeout_after_commit`: the write is committed, then its answer is held past the
client's read timeout, so a client that retries at once finds the record already there (the
plain `timeout` fault works after the wait, too late for that)."""
import pytest
import requests
from simple_salesforce import Salesforce

from syncapp.connectors.sandbox_transport import sandbox_session

from .conftest import API

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_create_commits_before_its_answer_is_lost(sf_base, token, control):
    control(fail_next=["timeout_after_commit"], timeout_seconds=1.5)
    slow = Salesforce(instance_url=sf_base, session_id=token, version=API,
                      session=sandbox_session(sf_base, timeout=(5, 0.5)))
    with pytest.raises(requests.Timeout):
        slow.Account.create({"Name": "Committed"})
    assert control()["fail_next"] == []
    # Read right away, no waiting for the held answer: the record is there.
    assert [r["Name"] for r in slow.query("SELECT Name FROM Account")["records"]] == ["Committed"]


def test_an_upsert_sent_again_after_a_lost_answer_finds_the_record(sf_base, token, control):
    control(fail_next=["timeout_after_commit"], timeout_seconds=1.5)
    slow = Salesforce(instance_url=sf_base, session_id=token, version=API,
                      session=sandbox_session(sf_base, timeout=(5, 0.5)))
    with pytest.raises(requests.Timeout):
        slow.Account.upsert("Hub_Match_Key__c/k-1", {"Name": "Acme"})
    again = slow.Account.upsert("Hub_Match_Key__c/k-1", {"Name": "Acme"}, raw_response=True)
    assert again.status_code == 200 and again.json()["created"] is False
    assert slow.query("SELECT Id, Hub_Match_Key__c FROM Account")["totalSize"] == 1


def test_a_null_in_fail_next_lets_that_call_through(rest, control):
    control(fail_next=[None, "503"])
    assert rest.get("limits").status_code == 200
    assert rest.get("limits").status_code == 503
    assert rest.get("limits").status_code == 200
