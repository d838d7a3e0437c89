"""Check the Salesforce side of a mapping before staff save it: an id must name an existing record of
the right object, and a field name must be a field of the Salesforce Order.

A mapping pointing at the wrong record fails every later sync of that order or product in ways that
are hard to trace; refusing it at the form is cheap (one call per changed id).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.db.models import Model

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.exceptions import NotFoundError, SyncError, TransientError
from syncapp.models import AccountLink, FieldMapping, LineLink, OrderLink, ProductMapping

# The first three characters of a Salesforce id name its object.
KEY_PREFIXES = {"Account": "001", "Order": "801", "OrderItem": "802", "Product2": "01t",
                "Pricebook2": "01s", "PricebookEntry": "01u", "Task": "00T"}
# Which fields of each mapping hold a Salesforce id, and of which object.
ID_FIELDS: dict[type[Model], dict[str, str]] = {
    AccountLink: {"salesforce_account_id": "Account"},
    OrderLink: {"salesforce_order_id": "Order", "abandonment_task_id": "Task"},
    LineLink: {"salesforce_item_id": "OrderItem"},
    ProductMapping: {"product2_id": "Product2", "pricebook2_id": "Pricebook2",
                     "pricebook_entry_id": "PricebookEntry"},
}
# Which fields hold the API name of a field on a Salesforce object.
FIELD_NAME_FIELDS: dict[type[Model], dict[str, str]] = {FieldMapping: {"salesforce_field": "Order"}}
# Fields checked together with the others: a product mapping's SKU must be its product's code.
CROSS_CHECKED: dict[type[Model], set[str]] = {
    ProductMapping: {"sku", "product2_id", "pricebook2_id", "pricebook_entry_id"}}
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
# A check of one value against Salesforce: (connector, sobject, value) → what is wrong, or None.
ValueCheck = Callable[[SalesforceConnector, str, str], str | None]


def checked_fields(model: type[Model]) -> set[str]:
    """The fields of `model` that `problems` checks against Salesforce."""
    return {*ID_FIELDS.get(model, {}), *FIELD_NAME_FIELDS.get(model, {}), *CROSS_CHECKED.get(model, ())}


def problems(model: type[Model], values: dict[str, str], sf: SalesforceConnector, *,
             current: dict | None = None) -> dict[str, str]:
    """For the changed `values` (field → new value) of a `model` mapping: field → what is wrong.
    `current` holds all the mapping's values after the change, for checks across fields (a
    product mapping's price book entry must price its product). Empty values are not checked (the
    model's own validation decides whether they are allowed)."""
    found: dict[str, str] = {}
    to_ask: list[tuple[str, ValueCheck, str, str]] = []  # (field, check, sobject, value)
    for field, value in values.items():
        if not value:
            continue
        if sobject := ID_FIELDS.get(model, {}).get(field):
            if msg := id_shape_problem(sobject, value):
                found[field] = msg  # no call needed to see that
            else:
                to_ask.append((field, _record_problem, sobject, value))
        elif sobject := FIELD_NAME_FIELDS.get(model, {}).get(field):
            to_ask.append((field, _field_problem, sobject, value))
    cross_check = model in CROSS_CHECKED and set(values) & CROSS_CHECKED[model]
    for field, check, sobject, value in to_ask:
        try:
            msg = check(sf, sobject, value)
        except TransientError as err:
            # Saving an unchecked id is what this check exists to prevent: refuse, and say why.
            msg = f"Salesforce could not be reached to check this ({err}); try again."
        if msg:
            found[field] = msg
    if cross_check and current is not None and not found:
        try:
            found.update(_entry_problem(sf, current))
        except TransientError as err:
            found["pricebook_entry_id"] = f"Salesforce could not be reached to check this ({err}); try again."
        except SyncError as err:
            found["pricebook_entry_id"] = f"Salesforce refused to read this PricebookEntry: {err.message}"
    return found


def id_shape_problem(sobject: str, value: str) -> str | None:
    """Why `value` cannot be the id of a `sobject` record, seen without asking Salesforce; None if it can."""
    if not _ID.match(value):
        return f"“{value}” is not a Salesforce id (15 or 18 letters and digits)."
    prefix = KEY_PREFIXES[sobject]
    if value[:3] != prefix:
        return (f"“{value}” is not a {sobject} id: {sobject} ids start with {prefix}"
                f"{_other_object(value[:3])}.")
    return None


def _other_object(prefix: str) -> str:
    other = next((name for name, p in KEY_PREFIXES.items() if p == prefix), None)
    return f" (this one is a {other} id)" if other else ""


def _record_problem(sf: SalesforceConnector, sobject: str, value: str) -> str | None:
    try:
        sf.check_record(sobject, value)
    except NotFoundError:
        return f"Salesforce has no {sobject} with id {value} (never existed, or deleted)."
    except TransientError:
        raise
    except SyncError as err:  # e.g. MALFORMED_ID
        return f"Salesforce refused {value}: {err.message}"
    return None


def _entry_problem(sf: SalesforceConnector, mapping: dict) -> dict[str, str]:
    """A product mapping's PricebookEntry must be the active price of its SKU's product in its price
    book: Salesforce refuses order products priced otherwise."""
    entry = sf.entry_facts(mapping["pricebook_entry_id"])
    if not _same_id(entry.product2_id, mapping["product2_id"]):
        return {"pricebook_entry_id": f"This PricebookEntry prices another product ({entry.product_code or None}, "
                                      f"{entry.product2_id}), not {mapping['product2_id']}."}
    if not _same_id(entry.pricebook2_id, mapping["pricebook2_id"]):
        return {"pricebook_entry_id": f"This PricebookEntry belongs to price book {entry.pricebook2_id}, "
                                      f"not {mapping['pricebook2_id']}."}
    if entry.product_code and entry.product_code != mapping.get("sku"):
        return {"sku": f"The product priced by this entry has product code {entry.product_code}, "
                       f"not {mapping.get('sku')}."}
    if not entry.active:
        return {"pricebook_entry_id": "This PricebookEntry is inactive: Salesforce refuses order products "
                                      "priced by it."}
    return {}


def _same_id(a: str, b: str) -> bool:
    """Salesforce ids compare on their 15 case-sensitive characters (18 adds a checksum)."""
    return bool(a) and bool(b) and a[:15] == b[:15]


def _field_problem(sf: SalesforceConnector, sobject: str, name: str) -> str | None:
    try:
        fields = sf.field_names(sobject)
    except TransientError:
        raise
    except SyncError as err:
        return f"Salesforce refused to describe {sobject}: {err.message}"
    if name.lower() not in fields:
        return f"Salesforce's {sobject} has no field {name}."
    return None


def entries_active(entry_ids: Iterable[str], sf: SalesforceConnector) -> dict[str, bool] | None:
    """Whether each PricebookEntry is active in Salesforce now (ids Salesforce does not know are
    left out), in one call per 200 ids; None when Salesforce cannot be read."""
    ids = sorted({i for i in entry_ids if i and _ID.match(i)})
    if not ids:
        return {}
    try:
        found = sf.entries_active(ids)
    except SyncError:
        return None
    # Salesforce answers 18-character ids; a mapping may hold the 15-character form (its prefix).
    active = {entry_id[:15]: is_active for entry_id, is_active in found.items()}
    return {i: active[i[:15]] for i in ids if i[:15] in active}
