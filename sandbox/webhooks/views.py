"""`/sandbox/webhooks/_control`: the outbound webhook switches, for tests and demos (no auth,
like every sandbox control endpoint; the sandbox is never mounted in production)."""
import json

from django.db.models import Count
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.webhooks.models import Delivery, Switches
from sandbox.webhooks.outbox import deliver_due, request_release

INT_SWITCHES = ("duplicate", "delay_ms", "reorder_batch")
BOOL_SWITCHES = ("reorder", "paused", "auto_deliver")
RECENT = 50


@csrf_exempt
def control(request):
    """GET: switches, counts and recent deliveries. POST JSON: any switch to set, and optionally
    `"action"`: `"deliver"` (send what is due now), `"release"` (let held deliveries go, newest
    first) or `"reset"` (forget every delivery and switch)."""
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
            _apply(body)
        except (ValueError, TypeError) as err:
            return JsonResponse({"error": str(err)}, status=400)
    elif request.method != "GET":
        return JsonResponse({"error": "method not allowed"}, status=405)
    return JsonResponse(_state())


def _apply(body: dict) -> None:
    action = body.get("action")
    if action == "reset":
        Delivery.objects.all().delete()
        Switches.objects.all().delete()
    switches = Switches.load()
    for name in INT_SWITCHES:
        if name in body:
            setattr(switches, name, max(0, int(body[name])))
    for name in BOOL_SWITCHES:
        if name in body:
            setattr(switches, name, bool(body[name]))
    if "retry_schedule" in body:
        switches.retry_schedule = [float(s) for s in body["retry_schedule"] or []]
    switches.save()
    if action == "release":
        request_release()
    if action in ("deliver", "release"):
        deliver_due()
    elif action not in (None, "reset"):
        raise ValueError(f"unknown action {action!r}")


def _state() -> dict:
    switches = Switches.current()
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
    recent = Delivery.objects.order_by("-id")[:RECENT]
    return {
        "switches": {**{n: getattr(switches, n) for n in INT_SWITCHES + BOOL_SWITCHES},
                     "retry_schedule": switches.schedule},
        "counts": {status: counts.get(status, 0) for status, _ in Delivery.STATUSES},
        "deliveries": [{
            "id": d.msg_id, "provider": d.provider, "type": d.event_type, "status": d.status,
            "attempts": d.attempts, "last_status_code": d.last_status_code,
            "next_attempt_at": d.next_attempt_at.isoformat(), "target_url": d.target_url,
            "payload": json.loads(d.payload),
        } for d in recent],
    }
