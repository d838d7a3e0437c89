"""`GET /api/v1/health`: what a load balancer, a supervisor and an operator ask first.

Each part is named in the body with "ok" or what is wrong with it, and decides the answer so:

- `database` (`SELECT 1`) and `queue` (the broker answers a ping, and a worker ran the
  every-minute sweeper within HUB_QUEUE_STALE_SECONDS: syncapp/jobs/heartbeat.py) make it `503`,
  `"status": "error"`. Without either the hub cannot do its work: webhooks would be refused, or
  stored and never synced. In a web process's first HUB_QUEUE_GRACE_SECONDS a queue with no
  recent heartbeat is `"starting"`, not down: a hub that has just started (`make run`, the tests)
  is healthy before its cluster's first sweep.
- `salesforce` and `billing` (one cheap authenticated call each through the real connectors:
  the org's limits, the catalog) only report: `200`, `"status": "degraded"`. While a vendor is
  down the hub still stores every webhook and retries its jobs later, so taking it out of
  service would only lose deliveries. Their calls have short timeouts and their results are
  cached for VENDOR_CHECK_SECONDS, so probing health often costs the vendors nothing more.
"""
import time

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from syncapp import conf
from syncapp.api.schema import HEALTH
from syncapp.connectors.vendors import Vendors
from syncapp.exceptions import SyncError
from syncapp.jobs import heartbeat

VENDOR_TIMEOUT = (2.0, 5.0)  # connect, read: a health probe must answer quickly
VENDOR_CHECK_SECONDS = 30
_STARTED = time.monotonic()  # this web process's start, as far as health can tell


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as err:  # the health check reports, never raises
        return f"error: {err.__class__.__name__}"


def _queue() -> str:
    from django_q.brokers import get_broker

    try:
        if not get_broker().ping():
            return "unreachable"
        seen = heartbeat.last_beat()
    except Exception as err:
        return f"error: {err.__class__.__name__}"
    if seen and timezone.now() - seen <= conf.queue_stale_after():
        return "ok"
    if time.monotonic() - _STARTED < conf.queue_startup_grace().total_seconds():
        return "starting"
    return f"no worker seen since {seen.isoformat()}" if seen else "no worker seen"


def _salesforce(vendors: Vendors) -> str:
    connector = vendors.salesforce
    return _vendor(f"salesforce:{connector.config.instance_url}", connector.limits)


def _billing(vendors: Vendors) -> str:
    try:
        connector = vendors.billing
    except ImproperlyConfigured:
        return "not configured"
    return _vendor(f"billing:{connector.provider}:{connector.base_url}", connector.catalog)


def _vendor(target: str, probe) -> str:
    """The state of one cheap call, cached per target, so a changed configuration is probed afresh."""
    key = f"hub:health:{target}"
    cache = caches["local"]  # per process: health must answer while the shared cache's store is down
    state = cache.get(key)
    if state is None:
        try:
            probe()
            state = "ok"
        except SyncError as err:
            state = f"error: {err.code}"
        except ImproperlyConfigured:
            state = "not configured"
        except Exception as err:
            state = f"error: {err.__class__.__name__}"
        cache.set(key, state, VENDOR_CHECK_SECONDS)
    return state


@extend_schema(**HEALTH)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request):
    essential = {"database": _database(), "queue": _queue()}
    vendors = Vendors.from_settings(timeout=VENDOR_TIMEOUT)
    reported = {"salesforce": _salesforce(vendors), "billing": _billing(vendors),
                "billing_provider": conf.billing_provider()}
    if any(state not in ("ok", "starting") for state in essential.values()):
        status, code = "error", 503
    elif reported["salesforce"] != "ok" or reported["billing"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return Response({"status": status, **essential, **reported}, status=code)
