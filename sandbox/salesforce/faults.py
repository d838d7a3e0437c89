"""The test switches behind `_control`: injected latency and faults, the daily API allocation,
and per-resource call counts. All of it lives in the database so every process sees it."""
import random
import time
from datetime import UTC, datetime

from django.db import IntegrityError, router, transaction
from django.db.models import F

from .errors import SfError
from .models import CallCount, Org, Session
from .org import enable_multi_currency, get_org, reset_counts, reset_org
from .schema import CHANGES, OBJECTS, canonical_sobject

FAULTS = ("503", "timeout", "timeout_after_commit", "UNABLE_TO_LOCK_ROW", "INVALID_SESSION_ID",
          "REQUEST_LIMIT_EXCEEDED")
LOGINS = "login"  # the name successful logins are counted under
STANDARD_RESOURCES = ["query", "queryAll", "composite", "composite/graph", "composite/sobjects",
                      "limits", "sobjects"] + [f"sobjects/{name}" for name in OBJECTS]


def invalid_session() -> SfError:
    return SfError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def limit_exceeded() -> SfError:
    return SfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def count_call(resource: str):
    for _ in range(2):
        if CallCount.objects.filter(resource=resource).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic(using=router.db_for_write(CallCount)):
                CallCount.objects.create(resource=resource, count=1)
            return
        except IntegrityError:  # created meanwhile by another request; increment it
            continue


def spend_allocation(org: Org):
    """Count one API request against the daily allocation, or refuse it once it is spent."""
    today = datetime.now(UTC).date()
    if org.usage_day != today:
        # Conditional too: of two calls starting the day, only the first resets the counter.
        Org.objects.filter(pk=1).exclude(usage_day=today).update(api_usage=0, usage_day=today)
    # Check and spend in one conditional UPDATE, so concurrent calls never overshoot the limit.
    spent = Org.objects.filter(pk=1, api_usage__lt=F("daily_limit")).update(
        api_usage=F("api_usage") + 1)
    if not spent:
        raise limit_exceeded()


def next_fault(org: Org) -> str | None:
    """The fault to inject into this call: queued ones first, in order, then the random rates."""
    if org.fail_next:
        with transaction.atomic():
            locked = Org.objects.select_for_update().get(pk=1)
            if locked.fail_next:
                fault = locked.fail_next.pop(0)
                locked.save(update_fields=["fail_next"])
                return fault
    for fault in FAULTS:
        rate = float((org.fault_rates or {}).get(fault) or 0)
        if rate and random.random() < rate:
            return fault
    return None


def inject(org: Org, session: Session | None) -> bool:
    """Apply the latency and at most one fault to a data call (after auth and the allocation).
    True when the answer is to be lost: `timeout_after_commit` does the work, commits it, then
    holds the answer past the client's read timeout (`lose_answer`)."""
    if org.latency_ms:
        time.sleep(org.latency_ms / 1000)
    fault = next_fault(org)
    if fault == "timeout_after_commit":
        return True
    if fault == "503":
        raise SfError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable; try again later")
    if fault == "timeout":
        # Sleep past the client's read timeout, then answer normally: the client sees a timeout
        # although the work was done, as with a real slow Salesforce.
        time.sleep(org.timeout_seconds)
    if fault == "UNABLE_TO_LOCK_ROW":
        raise SfError(400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record "
                      "or 1 records")
    if fault == "INVALID_SESSION_ID":
        if session is not None:
            Session.objects.filter(pk=session.pk).delete()
        raise invalid_session()
    if fault == "REQUEST_LIMIT_EXCEEDED":
        raise limit_exceeded()
    return False


def lose_answer(org: Org):
    """The work is committed; the client gives up waiting before it hears so."""
    time.sleep(org.timeout_seconds)


def limit_info(org: Org) -> str:
    current = Org.objects.filter(pk=1).values_list("api_usage", "daily_limit").first()
    used, limit = current or (org.api_usage, org.daily_limit)
    return f"api-usage={used}/{limit}"


# --- the control endpoint ----------------------------------------------------------------------

def state() -> dict:
    org = get_org()
    counts = dict.fromkeys(STANDARD_RESOURCES, 0)
    counts.update(dict(CallCount.objects.values_list("resource", "count")))
    logins = counts.pop(LOGINS, 0)  # not API calls: Salesforce counts logins apart
    counts["total"] = sum(v for k, v in counts.items() if k != "total")
    return {
        "latency_ms": org.latency_ms, "fault_rates": org.fault_rates,
        "timeout_seconds": org.timeout_seconds, "fail_next": org.fail_next,
        "daily_limit": org.daily_limit, "duplicate_rules": org.duplicate_rules,
        "multi_currency": org.multi_currency, "field_changes": org.field_changes,
        "api_usage": org.api_usage, "counts": counts,
        "sessions": Session.objects.count(), "logins": logins,
    }


class ControlError(ValueError):
    pass


def _check_fault_names(names, allow_none=False):
    unknown = [n for n in names if n not in FAULTS and not (allow_none and n is None)]
    if unknown:
        raise ControlError(f"unknown fault(s) {unknown}; known: {list(FAULTS)}")


def _check_field_changes(changes) -> dict:
    if not isinstance(changes, dict):
        raise ControlError('field_changes must map "Object.Field" to a change')
    for key, change in changes.items():
        sobject, _, name = str(key).partition(".")
        canonical = canonical_sobject(sobject)
        if canonical is None or name not in {f.name for f in OBJECTS[canonical]}:
            raise ControlError(f"unknown field {key!r}: name it as Object.Field, e.g. Account.Hub_Match_Key__c")
        if change not in CHANGES:
            raise ControlError(f"unknown change {change!r} for {key}; known: {list(CHANGES)}")
    return {f"{canonical_sobject(k.partition('.')[0])}.{k.partition('.')[2]}": v for k, v in changes.items()}


def apply(body: dict) -> dict:
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    if body.get("reset_org"):
        reset_org()
    org = get_org()
    if "latency_ms" in body:
        org.latency_ms = max(0, int(body["latency_ms"] or 0))
    if "fault_rates" in body:
        rates = body["fault_rates"] or {}
        _check_fault_names(rates)
        org.fault_rates = {k: float(v) for k, v in rates.items() if float(v) > 0}
    if "timeout_seconds" in body:
        org.timeout_seconds = float(body["timeout_seconds"])
    if "fail_next" in body:
        queued = list(body["fail_next"] or [])
        _check_fault_names(queued, allow_none=True)  # null lets that call through: a later one fails
        org.fail_next = queued
    if "daily_limit" in body:
        org.daily_limit = max(0, int(body["daily_limit"]))
    if "duplicate_rules" in body:
        org.duplicate_rules = bool(body["duplicate_rules"])
    if "field_changes" in body:
        org.field_changes = _check_field_changes(body["field_changes"] or {})
    if body.get("multi_currency") and not org.multi_currency:
        enable_multi_currency(org)  # one way, as in Salesforce (reset_org keeps it too)
    org.save(update_fields=["latency_ms", "fault_rates", "timeout_seconds", "fail_next",
                            "daily_limit", "duplicate_rules", "field_changes"])
    if body.get("reset_counts"):
        reset_counts()
    if body.get("expire_sessions"):
        Session.objects.all().delete()
    return state()
