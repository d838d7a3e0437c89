"""`/sandbox/zuora/_control` (no auth): switches for tests and demos.

POST JSON, any of: `token_lifetime` (seconds, for tokens issued from now on), `fail_next` (a list
consumed one per REST call: "500", "503", "429", "401", "lock" — a retryable HTTP 200 failure —
or "timeout": the call is done but its answer is held back `timeout_seconds`; "500 POST /v1/orders"
waits for a call to that endpoint),
`timeout_seconds`, `latency_ms` (added to every REST call), `flexible_billing` and `object_query` (tenant features, booleans),
`expire_tokens: true` (every issued token stops working), `reset: true`
(forget the whole tenant). GET shows the switches and how often each endpoint was called.
"""
import json

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.zuora.models import Account, CallCount, Contact, Control, IdempotencyRecord, Order, RatePlan, Token


@csrf_exempt
def control(request):
    if request.method == "POST":
        try:
            _apply(json.loads(request.body or b"{}"))
        except (ValueError, TypeError, AttributeError) as err:
            return JsonResponse({"error": str(err)}, status=400)
    elif request.method != "GET":
        return JsonResponse({"error": "method not allowed"}, status=405)
    control = Control.load()
    return JsonResponse({
        "token_lifetime": control.token_lifetime, "fail_next": control.fail_next,
        "timeout_seconds": control.timeout_seconds, "latency_ms": control.latency_ms,
        "flexible_billing": control.flexible_billing, "object_query": control.object_query,
        "call_counts": dict(CallCount.objects.values_list("endpoint", "count")),
        "accounts": Account.objects.count(), "orders": Order.objects.count(),
    })


def _apply(body: dict) -> None:
    if body.get("reset"):
        Order.objects.all().delete()
        Account.objects.update(bill_to=None, sold_to=None)
        for model in (Contact, Account, Token, IdempotencyRecord, CallCount, Control, RatePlan):
            model.objects.all().delete()
    control = Control.load()
    if "token_lifetime" in body:
        control.token_lifetime = max(1, int(body["token_lifetime"]))
    if "fail_next" in body:
        control.fail_next = [str(f) for f in body["fail_next"] or []]
    for feature in ("flexible_billing", "object_query"):
        if feature in body:
            setattr(control, feature, bool(body[feature]))
    if "latency_ms" in body:
        control.latency_ms = max(0, int(body["latency_ms"] or 0))
    if "timeout_seconds" in body:
        control.timeout_seconds = max(0.0, float(body["timeout_seconds"]))
    control.save()
    if body.get("expire_tokens"):
        Token.objects.update(expires_at=timezone.now())
