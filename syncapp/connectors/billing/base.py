"""The contract every billing vendor's connector fulfils.

The rest of the hub knows billing only through these methods and the `domain` records; it never
sees a vendor's JSON. Every method raises only the taxonomy in `syncapp.exceptions`
(`TransientError`, `PermanentError`, `NotFoundError`). Creates carry an idempotency key so a retry
after a lost response does not create twice.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Protocol

from syncapp.connectors.http import DEFAULT_TIMEOUT, Recorder, Timeout
from syncapp.domain.records import CatalogItem, Customer, DraftOrder
from syncapp.exceptions import PermanentError


class BillingConnector(ABC):
    provider: str = ""
    base_url: str  # the vendor API's root, set by each vendor's client
    recorder: Recorder | None = None  # where each call is reported (a `CallRecord`)
    #: Order actions ("get", "update", "cancel", "delete") whose endpoint the vendor's reference
    #: does not document, so the hub assumes one (docs/vendor-assumptions.md). Should the vendor
    #: answer that there is no such endpoint, the method raises `UnsupportedError`; the console
    #: can warn before offering the action.
    assumed_actions: frozenset[str] = frozenset()

    @classmethod
    @abstractmethod
    def from_settings(cls, recorder: Recorder | None = None,
                      timeout: Timeout = DEFAULT_TIMEOUT) -> BillingConnector:
        """Build the connector from Django settings (base URL, credentials); `timeout` is
        (connect, read) seconds for each call."""

    # --- catalog ---------------------------------------------------------------------------
    @abstractmethod
    def catalog(self) -> dict[str, CatalogItem]:
        """Every sellable SKU → its catalog item. Connectors may cache it for a few minutes."""

    # --- accounts --------------------------------------------------------------------------
    @abstractmethod
    def find_account_by_email(self, email: str) -> Customer | None:
        """The billing account whose bill-to contact has this email (case-insensitive), or None.
        When several do, the oldest."""

    @abstractmethod
    def find_account_by_crm_id(self, crm_id: str) -> Customer | None:
        """The billing account carrying this Salesforce Account Id, or None."""

    @abstractmethod
    def get_account(self, account_id: str) -> Customer:
        """The account by its number/id; `NotFoundError` when there is none."""

    @abstractmethod
    def create_account(self, customer: Customer, *, idempotency_key: str) -> Customer:
        """Create a billing account (name, currency, bill-to contact, crm id); return it with
        `account_id` set."""

    @abstractmethod
    def set_account_crm_id(self, account_id: str, crm_id: str) -> None:
        """Store the Salesforce Account Id on the billing account (Zuora `crmId`)."""

    # --- orders ----------------------------------------------------------------------------
    @abstractmethod
    def create_order(self, order: DraftOrder, *, idempotency_key: str) -> DraftOrder:
        """Create an order. `order.account_id` names an existing account; otherwise
        `order.customer` describes a new account created with the order (its `crm_id` included).
        `order.status` DRAFT creates a draft; ACTIVATED a completed order. Lines are matched to the
        catalog by SKU (`PermanentError` code `unknown_sku` for one that is not sold). Returns the
        order as stored, with `order_id`, `account_id`, line ids and `checkout_url`."""

    @abstractmethod
    def get_order(self, order_id: str) -> DraftOrder:
        """The current state of an order, with its customer; `NotFoundError` when deleted."""

    @abstractmethod
    def update_order(self, order: DraftOrder) -> DraftOrder:
        """Replace a draft's lines, terms and custom fields with `order`'s (the sender wins).
        Lines with a `line_id` update that line; lines without one are added; the draft's other
        lines are removed. `PermanentError` code `order_not_draft` when it is no longer a draft."""

    @abstractmethod
    def activate_order(self, order_id: str) -> DraftOrder:
        """Activate a draft; activating an activated order returns it unchanged."""

    @abstractmethod
    def cancel_order(self, order_id: str) -> DraftOrder:
        """Cancel an order."""

    @abstractmethod
    def delete_order(self, order_id: str) -> None:
        """Delete an order; deleting one that is already gone is not an error."""

    @abstractmethod
    def list_orders(self, *, status: str | None = None, updated_since: dt.datetime | None = None
                    ) -> Iterator[DraftOrder]:
        """All orders (optionally of one status, or changed since a moment), page by page."""


class OrderBilling(Protocol):
    """What syncing a billing order to Salesforce asks of billing: a `BillingConnector`, or one
    answering some reads from what it read ahead (`syncapp/sync/prefetch.py`)."""

    def get_order(self, order_id: str) -> DraftOrder: ...

    def get_account(self, account_id: str) -> Customer: ...

    def set_account_crm_id(self, account_id: str, crm_id: str) -> None: ...


def billing_order_id(order: DraftOrder, vendor: str) -> str:
    """The billing id of an order that has one (read from billing, or just created there): an
    update or a read-back of an order without one is refused, never sent to a made-up URL or
    queued under a made-up id."""
    if not order.order_id:
        raise PermanentError(f"The order has no {vendor} id", code="invalid_order", vendor=vendor)
    return order.order_id


def billing_account_id(customer: Customer, vendor: str) -> str:
    """The billing id of an account read from billing, or just created there (only an account not
    created yet has none): an answer without one is refused, never stored as a link."""
    if not customer.account_id:
        raise PermanentError(f"The account has no {vendor} id", code="invalid_response", vendor=vendor)
    return customer.account_id
