"""The hub's own Prometheus metrics, served beside django-prometheus's at `/metrics`.

Events are counted where they happen: webhook deliveries in the web processes, sync latency in the
django-q2 workers. Both are several processes (gunicorn's workers, the cluster's), so samples go
through prometheus_client's multiprocess mode: each process writes its own file in
PROMETHEUS_MULTIPROC_DIR (HUB_DATA_DIR/metrics, set at start-up by hub/startup.py) and a scrape adds them all up,
whichever web process answers it. Counting latency in the worker, when the job settles, keeps
every run (the `SyncJob` row only remembers its last one). The price: a scrape sees the processes
of its own machine, so a machine that runs only workers needs a web process of its own, bound to
localhost, for Prometheus to scrape.

State (jobs by kind and status, the Salesforce API usage last reported) is read from the database
at scrape time by the scrape endpoint, `syncapp/api/metrics.py`.
"""
from __future__ import annotations

import functools

from django.utils import timezone
from prometheus_client import Counter, Histogram

WEBHOOK_DELIVERIES = Counter(
    "hub_webhook_deliveries", "Webhook deliveries answered, by provider and HTTP status: 202 stored "
    "(accepted or ignored), 200 duplicate, 400/401/413 refused.", ["provider", "status"])
SYNC_LATENCY = Histogram(
    "hub_sync_latency_seconds", "From a sync job falling due (its event arrived, or its retry time "
    "came) to its outcome being recorded, by kind and the status it settled in.", ["kind", "status"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))


def counts_webhook_deliveries(post):
    """Decorator for a webhook view's `post`: counts every answer by the view's provider and the
    answer's status."""

    @functools.wraps(post)
    def counted(view, request, *args, **kwargs):
        response = post(view, request, *args, **kwargs)
        WEBHOOK_DELIVERIES.labels(view.provider, str(response.status_code)).inc()
        return response

    return counted


def jobs_settled(jobs, statuses: dict) -> None:
    """Called by the job engine after a run with the jobs it claimed (as loaded at claim time) and
    the status each settled in, by job id."""
    now = timezone.now()
    for job in jobs:
        waited = (now - job.next_attempt_at).total_seconds()
        SYNC_LATENCY.labels(job.kind, statuses[job.pk]).observe(max(0.0, waited))
