"""The baseline for benchmark 3: billing → Salesforce the naive way, one REST call per record —
upsert the Order by its billing id, then for each line look its PricebookEntry up and create
the OrderItem. What an integration written without composite resources costs; kept here, never
used by the hub. Writes under its own external ids (`NAIVE-…`) so it never touches the hub's."""
from __future__ import annotations


def sync_naively(sf, order) -> None:
    """One order, with `sf` a `SalesforceConnector` (its `calls` counts what this costs)."""
    order_id, _ = sf.upsert("Order", "Billing_Order_Id__c", f"NAIVE-{order.order_id}", {
        "AccountId": order.customer.crm_id, "EffectiveDate": order.order_date.isoformat(), "Status": "Draft",
        "Pricebook2Id": standard_pricebook(sf)})
    for line in order.lines:
        entry = sf.query("SELECT Id FROM PricebookEntry WHERE Product2.ProductCode = '{}' AND "
                         "Pricebook2.IsStandard = true".format(line.sku.replace("'", "")))[0]["Id"]
        sf.create("OrderItem", {"OrderId": order_id, "PricebookEntryId": entry, "Quantity": float(line.quantity),
                                "UnitPrice": float(line.net_price), "Billing_Line_Id__c": f"NAIVE-{line.line_id}"})


_pricebook: dict = {}


def standard_pricebook(sf) -> str:
    if "id" not in _pricebook:  # looked up once per run, as any integration would
        _pricebook["id"] = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"]
    return _pricebook["id"]
