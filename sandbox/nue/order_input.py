"""Reading an order request body (`POST /orders`, `PATCH /orders/{id}`) into checked values.

Nue's documented body: `customer: {id}`, `effectiveDate`, `orderProducts: [{priceBookEntryId,
quantity, subscriptionStartDate, subscriptionTerm, addOns: [{productOptionId, addOns}]}]`, `name`,
`description`, `options: {previewInvoice, calculateTax}`, `billToContact: {id}`; `customer.id`,
`effectiveDate` and `orderProducts` are required. Also accepted (assumptions, listed in
docs/vendor-assumptions.md, Nue): `discount` (percent) or `discountAmount` (off the line) and
`description` per product, order-level `billingPeriod`, `paymentTerm`, `billCycleDay`, and custom
fields `Name__c`. Anything else is refused (`INVALID_FIELD`): no `productSku`, no `listPrice` (the
price is the price book entry's), no inline new customer.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sandbox.nue.catalog import find_product
from sandbox.nue.models import Product
from sandbox.nue.validate import BILLING_PERIODS, Checker

ORDER_FIELDS = {"customer", "effectiveDate", "orderProducts", "name", "description", "options",
                "billToContact", "billingPeriod", "paymentTerm", "billCycleDay"}
# `id` names an existing order product; only an update (PATCH, an assumption) takes it.
LINE_FIELDS = {"priceBookEntryId", "description", "quantity", "discount", "discountAmount",
               "subscriptionStartDate", "subscriptionTerm", "addOns"}
OPTIONS = {"previewInvoice", "calculateTax"}
ADD_ON_FIELDS = {"productOptionId", "addOns"}
PER_UNIT = Decimal("0.0001")


@dataclass
class LineInput:
    id: str | None
    product: Product
    quantity: Decimal
    list_price: Decimal
    discount: Decimal | None
    discount_amount: Decimal | None
    net_sales_price: Decimal
    subscription_start_date: object
    subscription_term: int
    billing_period: str
    description: str = ""
    custom_fields: dict = field(default_factory=dict)


def order_terms(check: Checker, data: dict) -> dict:
    """Order-level settings present in the body, as model fields."""
    terms = {"name": check.text(data, "name", "name"),
             "description": check.text(data, "description", "description", max_length=32000),
             "effective_date": check.date(data, "effectiveDate", "effectiveDate"),
             "billing_period": check.choice(data, "billingPeriod", "billingPeriod",
                                            BILLING_PERIODS),
             "payment_term": check.text(data, "paymentTerm", "paymentTerm", max_length=40),
             "bill_cycle_day": check.integer(data, "billCycleDay", "billCycleDay", minimum=1,
                                             maximum=31)}
    _options(check, data.get("options"))
    return {k: v for k, v in terms.items() if v is not None}


def _options(check: Checker, options) -> None:
    if options is None:
        return
    if not isinstance(options, dict):
        check.fail("INVALID_FIELD_VALUE", "options must be an object.", "options")
        return
    check.known_fields(options, OPTIONS, "options.", custom=False)
    for key in OPTIONS & set(options):
        if not isinstance(options[key], bool):
            check.fail("INVALID_FIELD_VALUE", f"{key} must be true or false.", "options." + key)


def _add_ons(check: Checker, add_ons, where: str) -> None:
    """`addOns`: a list of `{productOptionId, addOns}`, nested as deep as the bundle goes."""
    if not isinstance(add_ons, list):
        check.fail("INVALID_FIELD_VALUE", "addOns must be a list.", where)
        return
    for i, add_on in enumerate(add_ons):
        here = f"{where}[{i}]"
        if not isinstance(add_on, dict):
            check.fail("INVALID_FIELD_VALUE", "Each add-on must be an object.", here)
            continue
        check.known_fields(add_on, ADD_ON_FIELDS, here + ".", custom=False)
        check.text(add_on, "productOptionId", here + ".productOptionId", required=True)
        if "addOns" in add_on:
            _add_ons(check, add_on["addOns"], here + ".addOns")


def order_lines(check: Checker, items, *, start_date, currency: str, warnings: list,
                updating: bool = False) -> list[LineInput]:
    if not isinstance(items, list) or not items:
        check.fail("REQUIRED_FIELD_MISSING", "orderProducts must list at least one product.",
                   "orderProducts")
        return []
    lines = []
    for i, item in enumerate(items):
        where = f"orderProducts[{i}]."
        if not isinstance(item, dict):
            check.fail("INVALID_FIELD_VALUE", "Each order product must be an object.", where[:-1])
            continue
        line = _line(check, item, where, start_date, currency, warnings, updating)
        if line:
            lines.append(line)
    return lines


def _product(check: Checker, item: dict, where: str, currency: str) -> Product | None:
    entry_id = check.text(item, "priceBookEntryId", where + "priceBookEntryId", required=True)
    if entry_id is None:
        return None
    product = find_product(entry_id)
    if product is None:
        check.fail("PRICE_BOOK_ENTRY_NOT_FOUND", f"Price book entry {entry_id} is not "
                   "published.", where + "priceBookEntryId")
        return None
    if product.currency != currency:
        check.fail("PRICE_BOOK_ENTRY_MISMATCH", f"{product.sku} has no price in {currency}.",
                   where + "priceBookEntryId")
        return None
    return product


def _line(check, item, where, start_date, currency, warnings, updating) -> LineInput | None:
    check.known_fields(item, LINE_FIELDS | ({"id"} if updating else set()), where)
    if "addOns" in item:
        _add_ons(check, item["addOns"], where + "addOns")
        if item["addOns"]:
            check.fail("INVALID_ADD_ON", "The product is not a bundle; it takes no add-ons.",
                       where + "addOns")
    product = _product(check, item, where, currency)
    quantity = check.number(item, "quantity", where + "quantity", required=True, positive=True)
    discount = check.number(item, "discount", where + "discount", minimum=0, maximum=100)
    amount = check.number(item, "discountAmount", where + "discountAmount", minimum=0,
                          maximum=10**12)
    term = check.integer(item, "subscriptionTerm", where + "subscriptionTerm", minimum=1,
                         maximum=120)
    start = check.date(item, "subscriptionStartDate", where + "subscriptionStartDate")
    description = check.text(item, "description", where + "description") or ""
    custom = check.custom_fields(item, where)
    if product is None or quantity is None:
        return None
    list_price = product.list_price  # the price book entry's: Nue takes no list price override
    if discount is not None and amount is not None:
        warnings.append({"code": "PRODUCT_DISCOUNT_APPLIED", "field": where + "discount",
                         "message": "Discount percentage takes precedence over discount amount."})
        amount = None
    net = _net_price(check, where, list_price, quantity, discount, amount)
    if net is None:
        return None
    return LineInput(id=item.get("id"), product=product, quantity=quantity, list_price=list_price,
                     discount=discount, discount_amount=amount, net_sales_price=net,
                     subscription_start_date=start or start_date, subscription_term=term or 12,
                     billing_period=product.billing_period, description=description,
                     custom_fields=custom)


def _net_price(check, where, list_price, quantity, discount, amount) -> Decimal | None:
    """Per-unit price after the line's discount (a percentage, or an amount off the line)."""
    if discount is not None:
        net = list_price * (100 - discount) / 100
    elif amount is not None:
        if amount > list_price * quantity:
            check.fail("INVALID_DISCOUNT", "discountAmount exceeds the line's list total.",
                       where + "discountAmount")
            return None
        net = (list_price * quantity - amount) / quantity
    else:
        net = list_price
    return net.quantize(PER_UNIT, rounding=ROUND_HALF_UP)
