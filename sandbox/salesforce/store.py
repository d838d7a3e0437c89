"""Record storage: create, read, update, delete and upsert with Salesforce's checks.

Every write runs in its own savepoint, so a refused save leaves nothing behind and callers
(composite, graph) can nest several writes in one all-or-nothing transaction.
"""
import sys

from django.db import IntegrityError, transaction
from django.db.models import F

from . import ids, rules
from .errors import SfError, bad_request, not_found
from .models import Org, Record
from .schema import Field, fields_of, get_field
from .values import coerce, format_datetime, now, website_domain

# The reference field each object is most often looked up by (indexed as `parent`).
PARENT_FIELD = {"Contact": "AccountId", "Order": "AccountId", "OrderItem": "OrderId",
                "PricebookEntry": "Product2Id", "Task": "WhatId"}
EMAIL_FIELD = {"Contact": "Email", "User": "Email"}
CODE_FIELD = {"Product2": "ProductCode", "PricebookEntry": "ProductCode"}
UNIQUE_KEY_FIELD = {"Order": "Billing_Order_Id__c", "OrderItem": "Billing_Line_Id__c",
                    "Account": "Hub_Match_Key__c", "Contact": "Hub_Contact_Key__c", "User": "Username"}


def _lower(value):
    return value.lower() if isinstance(value, str) else None


def index_columns(sobject: str, data: dict) -> dict:
    return {
        "external_key": _lower(data.get(UNIQUE_KEY_FIELD.get(sobject, ""))),
        "email": _lower(data.get(EMAIL_FIELD.get(sobject, ""))),
        "domain": website_domain(data.get("Website")) if sobject == "Account" else None,
        "code": _lower(data.get(CODE_FIELD.get(sobject, ""))),
        "parent": data.get(PARENT_FIELD.get(sobject, "")),
    }


# --- reading ---------------------------------------------------------------------------------

def live(sobject: str | None = None):
    queryset = Record.objects.filter(is_deleted=False)
    return queryset.filter(sobject=sobject) if sobject else queryset


def fetch(record_id: str, include_deleted=False) -> Record | None:
    full = ids.normalize(record_id)
    if not full:
        return None
    record = Record.objects.filter(sf_id=full).first()
    if record is None or (record.is_deleted and not include_deleted):
        return None
    return record


def as_fields(record: Record) -> dict:
    return {"Id": record.sf_id, **record.data}


def fields(record_id: str) -> dict:
    record = fetch(record_id)
    return as_fields(record) if record else {}


def order_items(order_id: str) -> list:
    return list(live("OrderItem").filter(parent=order_id).values_list("sf_id", flat=True))


def children(sobject: str, parent_id: str) -> list:
    return list(live(sobject).filter(parent=parent_id))


def entries(pricebook_id: str, product_id: str, currency: str | None = None) -> list:
    return [e for e in children("PricebookEntry", product_id)
            if e.data.get("Pricebook2Id") == pricebook_id
            and e.data.get("CurrencyIsoCode") == currency]


def items_using(sobject: str, record_id: str) -> bool:
    key = "Product2Id" if sobject == "Product2" else "PricebookEntryId"
    return live("OrderItem").filter(**{f"data__{key}": record_id}).exists()


def next_number(kind: str) -> str:
    column, width = ("next_order_number", 8) if kind == "order" else ("next_item_number", 10)
    Org.objects.filter(pk=1).update(**{column: F(column) + 1})
    return str(getattr(Org.objects.get(pk=1), column) - 1).zfill(width)


def now_text() -> str:
    return format_datetime(now())


REPO = sys.modules[__name__]


# --- checking a write ------------------------------------------------------------------------

def _clean_body(sobject: str, body, creating: bool) -> dict:
    """The request body's fields by canonical name, each checked and normalised."""
    if not isinstance(body, dict):
        raise bad_request("JSON_PARSER_ERROR", "The request body must be a JSON object")
    clean, refused = {}, []
    for key, value in body.items():
        if key == "attributes" or (key.lower() == "id" and not creating):
            continue
        fld = get_field(sobject, key)
        if fld is None:
            raise bad_request("INVALID_FIELD", f"No such column '{key}' on sobject of type "
                              f"{sobject}", [key])
        if not (fld.createable if creating else fld.updateable):
            refused.append(fld.name)
            continue
        clean[fld.name] = coerce(fld, value)
    if refused:
        raise bad_request("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: "
                          f"{', '.join(refused)}. Please check the security settings of this field "
                          "and verify that it is read/write for your profile or permission set.",
                          refused)
    return clean


def _defaults(sobject: str, org: Org) -> dict:
    values = {}
    for fld in fields_of(sobject):
        if fld.default == "$owner":
            values[fld.name] = org.owner_id
        elif fld.default is not None:
            values[fld.name] = fld.default
    return values


def _check_required(sobject: str, data: dict):
    missing = [f.name for f in fields_of(sobject)
               if f.required and data.get(f.name) is None]
    if missing:
        raise bad_request("REQUIRED_FIELD_MISSING",
                          f"Required fields are missing: [{', '.join(missing)}]", missing)


def _check_references(sobject: str, changes: dict):
    for name, value in changes.items():
        fld: Field = get_field(sobject, name)
        if fld.type == "reference" and value is not None and fetch(value) is None:
            raise bad_request("INVALID_CROSS_REFERENCE_KEY",
                              "invalid cross reference id", [fld.name])


def _check_unique(sobject: str, data: dict, record_id: str | None):
    for fld in fields_of(sobject):
        value = data.get(fld.name)
        if not fld.unique or value is None:
            continue
        clash = live(sobject).filter(external_key=value.lower()).exclude(sf_id=record_id).first()
        if clash:
            raise duplicate_value(fld.name, clash.sf_id)


def duplicate_value(field_name: str, other_id: str) -> SfError:
    return bad_request("DUPLICATE_VALUE", f"duplicate value found: {field_name} duplicates value "
                       f"on record with id: {other_id}", [field_name])


def _save(sobject: str, record: Record, data: dict):
    record.data = data
    for column, value in index_columns(sobject, data).items():
        setattr(record, column, value)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # a concurrent writer took the same unique key
        if sobject not in UNIQUE_KEY_FIELD:
            raise
        field_name = UNIQUE_KEY_FIELD[sobject]
        other = live(sobject).filter(external_key=record.external_key).first()
        raise duplicate_value(field_name, other.sf_id if other else "") from None


def _stamp(data: dict, record: Record, creating: bool, org: Org):
    stamp = now()
    text = format_datetime(stamp)
    record.system_modstamp = stamp
    if creating:
        data.update(CreatedDate=text, CreatedById=org.owner_id, IsDeleted=False)
    data.update(LastModifiedDate=text, SystemModstamp=text, LastModifiedById=org.owner_id)
    if sobject_has_no_is_deleted(record.sobject):
        data.pop("IsDeleted", None)


def sobject_has_no_is_deleted(sobject: str) -> bool:
    return get_field(sobject, "IsDeleted") is None


# --- writing ---------------------------------------------------------------------------------

def insert(sobject: str, data: dict, org: Org) -> Record:
    """Store already-checked fields as a new record (used by `create` and by seeding)."""
    record = Record(sobject=sobject)
    _stamp(data, record, True, org)
    _save(sobject, record, data)
    record.sf_id = ids.make_id(sobject, record.pk)
    record.save(update_fields=["sf_id"])
    return record


def create(sobject: str, body, org: Org, duplicate_check=None) -> str:
    with transaction.atomic():
        changes = _clean_body(sobject, body, creating=True)
        data = {**_defaults(sobject, org), **changes}
        _check_required(sobject, data)
        _check_references(sobject, data)
        rules.check_save(REPO, sobject, data, None, org)
        _check_unique(sobject, data, None)
        if duplicate_check:
            duplicate_check(sobject, data, None)
        record = insert(sobject, data, org)
        _after_write(sobject, data, None)
        return record.sf_id


def load_for_write(sobject: str, record_id: str) -> Record:
    record = fetch(record_id, include_deleted=True)
    if record is None or record.sobject != sobject:
        raise not_found(f"Provided external ID field does not exist or is not accessible: "
                        f"{record_id}")
    if record.is_deleted:
        raise bad_request("ENTITY_IS_DELETED", "entity is deleted", [])
    return record


def update(sobject: str, record_id: str, body, org: Org, duplicate_check=None) -> str:
    with transaction.atomic():
        record = load_for_write(sobject, record_id)
        changes = _clean_body(sobject, body, creating=False)
        old = as_fields(record)
        data = {**record.data, **changes}
        _check_required(sobject, data)
        _check_references(sobject, changes)
        rules.check_save(REPO, sobject, data, old, org, changes)
        _check_unique(sobject, data, record.sf_id)
        if duplicate_check:
            duplicate_check(sobject, data, record.sf_id)
        _stamp(data, record, False, org)
        _save(sobject, record, data)
        _after_write(sobject, data, old)
        return record.sf_id


def delete(sobject: str, record_id: str, org: Org):
    with transaction.atomic():
        record = fetch(record_id, include_deleted=True)
        if record is None or record.sobject != sobject:
            raise not_found()
        if record.is_deleted:
            raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
        fields_before = as_fields(record)
        cascade = rules.check_delete(REPO, sobject, fields_before, org)
        for other in Record.objects.filter(sf_id__in=cascade):
            _mark_deleted(other, org)
        _mark_deleted(record, org)
        _after_write(sobject, record.data, fields_before)


def _mark_deleted(record: Record, org: Org):
    record.is_deleted = True
    data = dict(record.data)
    _stamp(data, record, False, org)
    data["IsDeleted"] = True
    record.data = data
    record.save()


def find_by_external_id(sobject: str, fld: Field, value: str) -> list:
    if fld.name == "Id":
        record = fetch(value)
        return [record] if record and record.sobject == sobject else []
    if UNIQUE_KEY_FIELD.get(sobject) == fld.name:
        return list(live(sobject).filter(external_key=value.lower()))
    return [r for r in live(sobject) if _lower(r.data.get(fld.name)) == value.lower()]


def upsert(sobject: str, field_name: str, value: str, body, org: Org, duplicate_check=None):
    """Create or update by external id: returns (id, created); 300 when several records match."""
    fld = get_field(sobject, field_name)
    if fld is None or not (fld.external_id or fld.name == "Id"):
        raise not_found(f"Provided external ID field does not exist or is not accessible: "
                        f"{field_name}")
    body = dict(body) if isinstance(body, dict) else body
    if isinstance(body, dict):
        for key in [k for k in body if k.lower() == fld.name.lower()]:
            if str(body.pop(key)).lower() != value.lower():
                raise bad_request("INVALID_FIELD", f"The {fld.name} in the request body doesn't "
                                  "match the value in the URL", [fld.name])
    matches = find_by_external_id(sobject, fld, value)
    if len(matches) > 1:
        raise MultipleMatches([m.sf_id for m in matches], sobject)
    if matches:
        return update(sobject, matches[0].sf_id, body, org, duplicate_check), False
    if fld.name == "Id":
        raise not_found()
    return create(sobject, {**body, fld.name: value}, org, duplicate_check), True


class MultipleMatches(Exception):
    def __init__(self, record_ids, sobject):
        super().__init__("several records match")
        self.record_ids = record_ids
        self.sobject = sobject


def _after_write(sobject: str, new: dict, old: dict | None):
    """Roll order product totals up to their order; copy product changes to price book entries."""
    if sobject == "Product2" and old is not None:
        product = fetch(old["Id"])
        if product is not None:
            refresh_product_copies(product, Org.objects.get(pk=1))
    if sobject != "OrderItem":
        return
    order = fetch(new["OrderId"])
    if order is None:
        return
    total = sum(i.data.get("TotalPrice") or 0 for i in live("OrderItem").filter(parent=order.sf_id))
    data = dict(order.data)
    data["TotalAmount"] = round(total, 2)
    org = Org.objects.get(pk=1)
    _stamp(data, order, False, org)
    _save("Order", order, data)


def refresh_product_copies(product: Record, org: Org):
    """PricebookEntry.ProductCode and Name follow their product."""
    for entry in children("PricebookEntry", product.sf_id):
        data = {**entry.data, "ProductCode": product.data.get("ProductCode"),
                "Name": product.data.get("Name")}
        _stamp(data, entry, False, org)
        _save("PricebookEntry", entry, data)

