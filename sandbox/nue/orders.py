"""Orders: `POST /orders` (a draft), `GET /orders` (`customerIds` required; `status`, `includes`),
`GET /orders/{id}`, `POST /orders/{id}` (activate, as Nue documents;
`POST /orders/{id}/activate` is an alias), `PATCH /orders/{id}` (replace a draft's products and
settings), `POST /orders/{id}/cancel`, `DELETE /orders/{id}`."""
import json

from django.utils import timezone

from sandbox.nue import events
from sandbox.nue.customers import with_next_number
from sandbox.nue.http import NueError, idempotent, success
from sandbox.nue.models import Customer, Order, OrderProduct
from sandbox.nue.order_input import ORDER_FIELDS, order_lines, order_terms
from sandbox.nue.shapes import order_json
from sandbox.nue.validate import Checker

STATUS_FILTER = {"draft": Order.DRAFT, "active": Order.ACTIVATED, "activated": Order.ACTIVATED,
                 "canceled": Order.CANCELED, "cancelled": Order.CANCELED}
FILTERS = {"customerIds", "status", "includes"}
INCLUDES = {"assets", "invoices"}


def get_order_or_404(order_id: str, *, lock: bool = False) -> Order:
    orders = Order.objects.select_for_update() if lock else Order.objects
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NueError(404, "ORDER_NOT_FOUND", f"Order {order_id} does not exist.")
    return order


def _require_draft(order: Order, action: str) -> None:
    if order.status != Order.DRAFT:
        raise NueError(400, "INVALID_ORDER_STATUS",
                       f"Only a draft order can be {action}; this one is {order.status}.")


def activate(order: Order) -> None:
    order.status = Order.ACTIVATED
    order.activated_date = timezone.now()
    order.save()
    events.order_event("order.activated", order)


# --- reading a body ----------------------------------------------------------------------------
def _resolve_customer(check: Checker, data: dict):
    """The order's existing customer, `customer: {id}` by Nue id or Salesforce id (Nue takes
    both). An order names its customer; it does not create one."""
    ref = data.get("customer")
    if not isinstance(ref, dict):
        check.fail("REQUIRED_FIELD_MISSING", "customer is required.", "customer")
        return None
    check.known_fields(ref, {"id"}, "customer.", custom=False)
    customer_id = check.text(ref, "id", "customer.id", required=True)
    if customer_id is None:
        return None
    customer = (Customer.objects.filter(pk=customer_id).first()
                or Customer.objects.filter(external_id=customer_id).first())
    if customer is None:
        check.fail("CUSTOMER_NOT_FOUND", f"Customer {customer_id} does not exist.", "customer.id")
    return customer


def _bill_to(check: Checker, data: dict, customer):
    ref = data.get("billToContact")
    if ref is None:
        return customer.bill_to_contact if customer else None
    contact = None
    if isinstance(ref, dict):
        check.known_fields(ref, {"id"}, "billToContact.", custom=False)
    if isinstance(ref, dict) and ref.get("id") and customer:
        contact = customer.contacts.filter(pk=ref["id"]).first()
    if contact is None:
        check.fail("CONTACT_NOT_FOUND", "billToContact must name a contact of the customer.",
                   "billToContact.id")
    return contact


def _save_lines(order: Order, lines, *, replace: bool) -> None:
    """Write the order's products: lines with an `id` update that product, the others are added;
    with `replace`, products not listed are removed (the sender's list wins)."""
    kept = []
    for position, line in enumerate(lines):
        existing = order.order_products.filter(pk=line.id).first() if line.id else None
        if line.id and existing is None:
            raise NueError(400, "ORDER_PRODUCT_NOT_FOUND",
                           f"Order product {line.id} is not on this order.", "orderProducts.id")
        record = existing or OrderProduct(order=order)
        for name in ("product", "quantity", "list_price", "discount", "discount_amount",
                     "net_sales_price", "subscription_start_date", "subscription_term",
                     "billing_period", "description", "custom_fields"):
            setattr(record, name, getattr(line, name))
        record.position = position
        record.save()
        kept.append(record.pk)
    if replace:
        order.order_products.exclude(pk__in=kept).delete()


# --- handlers ----------------------------------------------------------------------------------
@idempotent
def create_order(request, body):
    check = Checker()
    data = check.object(body, "body")
    check.known_fields(data, ORDER_FIELDS)
    terms = order_terms(check, data)
    if "effective_date" not in terms and not data.get("effectiveDate"):
        check.fail("REQUIRED_FIELD_MISSING", "effectiveDate is required.", "effectiveDate")
    customer = _resolve_customer(check, data)
    currency = customer.currency if customer else "USD"
    warnings: list = []
    lines = order_lines(check, data.get("orderProducts"), start_date=terms.get("effective_date"),
                        currency=currency, warnings=warnings)
    bill_to = _bill_to(check, data, customer)
    custom = check.custom_fields(data)
    check.done()

    terms.setdefault("billing_period", lines[0].billing_period)
    terms.setdefault("payment_term", customer.payment_term or "Due Upon Receipt")
    terms.setdefault("bill_cycle_day", customer.bill_cycle_day)
    terms["currency"] = currency
    order = with_next_number(Order, "order_number", "O-", 8, lambda number: Order.objects.create(
        order_number=number, customer=customer, bill_to_contact=bill_to,
        custom_fields={k: v for k, v in custom.items() if v is not None}, **terms))
    _save_lines(order, lines, replace=False)
    events.order_event("order.created", order)
    return success({"order": order_json(order, request), "invoices": []}, status=201,
                   warnings=warnings)


def list_orders(request, body):
    """The orders of the customers named by `customerIds` (a JSON array, required, as Nue
    documents it), all of them in one answer: Nue documents no paging here."""
    unknown = set(request.GET) - FILTERS
    if unknown:
        raise NueError(400, "INVALID_FILTER", f"Unsupported filter: {', '.join(sorted(unknown))}.")
    if "customerIds" not in request.GET:
        raise NueError(400, "REQUIRED_FIELD_MISSING", "customerIds is required.", "customerIds")
    try:
        ids = json.loads(request.GET["customerIds"])
    except ValueError:
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise NueError(400, "INVALID_FILTER", "customerIds must be a JSON array of ids.",
                       "customerIds")
    orders = Order.objects.filter(customer_id__in=ids)
    if "status" in request.GET:
        status = STATUS_FILTER.get(request.GET["status"].lower())
        if status is None:
            raise NueError(400, "INVALID_FILTER", "status must be draft, active or canceled.")
        orders = orders.filter(status=status)
    includes = {i.strip() for i in request.GET.get("includes", "").split(",") if i.strip()}
    if includes - INCLUDES:
        raise NueError(400, "INVALID_FILTER", "includes takes assets and invoices.", "includes")
    return success([order_json(order, request) for order in orders])


def get_order(request, body, order_id):
    return success(order_json(get_order_or_404(order_id), request))


ACTIVATION_OPTIONS = {"generateInvoice", "activateInvoice", "poNumber", "poDate", "transactionHub"}


def activate_order(request, body, order_id):
    """Nue's activation: `POST /orders/{id}` with `{"options": {generateInvoice, activateInvoice,
    poNumber, poDate, transactionHub}}`, answering the order with its assets and invoices."""
    order = get_order_or_404(order_id, lock=True)
    check = Checker()
    data = check.object({} if body is None else body, "body")
    check.known_fields(data, {"options"}, custom=False)
    options = data.get("options")
    if options is not None and not isinstance(options, dict):
        check.fail("INVALID_FIELD_VALUE", "options must be an object.", "options")
    elif options:
        check.known_fields(options, ACTIVATION_OPTIONS, "options.", custom=False)
    check.done()
    _require_draft(order, "activated")
    activate(order)
    return success({"order": order_json(order, request), "assets": [], "invoices": []})


def update_order(request, body, order_id):
    order = get_order_or_404(order_id, lock=True)
    _require_draft(order, "updated")
    check = Checker()
    data = check.object(body, "body")
    check.known_fields(data, ORDER_FIELDS - {"customer"})
    terms = order_terms(check, data)
    warnings: list = []
    lines = None
    if "orderProducts" in data:
        lines = order_lines(check, data["orderProducts"],
                            start_date=terms.get("effective_date", order.effective_date),
                            currency=order.currency, warnings=warnings, updating=True)
    bill_to = _bill_to(check, data, order.customer) if "billToContact" in data else None
    custom = check.custom_fields(data)
    check.done()
    for name, value in terms.items():
        setattr(order, name, value)
    if "billCycleDay" in data and data["billCycleDay"] is None:
        order.bill_cycle_day = None  # an explicit null clears it
    # Custom fields merge; one sent as null is cleared.
    merged = {**order.custom_fields, **custom}
    order.custom_fields = {k: v for k, v in merged.items() if v is not None}
    if bill_to is not None:
        order.bill_to_contact = bill_to
    order.save()
    if lines is not None:
        _save_lines(order, lines, replace=True)
    events.order_event("order.updated", order)
    return success({"order": order_json(order, request)}, warnings=warnings)


def cancel_order(request, body, order_id):
    order = get_order_or_404(order_id, lock=True)
    if order.status != Order.CANCELED:
        order.status = Order.CANCELED
        order.canceled_date = timezone.now()
        order.save()
        events.order_event("order.canceled", order)
    return success({"order": order_json(order, request)})


def delete_order(request, body, order_id):
    order = get_order_or_404(order_id, lock=True)
    if order.status == Order.ACTIVATED:
        raise NueError(400, "INVALID_ORDER_STATUS",
                       "An activated order cannot be deleted; cancel it instead.")
    events.order_event("order.deleted", order)
    order.delete()
    return success({"id": order_id})
