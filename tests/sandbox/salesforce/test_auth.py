"""Logins the hub uses (SOAP username/password, OAuth password and client credentials) and the
session check on every data call."""
import base64

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceAuthenticationFailed

from hub.keypair import data_keypair
from syncapp.connectors.sandbox_transport import sandbox_session

from .conftest import API, Rest, error_of, oauth_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_soap_login_through_simple_salesforce(sf, sf_base):
    assert sf.session_id.startswith("00D")
    result = sf.query("SELECT Username FROM User WHERE Username = 'hub@sandbox.example'")
    assert result["records"][0]["Username"] == "hub@sandbox.example"


def test_soap_login_tolerates_an_appended_security_token(sf_base):
    client = Salesforce(username="hub@sandbox.example", password="sandbox",
                        security_token="AbC123", domain="login", version=API,
                        session=sandbox_session(sf_base))
    assert client.query("SELECT COUNT() FROM Product2")["totalSize"] == 3


def test_soap_login_with_a_wrong_password_is_invalid_login(sf_base):
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        Salesforce(username="hub@sandbox.example", password="wrong", security_token="",
                   domain="login", session=sandbox_session(sf_base))
    assert failed.value.code == "INVALID_LOGIN"


def test_soap_login_response_and_fault_shapes(sf_base):
    envelope = ('<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/'
                'envelope/" xmlns:n1="urn:partner.soap.sforce.com"><env:Body><n1:login>'
                '<n1:username>{u}</n1:username><n1:password>{p}</n1:password></n1:login>'
                '</env:Body></env:Envelope>')
    url = f"{sf_base}/services/Soap/u/{API}"
    good = requests.post(url, data=envelope.format(u="hub@sandbox.example", p="sandbox"),
                         headers={"Content-Type": "text/xml", "SOAPAction": "login"}, timeout=10)
    assert good.status_code == 200
    assert f"<serverUrl>{sf_base}/services/Soap/u/{API}/00D" in good.text
    assert "<sessionId>" in good.text and "<userId>005" in good.text
    bad = requests.post(url, data=envelope.format(u="nobody@example.com", p="x"), timeout=10)
    assert bad.status_code == 500
    assert "<faultcode>sf:INVALID_LOGIN</faultcode>" in bad.text
    assert "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in bad.text


def test_oauth_password_flow(sf_base):
    response = oauth_token(sf_base)
    assert response.status_code == 200
    body = response.json()
    assert body["instance_url"] == sf_base
    assert body["token_type"] == "Bearer"
    assert {"access_token", "issued_at", "signature", "id"} <= set(body)
    assert body["issued_at"].isdigit()
    rest = Rest(body["instance_url"], body["access_token"])
    assert rest.get("limits").status_code == 200


def test_oauth_password_flow_with_security_token_and_simple_salesforce(sf_base):
    client = Salesforce(username="hub@sandbox.example", password="sandbox", consumer_key="sandbox",
                        consumer_secret="sandbox", domain="login", version=API,
                        session=sandbox_session(sf_base))
    assert client.query("SELECT COUNT() FROM PricebookEntry")["totalSize"] == 3
    assert oauth_token(sf_base, password="sandboxTOKEN42").status_code == 200


@pytest.mark.parametrize("form, error", [
    ({"password": "nope"}, "invalid_grant"),
    ({"username": "someone@else.example"}, "invalid_grant"),
    ({"client_id": "other"}, "invalid_client_id"),
    ({"client_secret": "other"}, "invalid_client"),
    ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
])
def test_oauth_failures_use_oauth_error_bodies(sf_base, form, error):
    response = oauth_token(sf_base, **form)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_client_credentials_flow_by_form_and_by_basic_auth(sf_base):
    by_form = requests.post(f"{sf_base}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "sandbox", "client_secret": "sandbox"},
        timeout=10)
    assert by_form.status_code == 200 and by_form.json()["access_token"]
    basic = base64.b64encode(b"sandbox:sandbox").decode()
    by_header = requests.post(f"{sf_base}/services/oauth2/token",
                              data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic}"}, timeout=10)
    assert by_header.status_code == 200
    # simple-salesforce's own client-credentials login (a My Domain is required by the client).
    client = Salesforce(consumer_key="sandbox", consumer_secret="sandbox", domain="hub-sandbox.my",
                        version=API, session=sandbox_session(sf_base))
    assert client.query("SELECT COUNT() FROM Pricebook2")["totalSize"] == 1


def test_jwt_bearer_flow_through_simple_salesforce(sf_base, hub_settings, control):
    """The recommended login: an assertion signed with the key whose certificate the sandbox's
    connected app trusts. Its answer carries no signature: there is no secret to sign with."""
    client = Salesforce(username="hub@sandbox.example", consumer_key="sandbox",
                        privatekey_file=hub_settings["sandbox_salesforce_key_file"], domain="login",
                        version=API, session=sandbox_session(sf_base))
    assert client.query("SELECT COUNT() FROM Pricebook2")["totalSize"] == 1
    assert control()["logins"] == 1


def test_jwt_bearer_flow_refuses_a_key_the_app_does_not_trust(sf_base, tmp_path):
    other_key, _ = data_keypair(tmp_path, "other")
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        Salesforce(username="hub@sandbox.example", consumer_key="sandbox", privatekey_file=other_key,
                   domain="login", version=API, session=sandbox_session(sf_base))
    assert failed.value.code == "invalid_grant"


@pytest.mark.parametrize("version", ["30.0", "65.0"])
def test_soap_login_is_refused_at_an_api_version_not_served(sf_base, version):
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        Salesforce(username="hub@sandbox.example", password="sandbox", security_token="",
                   domain="login", version=version, session=sandbox_session(sf_base))
    assert failed.value.code == "UNSUPPORTED_API_VERSION"


def test_direct_session_and_instance_url(sf_base, token):
    client = Salesforce(instance_url=sf_base, session_id=token, version=API,
                        session=sandbox_session(sf_base))
    assert client.Account.create({"Name": "Direct"})["success"] is True


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_data_calls_need_a_live_session(sf_base, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{sf_base}/services/data/v{API}/sobjects", headers=headers,
                            timeout=10)
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}]


def test_expired_sessions_are_refused_and_simple_salesforce_logs_in_again(sf, rest, control):
    old_session = sf.session_id
    control(expire_sessions=True)
    assert error_of(rest.get("limits"))["errorCode"] == "INVALID_SESSION_ID"
    assert sf.query("SELECT COUNT() FROM Product2")["totalSize"] == 3  # re-logged in
    assert sf.session_id != old_session


def test_versions_and_resources(sf_base, rest):
    versions = requests.get(f"{sf_base}/services/data/", timeout=10).json()
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    resources = rest.get("").json()
    assert resources["query"] == "/services/data/v62.0/query"
    assert resources["composite"] == "/services/data/v62.0/composite"
    assert rest.get("/services/data/v9.0/limits").status_code == 404
