"""The console's front page: what is wrong right now, at a glance. `build()` is the one place its
figures and charts come from; the admin's index passes them to its template, which only renders.

Six aggregated queries, whatever the number of jobs, most answered from an index alone: with 100,000
jobs the figures take well under 100 ms on SQLite. A `SyncJob` row holds its latest run, so "syncs"
here are jobs by the outcome of their latest run, counted in the hour it finished. Two charts read
from the same hourly counts: the last 24 hours by hour and the last 14 days by day, each bar
labelled with its count and linking to the jobs it counts; "the last 24 h" is the first chart.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Expression, Max, Q
from django.db.models.functions import TruncHour
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse
from django.utils import timezone

from syncapp.models import OrderLink, ReconcileReport, SyncAttempt, SyncJob, SyncSettings, WebhookEvent
from syncapp.models.failed_syncs import FAILED_STATUSES
from syncapp.models.webhooks import AWAITING_JOB

Status = SyncJob.Status
# The chart's series, bottom up (plain strings: they key the counts read from the database).
OUTCOMES = tuple(s.value for s in (Status.SUCCEEDED, Status.FAILED, Status.DEAD, Status.RESOLVED))
CHART_DAYS = 14
API_WARNING = 0.8  # share of the daily allocation past which the usage shows as a warning


@dataclass
class FailingCode:
    code: str
    failed: int = 0
    dead: int = 0
    latest: datetime | None = None

    @property
    def total(self) -> int:
        return self.failed + self.dead


@dataclass
class Dashboard:
    last_24h: dict[str, int]
    in_flight: dict[str, int]
    awaiting_dispatch: int  # order events stored whose job the dispatcher has not queued yet
    failing: list[FailingCode]
    rejected_webhooks: dict
    abandoned_carts: dict
    api_usage: dict | None
    chart: Chart  # the last 24 hours, by hour
    daily: Chart  # the last 14 days, by day
    last_reconcile: ReconcileReport | None = None

    @property
    def last_24h_url(self) -> str:
        """The jobs the "last 24 h" figures count."""
        return _jobs_between(self.chart.start, self.chart.start + len(self.chart.buckets) * self.chart.step)

    @property
    def dead(self) -> int:
        return sum(f.dead for f in self.failing)

    @property
    def failing_total(self) -> int:
        return sum(f.total for f in self.failing)

    @property
    def retention(self) -> SyncSettings:
        """How long the retention sweep keeps records; read only when the page shows it."""
        return SyncSettings.load()


def build(now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    day_ago = now - timedelta(hours=24)
    chart, daily = _charts(now)
    return Dashboard(
        last_24h=chart.totals,
        in_flight=_count_by_status(SyncJob.objects.filter(status__in=SyncJob.ACTIVE)),
        awaiting_dispatch=WebhookEvent.objects.filter(AWAITING_JOB).count(),
        failing=_failing_now(),
        rejected_webhooks=WebhookEvent.objects.filter(status=WebhookEvent.Status.REJECTED).aggregate(
            total=Count("id"), last_24h=Count("id", filter=Q(received_at__gte=day_ago)), latest=Max("received_at")),
        abandoned_carts=OrderLink.objects.exclude(abandonment_task_id="").aggregate(
            total=Count("id"), still_draft=Count("id", filter=Q(status="Draft"))),
        api_usage=_api_usage(),
        chart=chart,
        daily=daily,
        last_reconcile=ReconcileReport.objects.exclude(outcome=ReconcileReport.Outcome.RUNNING).defer("findings").first(),
    )


def _count_by_status(jobs) -> dict[str, int]:
    return dict(jobs.order_by().values_list("status").annotate(n=Count("id")))


def _failing_now() -> list[FailingCode]:
    """Failed and dead jobs grouped by error code, the most frequent first."""
    rows = (SyncJob.objects.filter(status__in=FAILED_STATUSES).order_by()
            .values("last_error_code", "status").annotate(n=Count("id"), latest=Max("finished_at")))
    codes: dict[str, FailingCode] = {}
    for row in rows:
        entry = codes.setdefault(row["last_error_code"], FailingCode(row["last_error_code"]))
        setattr(entry, row["status"], row["n"])
        entry.latest = max(filter(None, (entry.latest, row["latest"])), default=None)
    return sorted(codes.values(), key=lambda c: (-c.total, c.code))


def _api_usage() -> dict | None:
    """Salesforce's daily API usage as the last call that reported it saw it."""
    seen = (SyncAttempt.objects.filter(api_limit__isnull=False).order_by("-created_at", "-id")
            .values("api_used", "api_limit", "created_at").first())
    if not seen or not seen["api_limit"]:
        return None
    share = (seen["api_used"] or 0) / seen["api_limit"]
    return {**seen, "percent": round(100 * share, 2 if share < 0.01 else 1), "warning": share >= API_WARNING}


# --- the charts: syncs by outcome, per hour and per day, as server-rendered SVG -----------------

@dataclass
class Chart:
    """Stacked bars of jobs by outcome, one per bucket (an hour or a day), each with its count
    printed above it (a zero in a neutral colour) and a link to the jobs it counts."""
    name: str
    start: datetime
    step: timedelta
    buckets: list[dict[str, int]]  # per bucket: outcome → count
    width: int = 900
    height: int = 200
    left: int = 36
    bottom: int = 34
    top: int = 18
    bars: list = field(default_factory=list)
    grid: list = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {o: sum(b.get(o, 0) for b in self.buckets) for o in OUTCOMES}


class UtcHour(TruncHour):
    """The UTC hour of a timestamp. On SQLite, Django truncates dates through a Python function
    called once per row; SQLite's own strftime does it in C, several times faster over a week of
    jobs. (Django keeps SQLite datetimes as UTC text, so the result is the same.)"""

    def __init__(self, expression: str | Expression):
        super().__init__(expression, tzinfo=dt.UTC)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,
                  **extra_context: Any) -> tuple[str, list | tuple]:
        sql, params = compiler.compile(self.lhs)
        return f"strftime('%%Y-%%m-%%d %%H:00:00', {sql})", params


def _charts(now: datetime) -> tuple[Chart, Chart]:
    """One query for 14 days of hourly counts, folded into both charts."""
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    today = this_hour.replace(hour=0)
    hourly = Chart("hour", this_hour - timedelta(hours=23), timedelta(hours=1), [{} for _ in range(24)])
    daily = Chart("day", today - timedelta(days=CHART_DAYS - 1), timedelta(days=1), [{} for _ in range(CHART_DAYS)])
    # No status filter: the (finished_at, status) index alone answers this; a job queued again
    # since it finished still has its old finished_at, and is left out below.
    rows = (SyncJob.objects.filter(finished_at__gte=daily.start).order_by()
            .annotate(hour=UtcHour("finished_at")).values_list("hour", "status").annotate(n=Count("id")))
    for hour, status, n in rows:
        if status not in OUTCOMES:
            continue
        for chart in (hourly, daily):
            index = int((hour - chart.start) // chart.step)
            if 0 <= index < len(chart.buckets):
                chart.buckets[index][status] = chart.buckets[index].get(status, 0) + n
    return _lay_out(hourly), _lay_out(daily)


def _lay_out(chart: Chart) -> Chart:
    plot_w, plot_h = chart.width - chart.left - 6, chart.height - chart.top - chart.bottom
    step = plot_w / len(chart.buckets)
    top = _nice_ceiling(max((sum(b.values()) for b in chart.buckets), default=0))
    scale = plot_h / top
    base = chart.top + plot_h
    every = 3 if chart.name == "hour" else 1  # a label every 3 hours, every day
    for i, bucket in enumerate(chart.buckets):
        y: float = base
        segments = []
        for outcome in OUTCOMES:
            n = bucket.get(outcome, 0)
            if n:
                h = n * scale
                y -= h
                segments.append({"outcome": outcome, "y": round(y, 1), "height": round(h, 1), "n": n})
        when = chart.start + i * chart.step
        total = sum(bucket.values())
        label = f"{when:%H:00}" if chart.name == "hour" else f"{when:%a %d}"
        title = f"{when:%a %d %b}{f' {when:%H:00}' if chart.name == 'hour' else ''} UTC — " + (
            ", ".join(f"{s['n']} {s['outcome']}" for s in segments) or "none")
        x = chart.left + i * step
        chart.bars.append({
            "x": round(x, 1), "width": round(max(step - 2, 1), 1), "middle": round(x + step / 2, 1),
            "segments": segments, "title": title, "total": total, "total_y": round(y - 4, 1),
            "label": label if i % every == 0 else "", "href": _jobs_between(when, when + chart.step)})
    chart.grid = [{"y": round(base - plot_h * f, 1), "label": int(top * f) if top * f == int(top * f) else top * f}
                  for f in (0, 0.5, 1)]
    return chart


def _jobs_between(start: datetime, end: datetime) -> str:
    """The sync jobs list, showing the jobs that finished in [start, end)."""
    return f"{reverse('admin:syncapp_syncjob_changelist')}?" + urlencode(
        {"finished_at__gte": start.isoformat(), "finished_at__lt": end.isoformat()})


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 2), so gridlines get round labels."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= max(value, 2):
                return m * magnitude
        magnitude *= 10
