"""The hosted checkout page a draft order's `checkoutUrl` points at: it shows the order and a
"Pay now" button whose POST activates the order (as paying through a hosted payment page would)."""
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from sandbox.zuora import orders
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Order, RatePlan


def _lines(order: Order) -> list[dict]:
    names = dict(RatePlan.objects.values_list("rate_plan_id", "rate_plan_name"))
    lines = []
    for sub in order.subscriptions:
        for action in sub["orderActions"]:
            for plan in action["createSubscription"]["subscribeToRatePlans"]:
                charge = plan["chargeOverrides"][0]
                per_unit = charge["pricing"]["recurringPerUnit"]
                quantity, price = Decimal(str(per_unit["quantity"])), Decimal(str(
                    per_unit["listPrice"]))
                lines.append({"name": names.get(plan["productRatePlanId"], "?"),
                              "quantity": quantity.normalize(), "price": price,
                              "period": charge["billing"]["billingPeriod"],
                              "total": (quantity * price).quantize(Decimal("0.01"))})
    return lines


@csrf_exempt  # a page of another company's site; the emulator has no session to protect
def checkout(request, order_number):
    order = Order.objects.select_related("account", "account__bill_to").filter(
        order_number=order_number).first()
    if order is None:
        raise Http404("No such order")
    error = ""
    if request.method == "POST":
        try:
            with transaction.atomic():
                orders.activate(order)
        except ZuoraError as err:
            error = err.reasons[0]["message"]
    lines = _lines(order)
    return render(request, "sandbox/zuora/checkout.html", {
        "order": order, "account": order.account, "lines": lines, "error": error,
        "paid": request.method == "POST" and not error,
        "total": sum((line["total"] for line in lines), Decimal("0.00")),
    })
