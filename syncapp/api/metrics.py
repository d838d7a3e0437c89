"""`GET /metrics`: the Prometheus scrape endpoint. It serves every process's counters
(`syncapp/metrics.py`, django-prometheus's) and gauges of the hub's state read from the database
at scrape time, the same from every machine.

Only for an API client with the `read` scope: the numbers describe the business (orders, failures,
API usage). In Prometheus's scrape config: `authorization: {credentials_file: /path/to/token}`.
A plain Django view, outside /api/v1/, so it is no part of the OpenAPI schema.
"""
from django.db.models import Count
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from syncapp.jobs import allocation
from syncapp.json_errors import json_error
from syncapp.models import ApiClient, SyncJob

SCOPE = "read"


@require_GET
def export(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client = ApiClient.objects.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        response = json_error("not_authenticated", f"A bearer token with the '{SCOPE}' scope is required.", 401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if not client.has_scope(SCOPE):
        return json_error("permission_denied", f"This token lacks the '{SCOPE}' scope.", 403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class HubStateCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self):
        counts = {(row["kind"], row["status"]): row["n"] for row in
                  SyncJob.objects.order_by().values("kind", "status").annotate(n=Count("id"))}
        jobs = GaugeMetricFamily("hub_sync_jobs", "Sync jobs by kind and status, now.", labels=["kind", "status"])
        # Every kind and status, zeros included: a status that empties shows 0 rather than vanishing.
        pairs = {(k, s) for k in SyncJob.Kind.values for s in SyncJob.Status.values} | set(counts)
        for kind, status in sorted(pairs):
            jobs.add_metric([kind, status], counts.get((kind, status), 0))
        yield jobs

        usage = allocation.usage()
        if usage is not None:
            yield GaugeMetricFamily("hub_salesforce_api_requests_used", "Salesforce API requests used "
                                    "today, as Salesforce last reported (Sforce-Limit-Info).", value=usage.used)
            yield GaugeMetricFamily("hub_salesforce_api_requests_limit", "The org's daily Salesforce API "
                                    "allocation, as Salesforce last reported.", value=usage.limit)
        yield GaugeMetricFamily("hub_salesforce_paused", "1 while Salesforce work is paused after "
                                "REQUEST_LIMIT_EXCEEDED.", value=1 if allocation.paused_until() else 0)


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's samples (django-prometheus's included) and the
    state gauges."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(HubStateCollector())
    return generate_latest(registry)
