"""The console's front page: what is wrong right now, at a glance.

Six aggregated queries, whatever the number of jobs, most answered from an index alone: with 100,000
jobs the figures take well under 100 ms on SQLite. A `SyncJob` row holds its latest run, so "syncs"
here are jobs by the outcome of their latest run, counted in the hour it finished; "the last 24 h"
is the chart's last 24 hourly bars.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from syncapp.models import OrderLink, ReconcileReport, SyncAttempt, SyncJob, SyncSettings, WebhookEvent
from syncapp.models.failed_syncs import FAILED_STATUSES

Status = SyncJob.Status
# The chart's series, bottom up (plain strings: they key the counts read from the database).
OUTCOMES = tuple(s.value for s in (Status.SUCCEEDED, Status.FAILED, Status.DEAD, Status.RESOLVED))
CHART_HOURS = 7 * 24
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
    failing: list[FailingCode]
    rejected_webhooks: dict
    abandoned_carts: dict
    api_usage: dict | None
    chart: Chart
    last_reconcile: ReconcileReport | None = None

    @property
    def dead(self) -> int:
        return sum(f.dead for f in self.failing)

    @property
    def failing_total(self) -> int:
        return sum(f.total for f in self.failing)

    @property
    def retention(self) -> SyncSettings:
        """How long the retention sweep keeps records; read only when the page shows it."""
        return SyncSettings.objects.first() or SyncSettings()


def build(now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    day_ago = now - timedelta(hours=24)
    chart = _chart(now)
    return Dashboard(
        last_24h=chart.last_hours(24),
        in_flight=_count_by_status(SyncJob.objects.filter(status__in=SyncJob.ACTIVE)),
        failing=_failing_now(),
        rejected_webhooks=WebhookEvent.objects.filter(status=WebhookEvent.Status.REJECTED).aggregate(
            total=Count("id"), last_24h=Count("id", filter=Q(received_at__gte=day_ago)), latest=Max("received_at")),
        abandoned_carts=OrderLink.objects.exclude(abandonment_task_id="").aggregate(
            total=Count("id"), still_draft=Count("id", filter=Q(status="Draft"))),
        api_usage=_api_usage(),
        chart=chart,
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


# --- the chart: syncs per hour by outcome, the last 7 days, as server-rendered SVG ---------------

@dataclass
class Chart:
    start: datetime
    hours: list[dict[str, int]]  # per hour: outcome → count
    width: int = 900
    height: int = 220
    left: int = 44
    bottom: int = 26
    top: int = 12
    bars: list = field(default_factory=list)
    days: list = field(default_factory=list)
    grid: list = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return self.last_hours(len(self.hours))

    def last_hours(self, count: int) -> dict[str, int]:
        """Jobs by outcome over the last `count` hourly bars (the current hour included)."""
        return {o: sum(h.get(o, 0) for h in self.hours[-count:]) for o in OUTCOMES}


class UtcHour(TruncHour):
    """The UTC hour of a timestamp. On SQLite, Django truncates dates through a Python function
    called once per row; SQLite's own strftime does it in C, several times faster over a week of
    jobs. (Django keeps SQLite datetimes as UTC text, so the result is the same.)"""

    def __init__(self, expression):
        super().__init__(expression, tzinfo=dt.timezone.utc)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"strftime('%%Y-%%m-%%d %%H:00:00', {sql})", params


def _chart(now: datetime) -> Chart:
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=CHART_HOURS - 1)
    # No status filter: the (finished_at, status) index alone answers this; a job queued again
    # since it finished still has its old finished_at, and is left out below.
    rows = (SyncJob.objects.filter(finished_at__gte=start).order_by()
            .annotate(hour=UtcHour("finished_at")).values_list("hour", "status").annotate(n=Count("id")))
    hours = [{} for _ in range(CHART_HOURS)]
    for hour, status, n in rows:
        index = int((hour - start).total_seconds() // 3600)
        if 0 <= index < CHART_HOURS and status in OUTCOMES:
            hours[index][status] = hours[index].get(status, 0) + n
    return _lay_out(Chart(start=start, hours=hours))


def _lay_out(chart: Chart) -> Chart:
    """Stacked bars, one per hour; gridlines at 0, ½ and the top; a label at each midnight."""
    plot_w, plot_h = chart.width - chart.left - 6, chart.height - chart.top - chart.bottom
    step = plot_w / CHART_HOURS
    top = _nice_ceiling(max((sum(h.values()) for h in chart.hours), default=0))
    scale = plot_h / top
    base = chart.top + plot_h
    for i, hour in enumerate(chart.hours):
        y, segments = base, []
        for outcome in OUTCOMES:
            n = hour.get(outcome, 0)
            if n:
                h = n * scale
                y -= h
                segments.append({"outcome": outcome, "y": round(y, 1), "height": round(h, 1), "n": n})
        when = chart.start + timedelta(hours=i)
        title = f"{when:%a %d %b %H:00} UTC — " + (", ".join(f"{s['n']} {s['outcome']}" for s in segments) or "none")
        chart.bars.append({"x": round(chart.left + i * step, 1), "width": round(max(step - 1, 1), 1),
                           "segments": segments, "title": title})
        if when.hour == 0:
            chart.days.append({"x": round(chart.left + i * step, 1), "label": f"{when:%a %d}"})
    chart.grid = [{"y": round(base - plot_h * f, 1), "label": int(top * f) if top * f == int(top * f) else top * f}
                  for f in (0, 0.5, 1)]
    return chart


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 2), so gridlines get round labels."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= max(value, 2):
                return m * magnitude
        magnitude *= 10
