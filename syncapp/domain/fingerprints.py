"""Content fingerprints of orders, for echo suppression.

Two orders with the same fingerprint say the same thing to the other side: same status, date,
currency, lines (ids, SKUs, quantities, prices, discounts), billing terms, custom fields and
checkout link. The customer's contact details are not part of it.
"""
import hashlib
import json
from decimal import Decimal

from syncapp.domain.records import DraftOrder


def _num(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def canonical(order: DraftOrder) -> dict:
    return {
        "status": str(order.status),
        "order_date": order.order_date.isoformat(),
        "currency": order.currency,
        "lines": sorted(
            ([line.line_id or "", line.sku, _num(line.quantity), _num(line.list_price), _num(line.net_price),
              _num(line.discount.percent) if line.discount else None,
              _num(line.discount.amount) if line.discount else None, line.description]
             for line in order.lines), key=lambda row: [str(x) for x in row]),
        "terms": [order.terms.billing_period, order.terms.payment_term, order.terms.bill_cycle_day],
        "custom_fields": sorted([k, v] for k, v in order.custom_fields),
        "checkout_url": order.checkout_url or "",
    }


def fingerprint(order: DraftOrder) -> str:
    return hashlib.sha256(json.dumps(canonical(order), sort_keys=True).encode()).hexdigest()
