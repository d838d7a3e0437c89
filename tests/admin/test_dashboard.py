"""The front page: the figures staff read at a glance, and few aggregated queries however many jobs."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syncapp.console import dashboard
from syncapp.models import SyncJob, WebhookEvent
from tests.factories import OrderLinkFactory, SyncAttemptFactory, SyncJobFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db
HOUR = 60


@pytest.fixture
def day(roles):
    SyncJobFactory(status="succeeded", subject="O-1", minutes_ago=0)  # in the current hour, whatever the time
    SyncJobFactory(status="succeeded", subject="O-2", minutes_ago=2 * HOUR + 10)
    SyncJobFactory(status="failed", subject="O-3", last_error_code="unmapped_sku", minutes_ago=3 * HOUR)
    SyncJobFactory(status="failed", subject="O-4", last_error_code="unmapped_sku", minutes_ago=3 * 24 * HOUR)
    SyncJobFactory(status="dead", subject="O-5", last_error_code="SERVER_UNAVAILABLE", minutes_ago=30 * HOUR)
    SyncJobFactory(status="resolved", subject="O-6", last_error_code="unmapped_sku", minutes_ago=5 * HOUR)
    SyncJobFactory(status="succeeded", subject="O-7", minutes_ago=8 * 24 * HOUR)  # older than the chart
    SyncJobFactory(status="pending", subject="O-8")
    SyncJobFactory(status="running", subject="O-9")
    for hours_ago in (1, 40):
        event = WebhookEventFactory(verified=False)
        WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(hours=hours_ago))
    WebhookEventFactory()
    for n, status in enumerate(["Draft", "Activated"]):
        OrderLinkFactory(status=status, abandonment_task_id=f"00THb00000000{n}AAAA")
    OrderLinkFactory()
    for used in (50, 120):
        SyncAttemptFactory(api_used=used, api_limit=1000)
    SyncAttemptFactory(vendor="zuora", operation="get_order")


def test_the_figures(day):
    board = dashboard.build()
    assert board.last_24h == {"succeeded": 2, "failed": 1, "dead": 0, "resolved": 1}
    assert board.in_flight == {"pending": 1, "running": 1}
    assert board.awaiting_dispatch == 1  # the accepted delivery whose job the dispatcher has yet to queue
    assert [(f.code, f.failed, f.dead) for f in board.failing] == [("unmapped_sku", 2, 0),
                                                                     ("SERVER_UNAVAILABLE", 0, 1)]
    assert (board.failing_total, board.dead) == (3, 1)
    assert (board.rejected_webhooks["total"], board.rejected_webhooks["last_24h"]) == (2, 1)
    assert board.abandoned_carts == {"total": 2, "still_draft": 1}
    assert (board.api_usage["api_used"], board.api_usage["api_limit"], board.api_usage["percent"]) == (120, 1000, 12.0)


def test_the_charts_count_the_last_24_hours_by_hour_and_14_days_by_day(day):
    board = dashboard.build()
    hourly, daily = board.chart, board.daily
    assert (len(hourly.bars), len(daily.bars)) == (24, 14)
    assert hourly.totals == {"succeeded": 2, "failed": 1, "dead": 0, "resolved": 1}
    assert daily.totals == {"succeeded": 3, "failed": 2, "dead": 1, "resolved": 1}
    latest = hourly.bars[-1]
    assert [(s["outcome"], s["n"]) for s in latest["segments"]] == [("succeeded", 1)] and latest["total"] == 1
    assert sum(bar["total"] for bar in daily.bars) == 7
    for chart in (hourly, daily):
        labels = [bar for bar in chart.bars if bar["label"]]
        assert labels and all(0 < bar["middle"] < chart.width for bar in labels)  # none clipped
        assert all(bar["total_y"] > 0 for bar in chart.bars)  # every count is printed inside the picture


def test_the_page_prints_every_count_and_links_each_bar_to_its_jobs(day, staff):
    viewer = staff("Viewer")
    page = viewer.get(reverse("admin:index")).content.decode()
    board = dashboard.build()
    empty = sum(not bar["total"] for chart in (board.chart, board.daily) for bar in chart.bars)
    assert 0 < empty == page.count('class="value zero"')  # every zero printed, in a neutral colour
    assert "12.0%" in page and "120 of 1000 calls" in page
    assert "?last_error_code=unmapped_sku" in page
    assert "1 queued, 1 running," in page and "1</b> webhook waiting for the worker cluster" in page
    bar = board.chart.bars[-1]
    assert f'href="{bar["href"]}"'.replace("&", "&amp;") in page
    listed = viewer.get(bar["href"]).context["cl"].result_list
    assert [job.subject for job in listed] == ["O-1"]  # the job that finished in that hour


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
    assert queries() == few <= 8
