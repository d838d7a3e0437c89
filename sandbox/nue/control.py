"""Test switches of the Nue emulator: `GET/POST /sandbox/nue/_control` (no auth).

POST a JSON object with any of:
- `fail_next`: failures served to the next API calls, one each, in order — `"500"`, `"503"`,
  `"429"` (with `Retry-After: 1`), any other HTTP status as a string, or `"timeout"` (the answer is
  held back `timeout_seconds`, then a 504 is sent; a client with a shorter read timeout gives up);
  `"500 POST orders"` waits for a call to that endpoint (the names in `calls`);
  `"timeout_after_commit"`: the request is carried out and committed, then its answer is held back
  `timeout_seconds` (a client with a shorter read timeout never learns the outcome).
- `idempotency_keys`: false makes `Idempotency-Key` do nothing, as Nue documents no such header.
- `absent_endpoints`: calls this tenant does not serve, e.g. `["DELETE orders/{id}"]`: they are
  answered as a route Nue lacks (`no_route`), not by Nue's API.
- `timeout_seconds`: how long a `"timeout"` holds the answer (default 2).
- `reset`: true wipes every customer, order, idempotency record, counter and the catalog.
GET answers `{"fail_next": [...], "timeout_seconds": n, "calls": {"POST orders": 2, ...}}`.
"""
import json
import time

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.nue.models import Contact, ControlState, Customer, IdempotentRequest, Order, OrderProduct, Product

TIMEOUT = "timeout"
TIMEOUT_AFTER_COMMIT = "timeout_after_commit"


def _state() -> ControlState:
    state, _ = ControlState.objects.select_for_update().get_or_create(pk=1)
    return state


def count_call(name: str) -> None:
    with transaction.atomic():
        state = _state()
        state.calls[name] = state.calls.get(name, 0) + 1
        state.save(update_fields=["calls"])


def take_failure(call: str) -> tuple[str, float] | None:
    """Pop the next queued failure, if any. Committed at once: a failed request still uses it. An
    entry like "500 POST orders" waits for a call to that endpoint; a bare "500" takes any call."""
    with transaction.atomic():
        state = _state()
        if not state.fail_next:
            return None
        kind, _, target = str(state.fail_next[0]).partition(" ")
        if target and target != call:
            return None
        state.fail_next.pop(0)
        state.save(update_fields=["fail_next"])
        return kind, state.timeout_seconds


def honours_idempotency_keys() -> bool:
    with transaction.atomic():
        return _state().idempotency_keys


def absent(call: str) -> bool:
    with transaction.atomic():
        return call in _state().absent_endpoints


def failure_response(kind: str, timeout_seconds: float, error_response) -> JsonResponse:
    if kind == TIMEOUT:
        time.sleep(timeout_seconds)
        return error_response(504, "GATEWAY_TIMEOUT", "The request timed out.")
    status = int(kind) if kind.isdigit() else 500
    code = "INTERNAL_SERVER_ERROR" if status == 500 else "INJECTED_FAILURE"
    response = error_response(status, code, f"Injected failure ({kind}).")
    if status == 429:
        response["Retry-After"] = "1"
    return response


def reset() -> None:
    with transaction.atomic():
        OrderProduct.objects.all().delete()
        Order.objects.all().delete()
        Customer.objects.update(bill_to_contact=None, primary_contact=None)
        Contact.objects.all().delete()
        Customer.objects.all().delete()
        IdempotentRequest.objects.all().delete()
        Product.objects.all().delete()
        ControlState.objects.all().delete()


def _describe() -> dict:
    with transaction.atomic():
        state = _state()
        return {"fail_next": state.fail_next, "timeout_seconds": state.timeout_seconds,
                "absent_endpoints": state.absent_endpoints,
                "idempotency_keys": state.idempotency_keys, "calls": state.calls}


@csrf_exempt
def control_view(request):
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"error": "body must be a JSON object"}, status=400)
        if body.get("reset"):
            reset()
        with transaction.atomic():
            state = _state()
            if "fail_next" in body:
                state.fail_next = [str(kind) for kind in body["fail_next"] or []]
            if "idempotency_keys" in body:
                state.idempotency_keys = bool(body["idempotency_keys"])
            if "absent_endpoints" in body:
                state.absent_endpoints = [str(name) for name in body["absent_endpoints"] or []]
            if "timeout_seconds" in body:
                state.timeout_seconds = float(body["timeout_seconds"])
            state.save()
    elif request.method != "GET":
        return JsonResponse({"error": "GET or POST"}, status=405)
    return JsonResponse(_describe())
