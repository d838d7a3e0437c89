"""The canonical records both sides are translated into.

Billing connectors turn Zuora/Nue shapes into these and back; the Salesforce side does the same.
Money and quantities are `Decimal`; dates are `datetime.date`. Records are immutable so that a
fingerprint taken of one stays true.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    DRAFT = "Draft"
    ACTIVATED = "Activated"
    CANCELED = "Canceled"


@dataclass(frozen=True)
class Address:
    line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class Contact:
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Customer:
    """A billing account. `account_id` is the vendor's account number/id (None before creation);
    `crm_id` is the Salesforce Account Id stored on it (Zuora `crmId`, Nue `externalId`)."""

    name: str
    email: str
    currency: str = "USD"
    account_id: str | None = None
    crm_id: str | None = None
    bill_to: Contact | None = None
    sold_to: Contact | None = None

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return tuple(c for c in (self.bill_to, self.sold_to) if c is not None)


@dataclass(frozen=True)
class Discount:
    """A line discount: a percentage of list price, or a fixed amount off the line."""

    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: Decimal
    list_price: Decimal  # per unit, before discount
    net_price: Decimal  # per unit, after discount
    line_id: str | None = None  # the billing line id (None before creation)
    discount: Discount | None = None
    description: str = ""

    @property
    def total(self) -> Decimal:
        return self.net_price * self.quantity


@dataclass(frozen=True)
class BillingTerms:
    billing_period: str = "Month"  # "Month", "Quarter", "Annual"
    payment_term: str = "Due Upon Receipt"  # e.g. "Net 30"
    bill_cycle_day: int | None = None


@dataclass(frozen=True)
class DraftOrder:
    """An order as the billing platform holds it (a draft until activated).

    `order_id` is the vendor's order number/id (None before creation); `account_id` the billing
    account; `customer` is filled when the connector fetched it alongside the order.
    """

    currency: str
    order_date: dt.date
    lines: tuple[OrderLine, ...]
    status: OrderStatus = OrderStatus.DRAFT
    order_id: str | None = None
    account_id: str | None = None
    terms: BillingTerms = field(default_factory=BillingTerms)
    custom_fields: tuple[tuple[str, str], ...] = ()  # sorted (name, value) pairs
    checkout_url: str | None = None
    customer: Customer | None = None
    # When billing last changed the order, by billing's clock, where the vendor says: not content
    # (not compared, not fingerprinted).
    updated_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def custom_field_map(self) -> dict[str, str]:
        return dict(self.custom_fields)


@dataclass(frozen=True)
class CatalogItem:
    """A sellable plan in the billing catalog, keyed by SKU (= Salesforce Product2.ProductCode)."""

    sku: str
    name: str
    list_price: Decimal
    currency: str = "USD"
    billing_period: str = "Month"
