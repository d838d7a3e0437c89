"""/metrics scraped from the live hub after an order went through the whole pipeline (the billing
emulator's signed webhook, intake, a real worker cluster, Salesforce), read with prometheus_client's
own text parser."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from syncapp.connectors.billing import billing_connector
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.jobs import allocation
from syncapp.models import OrderLink, SyncJob, WebhookEvent
from tests.e2e.conftest import wait_until, worker_cluster  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)
B2S = SyncJob.Kind.BILLING_TO_SALESFORCE


def scrape(hub_url, token) -> dict:
    response = requests.get(f"{hub_url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families, sample_name, **labels) -> float:
    family = sample_name.removesuffix("_total").removesuffix("_count").removesuffix("_sum")
    family = family.removesuffix("_bucket")
    # A family no process has observed yet (a fresh metrics directory) is not in the text at all.
    samples = families[family].samples if family in families else []
    found = [s.value for s in samples if s.name == sample_name and s.labels == labels]
    return found[0] if found else 0.0


def draft_order() -> DraftOrder:
    email = f"metrics-{uuid.uuid4().hex[:8]}@acme.io"
    return DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku="PRO-MONTHLY", quantity=Decimal(2), list_price=Decimal("49.00"),
                         net_price=Decimal("49.00")),),
        terms=BillingTerms(billing_period="Month", payment_term="Net 30", bill_cycle_day=1),
        customer=Customer(name="Acme Inc", email=email, currency="USD",
                          bill_to=Contact(email=email, first_name="Ana", last_name="Diaz")))


def webhooks_pending(hub_url) -> int:
    return requests.get(f"{hub_url}/sandbox/webhooks/_control", timeout=10).json()["counts"]["pending"]


def test_metrics_after_a_synced_order(worker_cluster, hub_url, make_token):  # noqa: F811
    token = make_token("read")
    before = scrape(hub_url, token)
    first_event = (WebhookEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    created = billing_connector().create_order(draft_order(), idempotency_key=str(uuid.uuid4()))
    wait_until(lambda: OrderLink.objects.filter(billing_order_id=created.order_id,
                                                salesforce_order_id__gt="").exists(), message="the sync")
    job = wait_until(lambda: SyncJob.objects.filter(subject=created.order_id).exclude(
        status__in=SyncJob.ACTIVE).first(), message="the job to settle")
    forged = requests.post(f"{hub_url}/api/v1/webhooks/zuora", json={"type": "order.created", "data": {}},
                           headers={"webhook-id": "msg_forged", "webhook-timestamp": "1",
                                    "webhook-signature": "v1,Zm9yZ2Vk"}, timeout=10)
    assert forged.status_code == 401
    wait_until(lambda: webhooks_pending(hub_url) == 0, message="the emulator's deliveries")

    usage_before = allocation.usage()
    after = scrape(hub_url, token)
    usage_after = allocation.usage()

    # Jobs by kind and status: the database's counts, every pair present.
    assert job.status == SyncJob.Status.SUCCEEDED
    for kind in SyncJob.Kind.values:
        for status in SyncJob.Status.values:
            expected = SyncJob.objects.filter(kind=kind, status=status).count()
            assert value(after, "hub_sync_jobs", kind=kind, status=status) == expected, (kind, status)
    assert value(after, "hub_sync_jobs", kind=B2S, status="succeeded") >= 1

    # Sync latency, observed in the worker process: the order's run is in the histogram.
    labels = {"kind": B2S, "status": "succeeded"}
    runs = value(after, "hub_sync_latency_seconds_count", **labels) - value(
        before, "hub_sync_latency_seconds_count", **labels)
    assert runs >= 1
    assert value(after, "hub_sync_latency_seconds_bucket", le="+Inf", **labels) == value(
        after, "hub_sync_latency_seconds_count", **labels)
    assert value(after, "hub_sync_latency_seconds_sum", **labels) > value(
        before, "hub_sync_latency_seconds_sum", **labels)

    # Webhook outcomes: one 202 per event stored as accepted or ignored, and the forged one's 401.
    stored = WebhookEvent.objects.filter(provider="zuora", id__gte=first_event).exclude(
        status=WebhookEvent.Status.REJECTED).count()
    assert stored >= 1

    def delta(status):
        name = "hub_webhook_deliveries_total"
        return value(after, name, provider="zuora", status=status) - value(before, name, provider="zuora",
                                                                          status=status)

    assert delta("202") == stored
    assert delta("401") == 1

    # Salesforce API usage: as the worker last recorded it.
    assert usage_after is not None
    used = value(after, "hub_salesforce_api_requests_used")
    limit = value(after, "hub_salesforce_api_requests_limit")
    assert (used, limit) in {(usage_before.used, usage_before.limit), (usage_after.used, usage_after.limit)}
    assert value(after, "hub_salesforce_paused") == 0

    # django-prometheus's own families come along.
    assert value(after, "django_http_requests_total_by_method_total", method="GET") > 0


def test_metrics_need_a_read_token(hub_url, make_token):
    url = f"{hub_url}/metrics"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer osh_not-a-token"}, timeout=10).status_code == 401
    checkout = make_token("checkout")
    response = requests.get(url, headers={"Authorization": f"Bearer {checkout}"}, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
