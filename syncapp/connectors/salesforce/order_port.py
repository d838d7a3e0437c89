"""The port's Orders: read one as a draft, write the graph of a billing order, write billing's ids
back, change its status, delete it, and the listings reconcile and the console need.

Every method answers domain records (`DraftOrder` inside a `SalesforceOrder`) or the small typed
records below; the SOQL and the custom field names stay in this package.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from syncapp import conf
from syncapp.domain.records import DraftOrder
from syncapp.exceptions import NotFoundError

from .calls import SalesforceCalls
from .orders import (
    LINE_EXT_ID,
    ORDER_EXT_ID,
    SalesforceOrder,
    SalesforceSide,
    billing_ids_records,
    order_from_row,
    order_graph,
    orders_soql,
)
from .soql import soql

# Whether an org's Orders carry CurrencyIsoCode (multi-currency is on), asked once per process
# with a describe: an org cannot switch multi-currency off again.
_MULTI_CURRENCY: dict[tuple[str, str], bool] = {}


@dataclass(frozen=True)
class WrittenOrder:
    """What Salesforce holds now of an order the sync wrote: its Order's status and the OrderItem
    of each billing line."""

    order_id: str
    status: str
    items: dict[str, str] = field(default_factory=dict)  # billing line id → OrderItem Id


@dataclass(frozen=True)
class OrderSummary:
    """An Order as the deletion preview lists it."""

    order_id: str
    number: str
    status: str
    total: Decimal | None
    account_id: str
    items: int


@dataclass(frozen=True)
class LinkedOrder:
    """A Salesforce Order carrying a billing order id."""

    order_id: str
    billing_order_id: str


class OrderPort(SalesforceCalls):
    """Mixed into `SalesforceConnector`: what the order flows ask of Salesforce's Orders."""

    # --- reading -------------------------------------------------------------------------------
    def read_order(self, order_id: str, custom_fields: dict[str, str] | None = None) -> SalesforceOrder:
        """An Order with its items, Account and bill-to Contact (None when it names none).
        `custom_fields` maps billing custom field names to Order fields to read into the draft.
        Raises NotFoundError when there is no such Order."""
        rows = self.query(orders_soql(soql("Id = {}", order_id), custom_fields))
        if not rows:
            raise NotFoundError(f"No Salesforce Order {order_id}", code="NOT_FOUND", vendor="salesforce")
        return order_from_row(rows[0], custom_fields)

    def orders_by_billing_ids(self, billing_order_ids: list[str],
                              custom_fields: dict[str, str] | None = None) -> Iterator[SalesforceOrder]:
        """The Orders carrying these billing order ids, read as `read_order` does, one query."""
        query = orders_soql(soql(f"{ORDER_EXT_ID} IN {{}}", billing_order_ids), custom_fields)
        for row in self.query_iter(query):
            yield order_from_row(row, custom_fields)

    def written_order(self, billing_order_id: str) -> WrittenOrder | None:
        """The Order the sync wrote for this billing order, read afresh; None when there is none."""
        rows = self.query(soql(f"SELECT Id, Status FROM Order WHERE {ORDER_EXT_ID} = {{}}", billing_order_id))
        if not rows:
            return None
        items = {r[LINE_EXT_ID]: r["Id"] for r in self.query(soql(
            f"SELECT Id, {LINE_EXT_ID} FROM OrderItem WHERE OrderId = {{}}", rows[0]["Id"])) if r.get(LINE_EXT_ID)}
        return WrittenOrder(rows[0]["Id"], rows[0]["Status"], items)

    def order_currency(self, order_id: str) -> str:
        """The Order's currency: its CurrencyIsoCode in a multi-currency org (the field exists only
        there), else the org's one currency (`SALESFORCE_CURRENCY`)."""
        org = (self.config.instance_url or "", self.config.username or "")
        if org not in _MULTI_CURRENCY:
            _MULTI_CURRENCY[org] = any(f["name"] == "CurrencyIsoCode" for f in self.describe("Order")["fields"])
        if _MULTI_CURRENCY[org]:
            rows = self.query(soql("SELECT CurrencyIsoCode FROM Order WHERE Id = {}", order_id))
            if rows and rows[0].get("CurrencyIsoCode"):
                return rows[0]["CurrencyIsoCode"]
        return conf.salesforce_currency()

    def order_status(self, order_id: str) -> str:
        """The Order's status now; NotFoundError when it does not exist (any more)."""
        return self.get("Order", order_id, fields=["Status"])["Status"]

    def order_summaries(self, order_ids: Iterable[str]) -> dict[str, OrderSummary]:
        """The Orders that exist among `order_ids`, with their number of items (two calls)."""
        ids = sorted(set(order_ids))
        orders = self.query(soql(
            "SELECT Id, OrderNumber, Status, TotalAmount, AccountId FROM Order WHERE Id IN {}", ids))
        items = [r["OrderId"] for r in self.query(soql("SELECT Id, OrderId FROM OrderItem WHERE OrderId IN {}", ids))]
        return {o["Id"]: OrderSummary(
            o["Id"], o.get("OrderNumber") or "", o["Status"],
            Decimal(str(o["TotalAmount"])) if o.get("TotalAmount") is not None else None,
            o.get("AccountId") or "", items.count(o["Id"])) for o in orders}

    # --- listings for reconcile -------------------------------------------------------------------
    def orders_with_billing_ids(self, changed_since: dt.datetime | None = None) -> Iterator[LinkedOrder]:
        """Every Order carrying a billing order id (changed since a moment, if given), page by page."""
        where = f"{ORDER_EXT_ID} != null"
        if changed_since:
            where += soql(" AND LastModifiedDate >= {}", changed_since.astimezone(dt.UTC))
        for row in self.query_iter(f"SELECT Id, {ORDER_EXT_ID} FROM Order WHERE {where}"):
            yield LinkedOrder(row["Id"], row[ORDER_EXT_ID])

    def drafts_never_pushed(self) -> Iterator[str]:
        """The Ids of Salesforce-origin draft Orders that carry no billing order id."""
        for row in self.query_iter(f"SELECT Id FROM Order WHERE Sync_Origin__c = 'Salesforce' "
                                   f"AND {ORDER_EXT_ID} = null AND Status = 'Draft'"):
            yield row["Id"]

    def existing_orders(self, order_ids: list[str]) -> set[str]:
        """Those of `order_ids` that are Orders in Salesforce now (no call for none)."""
        if not order_ids:
            return set()
        return {row["Id"] for row in self.query_iter(soql("SELECT Id FROM Order WHERE Id IN {}", order_ids))}

    # --- writing -----------------------------------------------------------------------------------
    def order_graph(self, graph_id: str, order: DraftOrder, side: SalesforceSide) -> dict:
        """The composite graph that makes Salesforce show `order` (`orders.order_graph`); send it,
        alone or with others, with `graph`."""
        return order_graph(graph_id, order, side, self.data_path)

    def write_billing_ids(self, order_id: str, billing_order_id: str, checkout_url: str | None, origin: str,
                          line_ids: dict[str, str]) -> None:
        """Put the billing order id, checkout link and origin on the Order and each OrderItem's
        billing line id (OrderItem Id → line id) on it, in one call."""
        self.collection_update(billing_ids_records(order_id, billing_order_id, checkout_url, origin, line_ids))

    def set_order_status(self, order_id: str, status: str) -> None:
        self.update("Order", order_id, {"Status": status})

    def delete_order(self, order_id: str) -> None:
        """Delete the Order with its OrderItems; NotFoundError when it is already gone."""
        self.delete("Order", order_id)
