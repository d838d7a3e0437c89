"""`GET /metrics`: the Prometheus scrape endpoint (syncapp/metrics.py says what is in it).

Only for an API client with the `read` scope: the numbers describe the business (orders, failures,
API usage). In Prometheus's scrape config: `authorization: {credentials_file: /path/to/token}`.
A plain Django view, outside /api/v1/, so it is no part of the OpenAPI schema.
"""
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from syncapp import metrics
from syncapp.api.errors import json_error
from syncapp.models import ApiClient

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
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
