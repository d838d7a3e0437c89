"""The hosted checkout page of a draft order: `GET /checkout/{orderId}` shows the order, and its
"Pay now" form POSTs back, which activates the order (as a payment would) and confirms."""
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sandbox.nue.models import Order
from sandbox.nue.orders import activate

CENT = Decimal("0.01")


def _page(request, order, *, status=200, just_paid=False):
    lines = list(order.order_products.select_related("product"))
    rows = [{"sku": line.product.sku, "name": line.product.name,
             "quantity": line.quantity.normalize(), "list_price": line.list_price,
             "net_price": line.net_sales_price.quantize(CENT),
             "total": (line.net_sales_price * line.quantity).quantize(CENT)}
            for line in lines]
    context = {"order": order, "customer": order.customer, "rows": rows,
               "total": sum((row["total"] for row in rows), 0), "just_paid": just_paid}
    return render(request, "sandbox/nue/checkout.html", context, status=status)


@require_http_methods(["GET", "POST"])
def checkout_view(request, order_id):
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise Http404("No such order")
        if request.method == "GET":
            return _page(request, order)
        if order.status == Order.CANCELED:
            return _page(request, order, status=409)
        just_paid = order.status == Order.DRAFT
        if just_paid:
            activate(order)
        return _page(request, order, just_paid=just_paid)
