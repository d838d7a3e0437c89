"""Orders: `POST /orders` (a draft), `GET /orders` (filters `customerIds`, `status`,
`lastModifiedDate>=`, paging), `GET /orders/{id}`, `POST /orders/{id}` (activate, as Nue documents;
`POST /orders/{id}/activate` is an alias), `PATCH /orders/{id}` (replace a draft's products and
settings), `POST /orders/{id}/cancel`, `DELETE /orders/{id}`."""
import datetime as dt
import json

from django.utils import timezone

from sandbox.nue import events
from sandbox.nue.customers import create_customer, parse_contacts, parse_customer, with_next_number
from sandbox.nue.http import NueError, idempotent, page_params, paged, success
from sandbox.nue.models import Customer, Order, OrderProduct
from sandbox.nue.order_input import ORDER_FIELDS, order_lines, order_terms
from sandbox.nue.shapes import order_json
from sandbox.nue.validate import Checker

STATUS_FILTER = {"draft": Order.DRAFT, "active": Order.ACTIVATED, "activated": Order.ACTIVATED,
                 "canceled": Order.CANCELED, "cancelled": Order.CANCELED}
FILTERS = {"customerIds", "status", "lastModifiedDate>", "page", "limit", "includes"}


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
    """The order's customer: an existing one by Nue id or Salesforce id, or a new one described
    inline. Returns (customer or None, new-customer fields, new contacts)."""
    ref = data.get("customer")
    if ref is None and data.get("customerId"):
        ref = {"id": data["customerId"]}
    if not isinstance(ref, dict):
        check.fail("REQUIRED_FIELD_MISSING", "customer is required.", "customer")
        return None, None, None
    if ref.get("id"):
        customer = (Customer.objects.filter(pk=ref["id"]).first()
                    or Customer.objects.filter(external_id=ref["id"]).first())
        if customer is None:
            check.fail("CUSTOMER_NOT_FOUND", f"Customer {ref['id']} does not exist.", "customer.id")
        return customer, None, None
    fields = parse_customer(check, ref, "customer.", creating=True)
    contacts = parse_contacts(check, ref.get("contacts", []), "customer.contacts")
    return None, fields, contacts


def _bill_to(check: Checker, data: dict, customer):
    ref = data.get("billToContact")
    if ref is None:
        return customer.bill_to_contact if customer else None
    contact = None
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
    customer, new_customer, new_contacts = _resolve_customer(check, data)
    currency = terms.get("currency") or (customer.currency if customer else
                                         (new_customer or {}).get("currency", "USD"))
    warnings: list = []
    lines = order_lines(check, data.get("orderProducts"), start_date=terms.get("effective_date"),
                        currency=currency, warnings=warnings)
    bill_to = _bill_to(check, data, customer)
    custom = check.custom_fields(data)
    check.done()

    if customer is None:
        customer = create_customer(new_customer, new_contacts)
        bill_to = customer.bill_to_contact
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
    unknown = set(request.GET) - FILTERS
    if unknown:
        raise NueError(400, "INVALID_FILTER", f"Unsupported filter: {', '.join(sorted(unknown))}.")
    page, limit = page_params(request)
    orders = Order.objects.all()
    if "customerIds" in request.GET:
        try:
            ids = json.loads(request.GET["customerIds"])
        except ValueError:
            ids = None
        if not isinstance(ids, list):
            raise NueError(400, "INVALID_FILTER", "customerIds must be a JSON array of ids.")
        orders = orders.filter(customer_id__in=ids)
    if "status" in request.GET:
        status = STATUS_FILTER.get(request.GET["status"].lower())
        if status is None:
            raise NueError(400, "INVALID_FILTER", "status must be draft, active or canceled.")
        orders = orders.filter(status=status)
    if "lastModifiedDate>" in request.GET:  # the `lastModifiedDate>=…` filter syntax
        orders = orders.filter(last_modified_date__gte=_timestamp(request.GET["lastModifiedDate>"]))
    return paged(orders, page, limit, lambda order: order_json(order, request))


def _timestamp(raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise NueError(400, "INVALID_FILTER",
                       "lastModifiedDate must be an ISO 8601 time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def get_order(request, body, order_id):
    return success(order_json(get_order_or_404(order_id), request))


def activate_order(request, body, order_id):
    order = get_order_or_404(order_id, lock=True)
    if body is not None and not isinstance(body, dict):
        raise NueError(400, "INVALID_REQUEST_BODY", "The body must be a JSON object.")
    _require_draft(order, "activated")
    activate(order)
    return success({"order": order_json(order, request), "invoices": []})


def update_order(request, body, order_id):
    order = get_order_or_404(order_id, lock=True)
    _require_draft(order, "updated")
    check = Checker()
    data = check.object(body, "body")
    check.known_fields(data, ORDER_FIELDS - {"customer", "customerId"})
    terms = order_terms(check, data)
    if terms.get("currency", order.currency) != order.currency:
        check.fail("INVALID_FIELD_VALUE", "The currency of an order cannot change.",
                   "currencyIsoCode")
    warnings: list = []
    lines = None
    if "orderProducts" in data:
        lines = order_lines(check, data["orderProducts"],
                            start_date=terms.get("effective_date", order.effective_date),
                            currency=order.currency, warnings=warnings)
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
