"""SOQL helpers: safe literals for values that come from outside, and clean records.

Always build queries with `soql()` or `soql_quote()`, never by pasting a value into a string: a
quote or backslash in an email or a company name would otherwise end the literal early and let the
rest of the value be read as SOQL.
"""
from __future__ import annotations

from typing import Any

from simple_salesforce.format import format_soql, quote_soql_value

from syncapp.connectors.http import JsonLike


def soql_quote(value: object) -> str:
    """The SOQL literal for `value`: a string in single quotes with `\\ ' " \\n \\r \\t \\b \\f`
    escaped as Salesforce documents; `null`, `true`/`false`, numbers, ISO dates and UTC datetimes;
    a list/tuple/set as `('a','b')` for `IN`. Raises ValueError for any other type."""
    return quote_soql_value(value)


def soql(template: str, *args: object, **kwargs: Any) -> str:
    """`template` with each `{}` / `{name}` replaced by the quoted literal of its value.
    `{:like}` inserts an escaped, unquoted LIKE fragment; `{:literal}` inserts as-is — only for
    values the hub wrote itself (field names from code, never input)."""
    return format_soql(template, *args, **kwargs)


def strip_attributes(value: JsonLike) -> JsonLike:
    """A record (or list, or nested relationship) without Salesforce's `attributes` blocks."""
    if isinstance(value, dict):
        return {k: strip_attributes(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [strip_attributes(v) for v in value]
    return value
