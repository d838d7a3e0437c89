"""Per-object rules Salesforce enforces on save and delete, and the values it derives.

Each `check_*` sees the record's fields after the change (`new`), before it (`old`, None on
insert) and the names the caller set (`changed`); it may fill derived fields into `new` and
raises SfError to refuse the save.
"""
from .errors import bad_request

LOCKED_ITEMS = "You can't add, edit, or delete order products on an activated order."
WRONG_PRICEBOOK = ("field integrity exception: PricebookEntryId (pricebook entry is in a different "
                   "pricebook than the one assigned to the Order, or Order has no pricebook "
                   "assigned)")

# Each Order status belongs to a status category (StatusCode). Salesforce offers only Draft and
# Activated for Orders; the Canceled status the hub ships (salesforce/ standardValueSets) is in Draft.
STATUS_CATEGORIES = {"Draft": "Draft", "Activated": "Activated", "Canceled": "Draft"}


def integrity(message, fields=()):
    return bad_request("FIELD_INTEGRITY_EXCEPTION", message, fields)


def delete_failed(message):
    return bad_request("DELETE_FAILED", message)


def check_order(repo, new, old, org, changed):
    if old is None:
        if new.get("Status") != "Draft":
            raise integrity("You can't create an order with a status other than Draft. Create it "
                            "as Draft, add its products, then activate it.", ["Status"])
        new["OrderNumber"] = repo.next_number("order")
        new["TotalAmount"] = 0.0
    else:
        if old.get("Status") != "Draft" and new.get("AccountId") != old.get("AccountId"):
            raise integrity("Account ID: you can change the account only on a draft order.",
                            ["AccountId"])
        if new.get("CurrencyIsoCode") != old.get("CurrencyIsoCode") and repo.order_items(old["Id"]):
            raise integrity("Currency ISO Code: you can't change the currency of an order that "
                            "has products.", ["CurrencyIsoCode"])
        if new.get("Pricebook2Id") != old.get("Pricebook2Id") and repo.order_items(old["Id"]):
            raise integrity("Price Book ID: you can't change the price book of an order that "
                            "has products.", ["Pricebook2Id"])
        if new.get("Status") == "Activated" and old.get("Status") != "Activated":
            if not repo.order_items(old["Id"]):
                raise integrity("You can't activate an order that has no order products.",
                                ["Status"])
            new["ActivatedDate"] = repo.now_text()
    new["StatusCode"] = STATUS_CATEGORIES.get(new.get("Status"), "Draft")


def check_order_item(repo, new, old, org, changed):
    order = repo.fields(new["OrderId"])
    if order.get("Status") == "Activated":
        raise integrity(LOCKED_ITEMS)
    entry = repo.fields(new["PricebookEntryId"])
    if old is None:
        if not order.get("Pricebook2Id") or entry.get("Pricebook2Id") != order["Pricebook2Id"]:
            raise integrity(WRONG_PRICEBOOK, ["PricebookEntryId"])
        if not entry.get("IsActive"):
            raise integrity("field integrity exception: PricebookEntryId (pricebook entry is "
                            "inactive)", ["PricebookEntryId"])
        if new.get("Product2Id") not in (None, entry["Product2Id"]):
            raise integrity("field integrity exception: Product2Id (product does not match the "
                            "pricebook entry)", ["Product2Id"])
        if org.multi_currency and entry.get("CurrencyIsoCode") != order.get("CurrencyIsoCode"):
            raise integrity("field integrity exception: PricebookEntryId (pricebook entry currency "
                            "code does not match order currency code)", ["PricebookEntryId"])
        new["Product2Id"] = entry["Product2Id"]
        new["ListPrice"] = entry.get("UnitPrice")
        new["OrderItemNumber"] = repo.next_number("item")
    if org.multi_currency:
        new["CurrencyIsoCode"] = order.get("CurrencyIsoCode")
    if old is not None and "Quantity" in changed and "UnitPrice" not in changed and new["Quantity"]:
        # Documented: a new Quantity without a UnitPrice keeps TotalPrice and adjusts UnitPrice.
        new["UnitPrice"] = round(old["TotalPrice"] / new["Quantity"], 2)
    new["TotalPrice"] = round((new.get("Quantity") or 0) * (new.get("UnitPrice") or 0), 2)


def check_pricebook_entry(repo, new, old, org, changed):
    product = repo.fields(new["Product2Id"])
    new["ProductCode"] = product.get("ProductCode")
    new["Name"] = product.get("Name")
    if old is not None:
        return
    # One entry per price book, product and (in a multi-currency org) currency.
    currency = new.get("CurrencyIsoCode")
    if new["Pricebook2Id"] != org.standard_pricebook_id and not repo.entries(
            org.standard_pricebook_id, new["Product2Id"], currency):
        raise bad_request("STANDARD_PRICE_NOT_DEFINED",
                          "No standard price defined for this product", [])
    if repo.entries(new["Pricebook2Id"], new["Product2Id"], currency):
        raise bad_request("DUPLICATE_VALUE", "This price definition already exists in this "
                          "price book", [])


def check_person(repo, new, old, org, changed):
    new["Name"] = " ".join(p for p in (new.get("FirstName"), new.get("LastName")) if p)


def check_task(repo, new, old, org, changed):
    new["IsClosed"] = new.get("Status") == "Completed"


def check_pricebook(repo, new, old, org, changed):
    if old is None:
        new.setdefault("IsStandard", False)


SAVE_RULES = {
    "Order": check_order, "OrderItem": check_order_item, "PricebookEntry": check_pricebook_entry,
    "Contact": check_person, "User": check_person, "Task": check_task,
    "Pricebook2": check_pricebook,
}


def check_save(repo, sobject, new, old, org, changed=()):
    rule = SAVE_RULES.get(sobject)
    if rule:
        rule(repo, new, old, org, set(changed))


def check_delete(repo, sobject, fields, org):
    """Refuse a delete Salesforce refuses; return the ids deleted along with the record."""
    record_id = fields["Id"]
    if sobject == "User":
        raise delete_failed("You can't delete a user; deactivate it instead.")
    if sobject == "Order":
        if fields.get("Status") == "Activated":
            raise delete_failed("You can't delete an activated order. Deactivate it first.")
        return repo.order_items(record_id)
    if sobject == "OrderItem":
        if repo.fields(fields["OrderId"]).get("Status") == "Activated":
            raise integrity(LOCKED_ITEMS)
        return []
    if sobject == "Account":
        orders = repo.children("Order", record_id)
        if any(o.data.get("Status") == "Activated" for o in orders):
            raise delete_failed("This account has activated orders and can't be deleted.")
        cascade = [o.sf_id for o in orders] + [c.sf_id for c in repo.children("Contact", record_id)]
        for order in orders:
            cascade += repo.order_items(order.sf_id)
        return cascade
    if sobject == "Pricebook2" and fields.get("IsStandard"):
        raise delete_failed("You can't delete the standard price book.")
    if sobject in ("Product2", "PricebookEntry") and repo.items_using(sobject, record_id):
        raise delete_failed(f"This {sobject} is used by order products and can't be deleted.")
    if sobject == "Product2":
        return [e.sf_id for e in repo.children("PricebookEntry", record_id)]
    return []
