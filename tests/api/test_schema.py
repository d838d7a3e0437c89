"""The OpenAPI schema (/api/v1/schema/) and Swagger UI (/api/v1/docs/): the schema is valid
and describes every documented endpoint, the docs page loads its JS and CSS from the hub itself,
and schemathesis, fuzzing every operation against the live hub and sandbox, finds no server error
and no response that the schema does not describe."""
import json
import os
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver
from hypothesis import HealthCheck
from hypothesis import settings as hyp_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from standardwebhooks import Webhook

pytestmark = pytest.mark.django_db(transaction=True)

CONTRACT_OPERATIONS = {
    ("get", "/api/v1/health"): None,
    ("post", "/api/v1/checkout"): ["checkout"],
    ("post", "/api/v1/webhooks/{provider}"): None,
    ("post", "/api/v1/salesforce/orders/{sf_order_id}/sync"): ["salesforce"],
    ("post", "/api/v1/salesforce/orders/{sf_order_id}/activate"): ["salesforce"],
    ("get", "/api/v1/orders/{billing_order_id}"): ["read"],
}


def test_schema_generates_and_validates_without_warnings():
    # --fail-on-warn turns every generator warning (an unresolvable view, a type guessed) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)


def test_schema_describes_every_contract_operation_with_its_scope(hub_url):
    response = requests.get(f"{hub_url}/api/v1/schema/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema == generated_schema()  # what the fuzzing below is built from
    operations = {(method, path): op for path, item in schema["paths"].items() for method, op in item.items()}
    assert set(operations) == set(CONTRACT_OPERATIONS)
    for key, scopes in CONTRACT_OPERATIONS.items():
        security = operations[key].get("security")
        assert security == ([{"bearerToken": scopes}] if scopes else None), key
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"

    checkout = operations["post", "/api/v1/checkout"]
    assert {"201", "400", "401", "403", "409", "502"} <= set(checkout["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in checkout["parameters"])
    webhook = operations["post", "/api/v1/webhooks/{provider}"]
    assert {"200", "202", "400", "401", "413"} <= set(webhook["responses"])
    assert {p["name"] for p in webhook["parameters"]} == {"provider", "webhook-id", "webhook-timestamp",
                                                          "webhook-signature"}
    provider = next(p for p in webhook["parameters"] if p["name"] == "provider")
    assert sorted(provider["schema"]["enum"]) == ["nue", "zuora"]


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def docs_assets(page_url: str, html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return [urljoin(page_url, url) for url in parser.urls]


def test_docs_page_loads_swagger_ui_from_the_hub_itself(hub_url):
    page = requests.get(f"{hub_url}/api/v1/docs/", timeout=30)
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    hub = urlparse(hub_url).netloc
    # No external host anywhere in the page: not in a tag, not in the inline init script.
    assert {urlparse(url).netloc for url in re.findall(r"https?://[^\s\"'<>)]+", page.text)} <= {hub}
    assets = docs_assets(page.url, page.text)
    kinds = {urlparse(url).path.rsplit(".", 1)[-1] for url in assets}
    assert {"js", "css"} <= kinds, assets
    for url in assets:
        assert urlparse(url).netloc == hub, url
        asset = requests.get(url, timeout=30)
        assert asset.status_code == 200, url
        assert asset.content


def test_swagger_ui_assets_are_served_by_whitenoise_after_collectstatic(settings, tmp_path):
    """What `make run` and gunicorn do (runhub collects static files, WhiteNoise serves them), not the
    live test server's own static handler."""
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()  # a new client builds the middleware, so WhiteNoise indexes the new STATIC_ROOT
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    for url in docs_assets("http://testserver/api/v1/docs/", html):
        path = urlparse(url).path
        if path.startswith("/api/v1/docs/"):
            continue  # the init script, rendered by the docs view itself
        asset = client.get(path)
        assert asset.status_code == 200, path
        assert asset.has_header("Cache-Control"), path  # WhiteNoise's answer, not a view's


def test_paths_no_endpoint_matches_and_crashes_answer_the_contract_error_under_api(hub_url, rf):
    unknown = requests.post(f"{hub_url}/api/v1/webhooks/stripe", data=b"{}", timeout=30)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert requests.get(f"{hub_url}/api/v1/docs", allow_redirects=False, timeout=30).status_code == 301  # to docs/

    # The handler Django calls for an unhandled exception (hub.urls.handler500), called as Django does:
    # nothing of the hub's may be made to crash on purpose for this.
    handler = get_resolver().resolve_error_handler(500)
    crash = handler(rf.post("/api/v1/checkout"))
    assert crash.status_code == 500
    assert json.loads(crash.content)["error"]["code"] == "server_error"
    assert handler(rf.get("/admin/")).headers["Content-Type"].startswith("text/html")


# --- schemathesis ---------------------------------------------------------------------------------
def generated_schema() -> dict:
    """The schema the hub serves, generated in this process: the tests are built from it at collection,
    before any live server exists (schemathesis' fixture-based loader does not run on pytest 9)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


API = schemathesis.openapi.from_dict(generated_schema())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Health's 503 is its documented answer when no worker has been seen, and no worker cluster runs here;
# any other 5xx is still caught there, as an undocumented status.
HEALTH_CHECKS = [check for check in CHECKS if check is not not_a_server_error]


def test_signed_webhook_answers_conform_to_the_schema(hub_url, hub_settings):
    """What fuzzing cannot reach without the secret: each documented answer of the intake, signed."""
    operation = API["/api/v1/webhooks/{provider}"]["POST"]
    url = f"{hub_url}/api/v1/webhooks/zuora"

    def deliver(body: str, msg_id: str):
        now = datetime.now(UTC)
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())), "Content-Type": "application/json",
                   "webhook-signature": Webhook(hub_settings["zuora_webhook_secret"]).sign(msg_id, now, body)}
        return requests.post(url, data=body.encode(), headers=headers, timeout=30)

    event = json.dumps({"type": "order.created", "data": {"order_id": "O-1", "account_id": "A-1"}})
    answers = [deliver(event, "msg_1"), deliver(event, "msg_1"), deliver("[]", "msg_2"),
               deliver("x" * (1024 * 1024 + 1), "msg_3"), requests.post(url, data=event, timeout=30)]
    assert [answer.status_code for answer in answers] == [202, 200, 400, 413, 401]
    for answer in answers:
        operation.validate_response(answer)


@pytest.fixture
def every_scope(make_token):
    return make_token("checkout", "salesforce", "read", name="schemathesis")


@API.parametrize()
@hyp_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_schema(case, hub_url, every_scope):
    """With a token holding every scope; unsigned webhook deliveries are answered 401, as documented."""
    checks = HEALTH_CHECKS if case.operation.path == "/api/v1/health" else CHECKS
    case.call_and_validate(base_url=hub_url, headers={"Authorization": f"Bearer {every_scope}"}, checks=checks,
                           timeout=60)
