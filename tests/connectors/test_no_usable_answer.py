"""Calls that get no usable answer, for every connector: nothing listens at the vendor's address
(connection refused), or something in between (a captive portal, a proxy's maintenance page)
answers 200 with an HTML page instead of the vendor's JSON. Both are transient: the vendor may
well be fine a minute later, and nothing says the call was refused."""
import dataclasses
import functools
import http.server
import socket
import threading

import pytest

from syncapp import conf
from syncapp.connectors.billing.nue import NueConnector
from syncapp.connectors.billing.zuora import ZuoraConnector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.exceptions import TransientError

PAGE = b"<html><head><title>Maintenance</title></head><body><p>Back soon.</p></body></html>"


@pytest.fixture
def closed_url():
    """The address of a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def portal_url():
    """A server that answers every request with 200 and an HTML page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def salesforce_at(url, records, *, oauth=False, session_id=None):
    config = dataclasses.replace(conf.salesforce(), instance_url=url, sandbox=True,
                                 username="hub@sandbox.example", password="sandbox",
                                 consumer_key="sandbox" if oauth else "",
                                 consumer_secret="sandbox" if oauth else "")
    return SalesforceConnector(config, recorder=records.append, session_id=session_id)


def zuora_at(url, records):
    return ZuoraConnector(url, "sandbox", "sandbox", recorder=records.append)


def nue_at(url, records):
    return NueConnector(url, "sandbox", recorder=records.append)


# id -> (vendor, connector at a base URL, a first call); each first call has to log in or fetch
# a token where the vendor has one, so the login answer meets the failure too.
CALLS = {
    "salesforce-soap": ("salesforce", salesforce_at, lambda sf: sf.limits()),
    "salesforce-oauth": ("salesforce", functools.partial(salesforce_at, oauth=True),
                         lambda sf: sf.limits()),
    "zuora": ("zuora", zuora_at, lambda billing: billing.catalog()),
    "nue": ("nue", nue_at, lambda billing: billing.catalog()),
}


@pytest.mark.parametrize("vendor", CALLS)
def test_connection_refused_is_a_transient_connection_error(closed_url, vendor, db):  # db: the shared cache
    records = []
    name, build, call = CALLS[vendor]
    with pytest.raises(TransientError) as caught:
        call(build(closed_url, records))
    assert (caught.value.code, caught.value.vendor) == ("connection_error", name)
    assert records[-1].status is None and records[-1].error_code == "connection_error"


@pytest.mark.parametrize("vendor", CALLS)
def test_an_html_page_instead_of_json_is_a_transient_invalid_response(portal_url, vendor, db):
    records = []
    name, build, call = CALLS[vendor]
    with pytest.raises(TransientError) as caught:
        call(build(portal_url, records))
    assert (caught.value.code, caught.value.status, caught.value.vendor) == (
        "invalid_response", 200, name)
    assert records[-1].error_code == "invalid_response" and not records[-1].ok


def test_salesforce_session_call_answered_by_a_page_is_invalid_response(portal_url):
    """With a session id there is no login: the data call itself meets the page."""
    records = []
    sf = salesforce_at(portal_url, records, session_id="00D000000000001!session")
    with pytest.raises(TransientError) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.code == "invalid_response"
    assert [r.operation for r in records] == ["query"]
