"""Draft orders as Salesforce Orders and OrderItems, both ways.

Pure translation, no calls (the port's `order_port.py` makes them). Writing (billing →
Salesforce): the caller supplies what it knows about the Salesforce side — the Account, the
standard price book and its entries per SKU, the OrderItem of each billing line already there,
and the Order's current status — and the graph is sent with `SalesforceConnector.graph`. Reading
(Salesforce → billing): one SOQL query with the items as a subquery (`orders_soql`), each row
turned into a `SalesforceOrder` (`order_from_row`).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from syncapp import conf
from syncapp.domain.records import (
    Address,
    BillingTerms,
    Contact,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)

ORDER_EXT_ID = "Billing_Order_Id__c"
LINE_EXT_ID = "Billing_Line_Id__c"
ORIGIN_LABELS = {"billing": "Billing", "salesforce": "Salesforce"}
# The custom fields the hub writes (shipped in salesforce/force-app/main/default/objects), for the
# `doctor` preflight to check in an org.
WRITTEN_FIELDS = {
    "Order": (ORDER_EXT_ID, "Sync_Origin__c", "Billing_Checkout_URL__c", "Billing_Period__c", "Payment_Term__c"),
    "OrderItem": (LINE_EXT_ID, "Discount_Percent__c"),
}
EXTERNAL_IDS = {ORDER_EXT_ID, LINE_EXT_ID}  # upserts key on them


@dataclass
class SalesforceSide:
    """What the hub knows of the Salesforce copy of one order."""

    account_id: str
    pricebook_id: str
    entries: dict[str, str]  # SKU → PricebookEntry Id
    items: dict[str, str] = field(default_factory=dict)  # billing line id → OrderItem Id
    status: str = ""  # the Salesforce Order's status, "" when it does not exist yet
    origin: str = "billing"
    custom_fields: dict[str, str] = field(default_factory=dict)  # billing field → Order field
    currency: str = ""  # the Order's CurrencyIsoCode in a multi-currency org, else ""


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def order_fields(order: DraftOrder, side: SalesforceSide) -> dict:
    fields = {
        "EffectiveDate": order.order_date.isoformat(),
        "Sync_Origin__c": ORIGIN_LABELS[side.origin],
        "Billing_Checkout_URL__c": order.checkout_url,
        "Billing_Period__c": order.terms.billing_period,
        "Payment_Term__c": order.terms.payment_term,
    }
    for billing_name, sf_name in side.custom_fields.items():
        if billing_name in order.custom_field_map:
            fields[sf_name] = order.custom_field_map[billing_name]
    if side.status in ("", OrderStatus.DRAFT):
        fields.update(AccountId=side.account_id, Pricebook2Id=side.pricebook_id, Status=OrderStatus.DRAFT.value)
        if side.currency:
            fields["CurrencyIsoCode"] = side.currency
    return fields


def item_fields(line: OrderLine, order_ref: str, side: SalesforceSide) -> dict:
    fields = {"Quantity": float(line.quantity), "UnitPrice": _money(line.net_price),
              "Discount_Percent__c": _money(line.discount.percent) if line.discount else None,
              "Description": line.description or None}
    if line.line_id not in side.items:  # OrderId and PricebookEntryId are set once, on create
        fields.update(OrderId=order_ref, PricebookEntryId=side.entries[line.sku])
    return fields


def order_graph(graph_id: str, order: DraftOrder, side: SalesforceSide, data_path: Callable[[str], str]) -> dict:
    """The graph that makes Salesforce show `order`: upsert the Order by its billing id, upsert each
    line's OrderItem by line id, delete items whose lines are gone, and set the final status last
    (items can only change while the Order is a draft). `data_path(p)` gives `/services/data/vX/p`."""
    nodes = [{"method": "PATCH", "referenceId": "order",
              "url": data_path(f"sobjects/Order/{ORDER_EXT_ID}/{order.order_id}"),
              "body": order_fields(order, side)}]
    if side.status in ("", OrderStatus.DRAFT):
        for i, line in enumerate(order.lines):
            nodes.append({"method": "PATCH", "referenceId": f"item{i}",
                          "url": data_path(f"sobjects/OrderItem/{LINE_EXT_ID}/{line.line_id}"),
                          "body": item_fields(line, "@{order.id}", side)})
        current = {line.line_id for line in order.lines}
        for j, (line_id, item_id) in enumerate(sorted(side.items.items())):
            if line_id not in current:
                nodes.append({"method": "DELETE", "referenceId": f"delete{j}",
                              "url": data_path(f"sobjects/OrderItem/{item_id}")})
    if order.status != OrderStatus.DRAFT and side.status != order.status:
        nodes.append({"method": "PATCH", "referenceId": "status", "url": data_path("sobjects/Order/@{order.id}"),
                      "body": {"Status": order.status.value}})
    return {"graphId": graph_id, "compositeRequest": nodes}


def written_ids(order: DraftOrder, graph_result: dict) -> tuple[str, dict[str, str]]:
    """The Order Id and the OrderItem Id of each line from a successful graph's answer."""
    responses = {n["referenceId"]: n for n in graph_result["graphResponse"]["compositeResponse"]}
    order_id: str = responses["order"]["body"]["id"]
    items = {line.line_id: responses[f"item{i}"]["body"]["id"]
             for i, line in enumerate(order.lines) if line.line_id and f"item{i}" in responses}
    return order_id, items


def billing_ids_records(order_id: str, billing_order_id: str, checkout_url: str | None, origin: str,
                        line_ids: dict[str, str]) -> list[dict]:
    """The records that put the billing ids and checkout link on an Order and its OrderItems
    (OrderItem Id → billing line id), for one collection update."""
    records = [{"attributes": {"type": "Order"}, "Id": order_id, ORDER_EXT_ID: billing_order_id,
                "Billing_Checkout_URL__c": checkout_url, "Sync_Origin__c": ORIGIN_LABELS["billing" if origin == "billing" else "salesforce"]}]
    records += [{"attributes": {"type": "OrderItem"}, "Id": item_id, LINE_EXT_ID: line_id}
                for item_id, line_id in line_ids.items()]
    return records


# --- reading a Salesforce Order (Salesforce → billing) ----------------------------------------

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ORDER_FIELDS = (
    "Id, Status, EffectiveDate, AccountId, Account.Name, Account.Website, Account.BillingStreet, "
    "Account.BillingCity, Account.BillingState, Account.BillingPostalCode, Account.BillingCountry, "
    "BillToContactId, BillToContact.Email, BillToContact.FirstName, BillToContact.LastName, "
    "BillToContact.Phone, Billing_Order_Id__c, Billing_Checkout_URL__c, Billing_Period__c, Payment_Term__c, "
    "Sync_Origin__c, Pricebook2Id")
_ITEM_FIELDS = ("Id, Quantity, UnitPrice, ListPrice, Discount_Percent__c, Description, Billing_Line_Id__c, "
                "PricebookEntry.ProductCode")


@dataclass
class SalesforceOrder:
    """A Salesforce Order as a billing draft, with what billing needs to know about its Account."""

    id: str
    status: str
    origin: str  # "billing" | "salesforce" | "" (never synced)
    draft: DraftOrder  # order_id = Billing_Order_Id__c; line_id = Billing_Line_Id__c (None if new)
    item_ids: list[str]  # the OrderItem Id of each draft line, in order
    account_id: str
    account_name: str
    contact: Contact | None


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def contact_from_row(row: dict | None, address: Address | None = None) -> Contact | None:
    if not row or not row.get("Email"):
        return None
    return Contact(email=row["Email"], first_name=row.get("FirstName") or "", last_name=row.get("LastName") or "",
                   phone=row.get("Phone") or "", address=address)


def _mapped(custom_fields: dict[str, str] | None) -> dict[str, str]:
    return {b: s for b, s in (custom_fields or {}).items() if _FIELD_NAME.match(s)}


def orders_soql(where: str, custom_fields: dict[str, str] | None = None) -> str:
    """The query reading Orders with their items, Account and bill-to Contact; `where` is a SOQL
    condition built with `soql()`. Its rows go through `order_from_row`."""
    extra = "".join(f", {name}" for name in sorted(set(_mapped(custom_fields).values())))
    if conf.salesforce_multi_currency():
        extra += ", CurrencyIsoCode"
    return (f"SELECT {_ORDER_FIELDS}{extra}, (SELECT {_ITEM_FIELDS} FROM OrderItems "
            f"ORDER BY CreatedDate, Id) FROM Order WHERE {where}")


def order_from_row(row: dict, custom_fields: dict[str, str] | None = None) -> SalesforceOrder:
    """One row of `orders_soql` as a `SalesforceOrder`."""
    mapped = _mapped(custom_fields)
    account = row.get("Account") or {}
    address = Address(account.get("BillingStreet") or "", account.get("BillingCity") or "",
                      account.get("BillingState") or "", account.get("BillingPostalCode") or "",
                      account.get("BillingCountry") or "")
    contact = contact_from_row(row.get("BillToContact"), address)
    items = ((row.get("OrderItems") or {}).get("records")) or []
    lines = []
    for item in items:
        percent = _decimal(item.get("Discount_Percent__c"))
        net = Decimal(str(item["UnitPrice"]))
        list_price = _decimal(item.get("ListPrice")) or net
        lines.append(OrderLine(
            sku=(item.get("PricebookEntry") or {}).get("ProductCode") or "", quantity=Decimal(str(item["Quantity"])),
            list_price=list_price, net_price=net, line_id=item.get("Billing_Line_Id__c") or None,
            discount=Discount(percent=percent) if percent else None, description=item.get("Description") or ""))
    draft = DraftOrder(
        currency=row.get("CurrencyIsoCode") or conf.salesforce_currency(),
        order_date=dt.date.fromisoformat(row["EffectiveDate"]), lines=tuple(lines),
        status=OrderStatus(row["Status"]) if row["Status"] in OrderStatus._value2member_map_ else OrderStatus.DRAFT,
        order_id=row.get("Billing_Order_Id__c") or None,
        terms=BillingTerms(billing_period=row.get("Billing_Period__c") or "Month",
                           payment_term=row.get("Payment_Term__c") or "Due Upon Receipt"),
        custom_fields=tuple(sorted((b, str(row[s])) for b, s in mapped.items() if row.get(s) is not None)),
        checkout_url=row.get("Billing_Checkout_URL__c") or None)
    origin = {"Billing": "billing", "Salesforce": "salesforce"}.get(row.get("Sync_Origin__c") or "", "")
    return SalesforceOrder(id=row["Id"], status=row["Status"], origin=origin, draft=draft,
                           item_ids=[i["Id"] for i in items], account_id=row["AccountId"],
                           account_name=account.get("Name") or "", contact=contact)
