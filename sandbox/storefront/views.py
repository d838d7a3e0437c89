"""A merchant's self-service site: pick a plan, enter your details, check out.

It calls the hub's `POST /api/v1/checkout` over HTTP with its API token, exactly as a real
storefront would, and shows what came back. The idempotency key is minted when the form is shown,
so a double-click or a browser resubmit checks out once.
"""
import uuid

import requests
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sandbox import conf

PLANS = [
    {"sku": "PRO-MONTHLY", "name": "Pro", "price": "49.00", "period": "month"},
    {"sku": "TEAM-ANNUAL", "name": "Team", "price": "990.00", "period": "year"},
    {"sku": "ADDON-SEATS", "name": "Extra seats", "price": "10.00", "period": "month per seat"},
]
FIELDS = ("email", "first_name", "last_name", "company", "phone")
ADDRESS_FIELDS = ("line1", "city", "state", "postal_code", "country")


def _payload(form) -> dict:
    customer = {f: form.get(f, "").strip() for f in FIELDS}
    address = {f: form.get(f, "").strip() for f in ADDRESS_FIELDS}
    if any(address.values()):
        customer["address"] = address
    try:
        quantity = int(form.get("quantity") or 1)
    except ValueError:
        quantity = 0
    return {"customer": customer, "currency": "USD", "items": [{"sku": form.get("sku", ""), "quantity": quantity}]}


@require_http_methods(["GET", "POST"])
def store(request):
    context = {"plans": PLANS, "form": request.POST or {"sku": PLANS[0]["sku"], "quantity": "1"},
               "idempotency_key": request.POST.get("idempotency_key") or str(uuid.uuid4())}
    if request.method == "POST":
        try:
            response = requests.post(
                f"{conf.hub_url()}/api/v1/checkout", json=_payload(request.POST), timeout=(5, 60),
                headers={"Authorization": f"Bearer {conf.storefront_token()}",
                         "Idempotency-Key": context["idempotency_key"]})
            context["status"] = response.status_code
            context["result"] = response.json()
        except (requests.RequestException, ValueError) as err:
            context["status"], context["result"] = None, {"error": {"code": "unreachable", "message": str(err)}}
        if context["status"] == 201:
            context["idempotency_key"] = str(uuid.uuid4())  # the next checkout is a new one
    return render(request, "sandbox/storefront.html", context)
