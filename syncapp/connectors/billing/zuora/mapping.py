"""Zuora's shapes <-> the hub's domain records: catalog products, accounts and contacts, order
bodies and read-backs, line tokens, discounts."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from syncapp.domain.records import (
    Address,
    BillingTerms,
    CatalogItem,
    Contact,
    Customer,
    Discount,
    OrderLine,
    OrderStatus,
)

CENT = Decimal("0.01")
STATUS_FROM_ZUORA = {"Draft": OrderStatus.DRAFT, "Scheduled": OrderStatus.DRAFT,
                     "Pending": OrderStatus.ACTIVATED, "Executing": OrderStatus.ACTIVATED,
                     "Completed": OrderStatus.ACTIVATED, "Cancelled": OrderStatus.CANCELED,
                     "Failed": OrderStatus.CANCELED, "Reverted": OrderStatus.CANCELED}
# The hub's billing periods -> Zuora's `BillingPeriod` enum, where they are spelled differently.
BILLING_PERIODS = {"Semi-Annual": "Semi_Annual", "Semiannual": "Semi_Annual"}
PERIODS_FROM_ZUORA = {"Semi_Annual": "Semi-Annual"}
STATUS_TO_ZUORA = {OrderStatus.DRAFT: "Draft", OrderStatus.ACTIVATED: "Completed",
                   OrderStatus.CANCELED: "Cancelled"}


@dataclass(frozen=True)
class Plan:
    sku: str
    rate_plan_id: str
    charge_id: str
    item: CatalogItem


def plans_of(product: dict) -> dict[str, Plan]:
    """SKU -> plan for a catalog product (the product's `sku`; one rate plan and one charge)."""
    plans = {}
    for rate_plan in product.get("productRatePlans", []):
        charges = rate_plan.get("productRatePlanCharges") or [{}]
        charge = charges[0]
        prices = charge.get("pricing") or [{}]
        sku = product.get("sku") or rate_plan.get("productRatePlanNumber")
        item = CatalogItem(sku=sku, name=product.get("name", sku),
                           list_price=Decimal(str(prices[0].get("price", 0))).quantize(CENT),
                           currency=prices[0].get("currency", "USD"),
                           billing_period=charge.get("billingPeriod", "Month"))
        plans[sku] = Plan(sku, rate_plan["id"], charge.get("id", ""), item)
    return plans


def contact_of(raw: dict | None) -> Contact | None:
    """A contact as Zuora reads it back (`Contact`: `zipCode`, and `postalCode` in newer
    tenants)."""
    if not raw:
        return None
    postal_code = raw.get("zipCode") or raw.get("postalCode") or ""
    address = Address(line1=raw.get("address1") or "", city=raw.get("city") or "",
                      state=raw.get("state") or "", postal_code=postal_code,
                      country=raw.get("country") or "")
    return Contact(email=raw.get("workEmail") or "", first_name=raw.get("firstName") or "",
                   last_name=raw.get("lastName") or "", phone=raw.get("workPhone") or "",
                   address=address if any(vars(address).values()) else None)


def customer_of(raw: dict) -> Customer:
    basic, billing = raw["basicInfo"], raw.get("billingAndPayment") or {}
    bill_to, sold_to = contact_of(raw.get("billToContact")), contact_of(raw.get("soldToContact"))
    return Customer(name=basic["name"], email=bill_to.email if bill_to else "",
                    currency=billing.get("currency") or "USD",
                    account_id=basic["accountNumber"], crm_id=basic.get("crmId") or None,
                    bill_to=bill_to, sold_to=sold_to)


def contact_body(contact: Contact, customer: Customer, postal: str) -> dict:
    """Zuora requires first and last name; a customer known only by email and company name gets
    the email's local part and the company name. `postal` is how the endpoint spells the postal
    code: `postalCode` in an order's `newAccount`, `zipCode` for `POST /v1/accounts`. The email
    is written in lower case, so that exact-match lookups find it (`find_account_by_email`)."""
    address = contact.address or Address()
    body = {"firstName": contact.first_name or contact.email.split("@")[0] or customer.name,
            "lastName": contact.last_name or customer.name,
            "workEmail": contact.email.strip().lower(), "workPhone": contact.phone,
            "address1": address.line1, "city": address.city, "state": address.state,
            postal: address.postal_code, "country": address.country}
    return {k: v for k, v in body.items() if v}


def account_body(customer: Customer, currency: str, terms: BillingTerms | None = None, *,
                  postal: str) -> dict:
    bill_to = customer.bill_to or Contact(email=customer.email)
    body = {"name": customer.name, "currency": currency or customer.currency, "autoPay": False,
            "billCycleDay": (terms.bill_cycle_day if terms and terms.bill_cycle_day else 0),
            "billToContact": contact_body(bill_to, customer, postal)}
    if customer.sold_to:
        body["soldToContact"] = contact_body(customer.sold_to, customer, postal)
    if customer.crm_id:
        body["crmId"] = customer.crm_id
    if terms:
        body["paymentTerm"] = terms.payment_term
    return body


def discount_of(list_price: Decimal, net_price: Decimal) -> Discount | None:
    """What a net price below list reads back as: Zuora keeps only the price, so the discount is
    the percentage off when it gives the net price to the cent, else the unit amount off
    (assumed: docs/vendor-assumptions.md, Zuora)."""
    if not list_price or net_price >= list_price:
        return None
    percent = ((1 - net_price / list_price) * 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if (list_price * (1 - percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP) == net_price:
        return Discount(percent=percent.normalize())
    return Discount(amount=list_price - net_price)


def line_tokens(lines: Iterable[OrderLine], seed: str) -> list[str]:
    """A `uniqueToken` for every rate plan: a line's own id, else one derived from `seed` (the
    idempotency key, or the order number) and the line's place, so a retry sends the same body.
    At most 50 characters; unique across orders too, as Salesforce upserts lines by it. That
    Zuora returns it on every read is assumed (docs/vendor-assumptions.md, Zuora)."""
    used, tokens, n = {line.line_id for line in lines if line.line_id}, [], 0
    for line in lines:
        token = line.line_id
        while not token or token in used and not line.line_id:
            n += 1
            token = "L" + hashlib.sha256(f"{seed}\n{n}".encode()).hexdigest()[:20]
        used.add(token)
        tokens.append(token)
    return tokens


def rate_plan_tokens(order: dict) -> set[str]:
    """The `uniqueToken`s of an order's rate plans, in a request body or a read-back."""
    return {entry.get("uniqueToken") for sub in order.get("subscriptions", [])
            for action in sub.get("orderActions", [])
            for entry in (action.get("createSubscription") or {}).get("subscribeToRatePlans", [])
            if entry.get("uniqueToken")}


def subscription_payment_term(raw: dict) -> str | None:
    for sub in raw.get("subscriptions", []):
        for action in sub.get("orderActions", []):
            term = (action.get("createSubscription") or {}).get("paymentTerm")
            if term:
                return term
    return None


def zoql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def url_path(template: str, key: str) -> str:
    return template.format(quote(str(key), safe=""))


def json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def updated_at(raw: dict) -> dt.datetime:
    """Zuora's `updatedDate` ("2026-11-22 10:00:00", tenant time; the sandbox's is UTC)."""
    stamp = dt.datetime.strptime(raw["updatedDate"], "%Y-%m-%d %H:%M:%S")
    return stamp.replace(tzinfo=dt.UTC)
