"""Evaluating a parsed SOQL query: names checked against the schema, simple equality filters
pushed to indexed columns, then the full WHERE, ORDER BY, OFFSET and LIMIT applied in Python."""
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from . import ids
from .errors import invalid_field, malformed_query, request_error
from .models import Record
from .schema import Field, get_field, relationship
from .soql import Literal, Path
from .values import parse_date, parse_datetime

TEXT = {"string", "textarea", "email", "phone", "url", "picklist", "combobox"}
NUMBER = {"currency", "double", "percent", "int"}
IDS = {"id", "reference"}
MAX_OFFSET = 2000
# Fields whose equality filters can be answered from an indexed column (value stored lowercased).
PUSHABLE = {
    "Order": {"Billing_Order_Id__c": "external_key", "AccountId": "parent"},
    "OrderItem": {"Billing_Line_Id__c": "external_key", "OrderId": "parent"},
    "Contact": {"Email": "email", "AccountId": "parent"},
    "User": {"Username": "external_key", "Email": "email"},
    "Product2": {"ProductCode": "code"},
    "PricebookEntry": {"ProductCode": "code", "Product2Id": "parent"},
    "Task": {"WhatId": "parent"},
}


@dataclass
class Resolved:
    hops: list  # reference fields followed, in order
    field: Field
    names: list  # canonical output names: relationship names then the field name
    polymorphic: bool = False


def resolve(sobject: str, path: Path) -> Resolved:
    parts = list(path.parts)
    prefixed = len(parts) > 1 and parts[0].lower() == sobject.lower()
    if prefixed and not relationship(sobject, parts[0]):  # `Account.Name` FROM Account
        parts = parts[1:]
    hops, names, current, polymorphic = [], [], sobject, False
    for part in parts[:-1]:
        hop = relationship(current, part) if current else None
        if hop is None or polymorphic:
            raise invalid_field(f"Didn't understand relationship '{part}' in field path. If you "
                                "are attempting to use a custom relationship, be sure to append "
                                "the '__r' after the custom relationship name.")
        hops.append(hop)
        names.append(hop.relationship_name)
        polymorphic = len(hop.reference_to) > 1
        current = hop.reference_to[0]
    last = parts[-1]
    if polymorphic:
        if last.lower() not in ("id", "name"):
            raise invalid_field(f"No such column '{last}' on entity 'Name'.")
        fld = Field("Id", "id") if last.lower() == "id" else Field("Name", "string")
    else:
        fld = get_field(current, last)
        if fld is None:
            raise invalid_field(f"No such column '{last}' on entity '{current}'. If you are "
                                "attempting to use a custom field, be sure to append the '__c' "
                                "after the custom field name. Please reference your WSDL or the "
                                "describe call for the appropriate names.")
    return Resolved(hops, fld, names + [fld.name], polymorphic)


class Parents:
    """Parent records reached through relationship paths, loaded in batches and cached."""

    def __init__(self):
        self.cache = {}

    def load(self, records: list, paths: list):
        for path in paths:
            level = records
            for hop in path.hops:
                wanted = {r.get(hop.name) for r in level if r and r.get(hop.name)}
                missing = [i for i in wanted if i not in self.cache]
                for sf_id, data in Record.objects.filter(sf_id__in=missing, is_deleted=False) \
                        .values_list("sf_id", "data"):
                    self.cache[sf_id] = {"Id": sf_id, **data}
                level = [self.cache.get(i) for i in wanted]

    def value(self, record: dict, path: Resolved):
        current = record
        for hop in path.hops:
            current = self.cache.get(current.get(hop.name)) if current else None
            if current is None:
                return None
        return current.get(path.field.name)

    def parent(self, record_id):
        return self.cache.get(record_id)


# --- typed values ----------------------------------------------------------------------------

def comparable(fld: Field, value):
    """A record's stored value in the form literals are compared with."""
    if value is None:
        return None
    if fld.type in TEXT:
        return value.lower()
    if fld.type == "date":
        return parse_date(value)
    if fld.type == "datetime":
        return parse_datetime(value)
    return value


def date_range(literal: Literal, fld: Field):
    today = datetime.now(UTC).date()
    start, days = {
        "TODAY": (today, 1), "YESTERDAY": (today - timedelta(days=1), 1),
        "TOMORROW": (today + timedelta(days=1), 1),
        "LAST_N_DAYS": (today - timedelta(days=literal.arg), literal.arg + 1),
        "NEXT_N_DAYS": (today + timedelta(days=1), literal.arg),
    }[literal.value]
    end = start + timedelta(days=days)
    if fld.type == "datetime":
        return (datetime.combine(start, time(), UTC),
                datetime.combine(end, time(), UTC))
    return start, end


def _type_mismatch(fld: Field, wanted: str):
    return malformed_query(f"value of filter criterion for field '{fld.name}' must be of type "
                           f"{wanted} and should not be enclosed in quotes")


def typed_literal(fld: Field, literal: Literal, op: str):
    """The literal as a Python value comparable with `comparable(fld, …)`; errors for mismatches."""
    kind = literal.kind
    if kind == "null":
        if op not in ("=", "!="):
            raise malformed_query(f"invalid operator on null value for field '{fld.name}'")
        return None
    if fld.type in IDS:
        record_id = ids.normalize(literal.value) if kind == "string" else None
        if not record_id:
            raise request_error("INVALID_QUERY_FILTER_OPERATOR",
                                f"invalid ID field: {literal.value}")
        return record_id
    if fld.type in TEXT:
        if kind != "string":
            raise malformed_query(f"value of filter criterion for field '{fld.name}' must be of "
                                  "type string and should be enclosed in quotes")
        return literal.value.lower()
    if fld.type in NUMBER:
        if kind != "number":
            raise _type_mismatch(fld, "double")
        return literal.value
    if fld.type == "boolean":
        if kind != "boolean":
            raise _type_mismatch(fld, "boolean")
        return literal.value
    if kind == "datefn":
        return date_range(literal, fld)
    if fld.type == "date" and kind == "date":
        return parse_date(literal.value)
    if fld.type == "datetime" and kind == "datetime":
        return parse_datetime(literal.value)
    raise _type_mismatch(fld, "dateTime" if fld.type == "datetime" else fld.type)


def like_regex(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def compare(op: str, value, target) -> bool:
    if isinstance(target, tuple):  # a date function's [start, end)
        start, end = target
        if value is None:
            return op == "!="
        return {"=": start <= value < end, "!=": not start <= value < end, "<": value < start,
                "<=": value < end, ">": value >= end, ">=": value >= start}[op]
    if op == "=":
        return value == target
    if op == "!=":
        return value != target
    if value is None or target is None:
        return False
    return {"<": value < target, "<=": value <= target, ">": value > target,
            ">=": value >= target}[op]
