"""The front page: the figures staff read at a glance, and few aggregated queries however many jobs."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syncapp.admin import dashboard
from syncapp.models import OrderLink, SyncAttempt, SyncJob, WebhookEvent
from tests.admin.conftest import make_job

pytestmark = pytest.mark.django_db
HOUR = 60


@pytest.fixture
def day(roles):
    make_job("succeeded", "O-1", minutes_ago=0)  # in the current hour, whatever the time of day
    make_job("succeeded", "O-2", minutes_ago=2 * HOUR + 10)
    make_job("failed", "O-3", "unmapped_sku", minutes_ago=3 * HOUR)
    make_job("failed", "O-4", "unmapped_sku", minutes_ago=3 * 24 * HOUR)
    make_job("dead", "O-5", "SERVER_UNAVAILABLE", minutes_ago=30 * HOUR)
    make_job("resolved", "O-6", "unmapped_sku", minutes_ago=5 * HOUR)
    make_job("succeeded", "O-7", minutes_ago=8 * 24 * HOUR)  # older than the chart
    make_job("pending", "O-8")
    make_job("running", "O-9")
    for hours_ago in (1, 40):
        event = WebhookEvent.objects.create(provider="zuora", verified=False, status="rejected")
        WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(hours=hours_ago))
    WebhookEvent.objects.create(provider="zuora", event_id="e", verified=True, status="accepted")
    for n, status in enumerate(["Draft", "Activated"]):
        OrderLink.objects.create(billing_provider="zuora", billing_order_id=f"O-C{n}", origin="billing", status=status,
                                 abandonment_task_id=f"00THb00000000{n}AAAA")
    OrderLink.objects.create(billing_provider="zuora", billing_order_id="O-X", origin="billing", status="Draft")
    for used in (50, 120):
        SyncAttempt.objects.create(vendor="salesforce", operation="query", method="GET", url="u", api_used=used,
                                   api_limit=1000)
    SyncAttempt.objects.create(vendor="zuora", operation="get_order", method="GET", url="u")


def test_the_figures(day):
    board = dashboard.build()
    assert board.last_24h == {"succeeded": 2, "failed": 1, "dead": 0, "resolved": 1}
    assert board.in_flight == {"pending": 1, "running": 1}
    assert [(f.code, f.failed, f.dead) for f in board.failing] == [("unmapped_sku", 2, 0),
                                                                     ("SERVER_UNAVAILABLE", 0, 1)]
    assert (board.failing_total, board.dead) == (3, 1)
    assert (board.rejected_webhooks["total"], board.rejected_webhooks["last_24h"]) == (2, 1)
    assert board.abandoned_carts == {"total": 2, "still_draft": 1}
    assert (board.api_usage["api_used"], board.api_usage["api_limit"], board.api_usage["percent"]) == (120, 1000, 12.0)


def test_the_chart_counts_each_hour_by_outcome(day):
    chart = dashboard.build().chart
    assert len(chart.bars) == 7 * 24
    assert chart.totals == {"succeeded": 2, "failed": 2, "dead": 1, "resolved": 1}
    latest = chart.bars[-1]
    assert [(s["outcome"], s["n"]) for s in latest["segments"]] == [("succeeded", 1)]
    assert len(chart.days) in (6, 7)  # a label at each midnight in the window
    tallest = max(b["segments"][-1]["y"] for b in chart.bars if b["segments"])
    assert tallest <= chart.height - chart.bottom


def test_the_page_shows_them_to_a_viewer(day, staff):
    page = staff("Viewer").get(reverse("admin:index")).content.decode()
    assert page.count('class="succeeded"') + page.count('class="failed"') + page.count('class="dead"') \
        + page.count('class="resolved"') == 6  # one rect per hour and outcome with syncs
    assert "12.0%" in page and "120 of 1000 calls" in page
    assert "?last_error_code=unmapped_sku" in page


def test_it_takes_the_same_few_queries_with_many_jobs(roles):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            dashboard.build()
        return len(captured)

    few = queries()
    now = timezone.now()
    SyncJob.objects.bulk_create(
        SyncJob(kind="billing_to_salesforce", provider="zuora", subject=f"O-{n}", status=("succeeded", "failed")[n % 2],
                last_error_code="x" * (n % 2), finished_at=now - timedelta(minutes=n)) for n in range(3000))
    assert queries() == few <= 7
