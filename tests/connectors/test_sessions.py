"""A thread keeps its sessions: a connector built for each job, batch or request reuses the open
connections of the one before (a new session would open a connection, and with a real vendor a
TLS handshake, every time). Sessions are never shared between threads or with a forked child."""
import threading

from syncapp.connectors import http
from syncapp.connectors.billing.zuora.connector import ZuoraConnector
from syncapp.connectors.sandbox_transport import sandbox_session


def connector() -> ZuoraConnector:
    return ZuoraConnector("https://rest.test.zuora.com", "id", "secret")


def test_connectors_built_one_after_another_in_a_thread_share_its_session():
    assert connector().session is connector().session
    assert http.new_session() is connector().session  # the same settings: the same session
    assert http.new_session(timeout=(1, 2)) is not http.new_session()


def test_another_thread_gets_a_session_of_its_own():
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(connector().session))
    thread.start()
    thread.join()
    assert theirs[0] is not connector().session


def test_a_forked_child_makes_its_own(monkeypatch):
    parent = http.new_session()
    monkeypatch.setattr(http.os, "getpid", lambda: -1)
    assert http.new_session() is not parent


def test_each_emulator_gets_its_own_sandbox_session_and_keeps_it():
    first, second = sandbox_session("http://127.0.0.1:1/sandbox/salesforce"), sandbox_session("http://127.0.0.1:2/sandbox/salesforce")
    assert first is not second and first is not http.new_session()
    assert sandbox_session("http://127.0.0.1:1/sandbox/salesforce") is first


def test_the_environment_is_read_once_per_host_and_a_callers_proxies_still_win(monkeypatch):
    session = http.plain_session()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "login.salesforce.com")
    first = session.merge_environment_settings("https://rest.zuora.com/v1/orders/O-1", {}, None, None, None)
    assert first["proxies"]["https"] == "http://proxy.internal:3128"
    bypassed = session.merge_environment_settings("https://login.salesforce.com/x", {}, None, None, None)
    assert "https" not in bypassed["proxies"]  # NO_PROXY is still honoured, host by host
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere:1")
    again = session.merge_environment_settings("https://rest.zuora.com/v1/orders/O-2", {}, None, None, None)
    assert again == first and again["proxies"] is not first["proxies"]  # read once; each call its own copy
    own = session.merge_environment_settings("https://rest.zuora.com/", {"https": "http://mine:8"}, None, None, None)
    assert own["proxies"]["https"] == "http://mine:8"
