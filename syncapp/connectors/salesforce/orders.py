"""Billing draft orders as Salesforce Orders and OrderItems: the composite graph that writes one.

Pure translation (no calls, no ORM): the caller supplies what it knows about the Salesforce side —
the Account, the standard price book and its entries per SKU, the OrderItem of each billing line
already there, and the Order's current status — and sends the graph with `SalesforceConnector.graph`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from syncapp.domain.records import DraftOrder, OrderStatus

ORDER_EXT_ID = "Billing_Order_Id__c"
LINE_EXT_ID = "Billing_Line_Id__c"
ORIGIN_LABELS = {"billing": "Billing", "salesforce": "Salesforce"}


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
    return fields


def item_fields(line, order_ref: str, side: SalesforceSide) -> dict:
    fields = {"Quantity": float(line.quantity), "UnitPrice": _money(line.net_price),
              "Discount_Percent__c": _money(line.discount.percent) if line.discount else None,
              "Description": line.description or None}
    if line.line_id not in side.items:  # OrderId and PricebookEntryId are set once, on create
        fields.update(OrderId=order_ref, PricebookEntryId=side.entries[line.sku])
    return fields


def order_graph(graph_id: str, order: DraftOrder, side: SalesforceSide, data_path) -> dict:
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
    order_id = responses["order"]["body"]["id"]
    items = {line.line_id: responses[f"item{i}"]["body"]["id"]
             for i, line in enumerate(order.lines) if f"item{i}" in responses}
    return order_id, items
