"""Nue's JSON <-> the hub's domain records: customers and their contacts, order bodies and
read-backs, order products, statuses, money."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from syncapp.connectors.billing.nue.errors import VENDOR
from syncapp.domain.records import (
    Address,
    BillingTerms,
    CatalogItem,
    Contact,
    Customer,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)
from syncapp.exceptions import PermanentError

STATUS_FILTER = {OrderStatus.DRAFT: "draft", OrderStatus.ACTIVATED: "active",
                 OrderStatus.CANCELED: "canceled"}
# Nue's order data reference spells the statuses Draft/Activated/Canceled; its activation guide
# says "active". Both spellings are read (assumption: docs/vendor-assumptions.md, Nue).
STATUSES = {"draft": OrderStatus.DRAFT, "activated": OrderStatus.ACTIVATED,
            "active": OrderStatus.ACTIVATED, "canceled": OrderStatus.CANCELED,
            "cancelled": OrderStatus.CANCELED}
CUSTOM_SUFFIX = "__c"
CENT = Decimal("0.01")


def money(value: str | int | float | Decimal) -> Decimal:
    number = Decimal(str(value))
    exponent = number.as_tuple().exponent
    return number.quantize(CENT) if isinstance(exponent, int) and exponent >= -2 else number.normalize()


def _plain(value) -> Decimal:
    """A quantity or percentage without float noise: 3.0 → 3, 12.5 → 12.5."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _num(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _contact_to_nue(contact: Contact, roles: list[str]) -> dict:
    address = contact.address or Address()
    return {"firstName": contact.first_name if contact.last_name else "",
            # Nue requires a last name; a name given only as a first name is sent as the last one.
            "lastName": contact.last_name or contact.first_name or contact.email.split("@")[0],
            "email": contact.email, "phone": contact.phone or None,
            "billingStreet": address.line1 or None, "billingCity": address.city or None,
            "billingState": address.state or None, "billingPostalCode": address.postal_code or None,
            "billingCountry": address.country or None, "roles": roles}


def customer_to_nue(customer: Customer) -> dict:
    body: dict[str, Any] = {"name": customer.name, "recordType": "Business", "email": customer.email,
            "currencyIsoCode": customer.currency}
    if customer.crm_id:
        body["externalId"] = customer.crm_id
    contacts = []
    if customer.bill_to:
        contacts.append(_contact_to_nue(customer.bill_to, ["BillTo"] if customer.sold_to else
                                        ["BillTo", "SoldTo"]))
        address = customer.bill_to.address or Address()
        body.update({"billingStreet": address.line1 or None, "billingCity": address.city or None,
                     "billingState": address.state or None,
                     "billingPostalCode": address.postal_code or None,
                     "billingCountry": address.country or None})
        if customer.bill_to.phone:
            body["phone"] = customer.bill_to.phone
    if customer.sold_to:
        contacts.append(_contact_to_nue(customer.sold_to, ["SoldTo"]))
    if contacts:
        body["contacts"] = contacts
    return {k: v for k, v in body.items() if v is not None}


def _contact_from_nue(data: dict | None) -> Contact | None:
    if not data:
        return None
    address = Address(line1=data.get("billingStreet") or "", city=data.get("billingCity") or "",
                      state=data.get("billingState") or "",
                      postal_code=data.get("billingPostalCode") or "",
                      country=data.get("billingCountry") or "")
    return Contact(email=data.get("email") or "", first_name=data.get("firstName") or "",
                   last_name=data.get("lastName") or "", phone=data.get("phone") or "",
                   address=address if address != Address() else None)


def customer_from_nue(data: dict) -> Customer:
    contacts = {c["id"]: c for c in data.get("contacts") or []}
    bill_to_id, sold_to_id = data.get("billToContactId"), data.get("orderPrimaryContactId")
    bill_to = _contact_from_nue(contacts.get(bill_to_id))
    sold_to = None if sold_to_id == bill_to_id else _contact_from_nue(contacts.get(sold_to_id))
    return Customer(name=data.get("name") or "", email=data.get("email") or "",
                    currency=data.get("currencyIsoCode") or "USD", account_id=data["id"],
                    crm_id=data.get("externalId") or None, bill_to=bill_to, sold_to=sold_to)


def _line_to_nue(line: OrderLine, item: CatalogItem, entry_id: str, start: dt.date, *,
                 with_id: bool) -> dict:
    """An order product as Nue documents it; the price is the price book entry's, so a lower
    net price travels as a discount (`discount`/`discountAmount` are assumptions)."""
    body = {"priceBookEntryId": entry_id, "quantity": _num(line.quantity),
            "subscriptionStartDate": start.isoformat()}
    if with_id and line.line_id:
        body["id"] = line.line_id
    if line.description:
        body["description"] = line.description
    discount = line.discount
    if discount and discount.percent is not None:
        body["discount"] = _num(discount.percent)
    elif discount and discount.amount is not None:
        body["discountAmount"] = _num(discount.amount)
    elif line.net_price > item.list_price:
        raise PermanentError(f"{line.sku} at {line.net_price} is above Nue's list price "
                             f"{item.list_price}; Nue prices from its price book",
                             code="price_above_list", vendor=VENDOR)
    elif line.net_price != item.list_price:
        # A lower price without a stated discount travels as an amount off the line.
        body["discountAmount"] = _num((item.list_price - line.net_price) * line.quantity)
    return body


def order_to_nue(order: DraftOrder, price_book: dict[str, tuple[CatalogItem, str]], *,
                 with_line_ids: bool = False) -> dict:
    """The order's own fields (not its customer). `billingPeriod`, `paymentTerm`,
    `billCycleDay` and `Name__c` custom fields on the order are assumptions."""
    terms = order.terms
    lines = [_line_to_nue(line, *price_book[line.sku], order.order_date, with_id=with_line_ids)
             for line in order.lines]
    body: dict[str, Any] = {"effectiveDate": order.order_date.isoformat(), "orderProducts": lines,
            "billingPeriod": terms.billing_period, "paymentTerm": terms.payment_term}
    if terms.bill_cycle_day is not None:
        body["billCycleDay"] = terms.bill_cycle_day
    for name, value in order.custom_fields:
        if not name.endswith(CUSTOM_SUFFIX):
            raise PermanentError(f"Nue custom fields end in {CUSTOM_SUFFIX}: {name!r}",
                                 code="invalid_custom_field", vendor=VENDOR)
        body[name] = value
    return body


def _field(data: dict, *names: str):
    """The first of `names` Nue sent; an answer without any is a clear sync error, not a crash
    (the field names the hub relies on are listed in docs/vendor-assumptions.md, Nue)."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    raise PermanentError(f"Nue's answer has no {' or '.join(names)}", code="invalid_response",
                         vendor=VENDOR, details={"missing": list(names)})


def _line_from_nue(data: dict, skus: dict[str, str]) -> OrderLine:
    if data.get("discount") is not None:
        discount = Discount(percent=_plain(data["discount"]))
    elif data.get("discountAmount") is not None:
        discount = Discount(amount=money(data["discountAmount"]))
    else:
        discount = None
    # The SKU is the price book entry's product; `productSku` is read when the entry is unknown.
    sku = skus.get(data.get("priceBookEntryId") or "") or _field(data, "productSku")
    return OrderLine(sku=sku, quantity=_plain(_field(data, "quantity")),
                     list_price=money(_field(data, "listPrice")),
                     net_price=money(_field(data, "netSalesPrice")),
                     line_id=_field(data, "id"), discount=discount,
                     description=data.get("description") or "")


def changed_since(data: dict, moment: dt.datetime) -> bool:
    stamp = data.get("lastModifiedDate")
    if not stamp:
        return True  # no date to judge by: keep it rather than miss a change
    changed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (changed if changed.tzinfo else changed.replace(tzinfo=dt.UTC)) >= moment


def status_from_nue(value: object) -> OrderStatus:
    """Nue's order status; one the hub does not know fails the sync with a message naming it."""
    try:
        return STATUSES[str(value).strip().lower()]
    except KeyError:
        raise PermanentError(f"Nue answered an order status the hub does not know: {value!r}",
                             code="unknown_order_status", vendor=VENDOR,
                             details={"status": value}) from None


def order_from_nue(data: dict, *, customer: Customer | None = None,
                   skus: dict[str, str] | None = None) -> DraftOrder:
    """A Nue order; `skus` maps price book entry ids to the SKUs of the catalog."""
    custom = tuple(sorted((k, str(v)) for k, v in data.items()
                          if k.endswith(CUSTOM_SUFFIX) and v is not None))
    try:
        # Nue's order data reference names the effective date `orderStartDate` in answers.
        raw_date = str(_field(data, "effectiveDate", "orderStartDate"))
        order_date = dt.date.fromisoformat(raw_date[:10])
    except ValueError:
        raise PermanentError(f"Nue's order date is not a date: {raw_date!r}",
                             code="invalid_response", vendor=VENDOR) from None
    return DraftOrder(
        currency=data.get("currencyIsoCode") or (customer.currency if customer else "USD"),
        order_date=order_date,
        lines=tuple(_line_from_nue(line, skus or {}) for line in data.get("orderProducts") or []),
        status=status_from_nue(data.get("status")), order_id=_field(data, "id"),
        account_id=data.get("customerId"),
        terms=BillingTerms(billing_period=data.get("billingPeriod") or "Month",
                           payment_term=data.get("paymentTerm") or "Due Upon Receipt",
                           bill_cycle_day=data.get("billCycleDay")),
        # `checkoutUrl` (Nue's hosted checkout) is an assumption (docs/vendor-assumptions.md, Nue).
        custom_fields=custom, checkout_url=data.get("checkoutUrl"), customer=customer)
