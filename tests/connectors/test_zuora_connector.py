"""What is particular to `ZuoraConnector`, against the live emulator: the OAuth token cache and
its renewal, Zuora's HTTP-200 failures and error categories, idempotency keys, and the call log.
The vendor-neutral contract is in test_billing_conformance.py."""
import time
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from sandbox.zuora.models import IdempotencyRecord, RatePlan
from syncapp.connectors import shared
from syncapp.connectors.billing import billing_connector, zuora
from syncapp.connectors.billing.zuora import ZuoraConnector
from syncapp.domain.records import OrderLine
from syncapp.exceptions import NotFoundError, PermanentError, TransientError
from tests.connectors.harness import ZuoraHarness
from tests.connectors.test_billing_conformance import a_customer, a_draft

TOKEN = "POST /oauth/token"


@pytest.fixture
def harness(hub_url):
    return ZuoraHarness(hub_url)


@pytest.fixture
def records():
    return []


@pytest.fixture
def connector(harness, records):
    return ZuoraConnector.from_settings(recorder=records.append)


def test_built_from_settings_by_provider_name(hub_url, hub_settings):
    assert isinstance(billing_connector(provider="zuora"), ZuoraConnector)
    hub_settings["zuora_client_secret"] = ""
    with pytest.raises(ImproperlyConfigured):
        ZuoraConnector.from_settings()


def test_token_is_cached_across_calls_and_connectors(connector, harness):
    connector.catalog()
    connector.find_account_by_email("ana@acme.io")
    ZuoraConnector.from_settings().find_account_by_crm_id("001000000000001AAA")

    assert harness.calls(TOKEN) == 1


def test_rejected_token_is_renewed_once(connector, harness):
    connector.catalog()
    harness.expire_credentials()

    assert connector.find_account_by_crm_id("001000000000001AAA") is None
    assert harness.calls(TOKEN) == 2
    assert harness.calls("GET /object-query/accounts") == 2  # the 401, then the retry


def test_a_token_about_to_expire_is_renewed_before_use(connector, harness):
    harness.control(token_lifetime=1)
    connector.catalog()
    time.sleep(1.0)

    connector.find_account_by_crm_id("001000000000001AAA")
    assert harness.calls(TOKEN) == 2
    assert harness.calls("GET /object-query/accounts") == 1  # no 401 on the way


def test_a_token_refused_twice_is_transient(connector, harness):
    connector.catalog()
    harness.fail_next("401", "401")
    with pytest.raises(TransientError) as failed:
        connector.find_account_by_crm_id("001000000000001AAA")
    assert failed.value.code == "unauthorized"
    assert harness.calls(TOKEN) == 2


def test_wrong_client_credentials_are_permanent(hub_url):
    bad = ZuoraConnector(f"{hub_url}/sandbox/zuora", "sandbox", "wrong")
    with pytest.raises(PermanentError) as refused:
        bad.catalog()
    assert refused.value.code == "auth_failed" and refused.value.status == 401


def test_http_200_with_success_false_is_a_failure_with_zuoras_reasons(connector, harness):
    bad_line = OrderLine("PRO-MONTHLY", D(0), D("49.00"), D("49.00"))
    with pytest.raises(PermanentError) as refused:
        connector.create_order(a_draft(harness, lines=(bad_line,)), idempotency_key="k-bad")

    assert refused.value.status == 200 and refused.value.code == "invalid_value"
    assert refused.value.details["reasons"][0]["code"] == 53120020
    assert refused.value.details["process_id"]


def test_unknown_account_key_is_not_found_even_with_http_200(connector, records):
    with pytest.raises(NotFoundError) as missing:
        connector.get_account("A09999999")
    assert missing.value.status == 200 and records[-1].error_code == "NOT_FOUND"


@pytest.mark.parametrize("failure, error, code", [
    ("500", TransientError, "server_error"),
    ("503", TransientError, "server_error"),
    ("429", TransientError, "rate_limited"),
    ("lock", TransientError, "zuora_retryable"),  # HTTP 200, category 50: locking contention
])
def test_error_categories(connector, harness, failure, error, code):
    connector.catalog()
    harness.fail_next(failure)
    with pytest.raises(error) as failed:
        connector.get_account("A00000001")
    assert failed.value.code == code
    if failure == "429":
        assert failed.value.retry_after == 1.0


def test_existing_account_orders_do_not_create_accounts(connector, harness):
    account = connector.create_account(a_customer(), idempotency_key="k-acc")
    connector.create_order(a_draft(harness, account_id=account.account_id), idempotency_key="k-o")
    assert harness.control()["accounts"] == 1


def test_creates_send_the_callers_idempotency_key(connector, harness, records):
    order = a_draft(harness)
    first = connector.create_order(order, idempotency_key="caller-key-1")
    again = connector.create_order(order, idempotency_key="caller-key-1")

    posts = [r for r in records if r.method == "POST" and r.operation == "create_order"]
    assert [r.extra["idempotency_key"] for r in posts] == ["caller-key-1", "caller-key-1"]
    assert again.order_id == first.order_id and harness.control()["orders"] == 1


def test_a_key_reused_for_a_different_order_is_an_idempotency_conflict(connector, harness):
    connector.create_order(a_draft(harness), idempotency_key="k-reused")
    other = a_draft(harness, lines=(OrderLine("TEAM-ANNUAL", D(1), D("990.00"), D("990.00")),))
    with pytest.raises(PermanentError) as refused:
        connector.create_order(other, idempotency_key="k-reused")
    assert (refused.value.code, refused.value.status) == ("idempotency_conflict", 422)
    assert harness.control()["orders"] == 1


def test_a_key_still_in_progress_is_transient(connector, harness, transactional_db):
    order = a_draft(harness)
    connector.create_order(order, idempotency_key="k-busy")
    # As if Zuora were still working on the first request when its retry arrives.
    IdempotencyRecord.objects.filter(key="k-busy").update(done=False)
    with pytest.raises(TransientError) as busy:
        connector.create_order(order, idempotency_key="k-busy")
    assert (busy.value.code, busy.value.status) == ("idempotency_in_progress", 409)
    assert harness.control()["orders"] == 1


def test_a_rate_plan_changed_since_the_catalog_was_cached_is_read_again(
        connector, harness, records, transactional_db):
    connector.catalog()  # cached: the connector checks SKUs against it before calling Zuora
    RatePlan.objects.filter(sku="ADDON-SEATS").update(rate_plan_id="8a8aa0f1" + "0" * 24)

    created = connector.create_order(a_draft(harness), idempotency_key="k-stale")
    assert [line.sku for line in created.lines] == ["PRO-MONTHLY", "ADDON-SEATS"]
    assert [r.error_code for r in records if r.operation == "create_order"] == ["unknown_sku", ""]
    assert harness.calls("GET /v1/catalog/products") == 2


def test_an_order_naming_a_rate_plan_the_cached_catalog_lacks_reads_the_catalog_again(
        connector, harness, records, transactional_db):
    created = connector.create_order(a_draft(harness), idempotency_key="k-new-plan")
    # Another worker cached the catalog before ADDON-SEATS was added to it.
    key = zuora.client.cache_key("catalog", connector.base_url)
    cache.set(key, {sku: plan for sku, plan in cache.get(key).items() if sku != "ADDON-SEATS"})
    shared.forget(key)  # this process read it from the cache as another process would

    read = ZuoraConnector.from_settings(recorder=records.append).get_order(created.order_id)
    assert [line.sku for line in read.lines] == ["PRO-MONTHLY", "ADDON-SEATS"]
    assert "ADDON-SEATS" in cache.get(key)


def test_a_rate_plan_gone_from_zuora_is_unknown_sku(connector, harness, records,
                                                     transactional_db):
    connector.catalog()
    RatePlan.objects.filter(sku="ADDON-SEATS").delete()
    with pytest.raises(PermanentError) as refused:
        connector.create_order(a_draft(harness), idempotency_key="k-gone")
    assert refused.value.code == "unknown_sku"
    assert harness.control()["orders"] == 0


def test_unknown_sku_is_refused_before_calling_zuora(connector, harness, records):
    order = a_draft(harness, lines=(OrderLine("GOLD-BARS", D(1), D(1), D(1)),))
    with pytest.raises(PermanentError) as refused:
        connector.create_order(order, idempotency_key="k-sku")
    assert refused.value.code == "unknown_sku"
    assert not [r for r in records if r.operation == "create_order"]


def test_the_access_token_never_reaches_the_call_log(connector, records):
    connector.find_account_by_email("ana@acme.io")
    token = connector._access_token()

    oauth = next(r for r in records if r.operation == "oauth_token")
    assert '"access_token": "[redacted]"' in oauth.response_excerpt
    assert '"client_secret": "[redacted]"' in oauth.request_excerpt
    assert all(token not in r.request_excerpt + r.response_excerpt + r.url for r in records)
