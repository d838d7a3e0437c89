"""Running a parsed query: compile the WHERE into a predicate, narrow in the database, filter,
sort, slice, and shape records the way the REST API returns them."""
from dataclasses import dataclass, field

from . import ids
from .errors import invalid_field, malformed_query, request_error
from .models import Record
from .query import (
    IDS,
    MAX_OFFSET,
    PUSHABLE,
    TEXT,
    Parents,
    Resolved,
    comparable,
    compare,
    like_regex,
    resolve,
    typed_literal,
)
from .schema import CHILD_RELATIONSHIPS, canonical_sobject
from .soql import Comparison, Count, Logical, Query
from .values import parse_datetime


@dataclass
class Plan:
    query: Query
    sobject: str
    include_deleted: bool
    select: list = field(default_factory=list)  # Resolved paths, in order
    children: list = field(default_factory=list)  # (relationship name, child Plan, fk field)
    count: Count | None = None
    predicate: object = None
    order: list = field(default_factory=list)  # (Resolved, descending, nulls_last)
    paths: list = field(default_factory=list)  # every Resolved needing parent records
    pushdown: dict = field(default_factory=dict)


def plan(query: Query, include_deleted=False, sobject=None) -> Plan:
    sobject = sobject or canonical_sobject(query.sobject)
    if sobject is None:
        raise request_error("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported. If "
                          "you are attempting to use a custom object, be sure to append the '__c' "
                          "after the entity name.")
    result = Plan(query, sobject, include_deleted)
    seen = set()
    for item in query.select:
        if isinstance(item, Count):
            if len(query.select) > 1 or query.order_by:
                raise malformed_query("COUNT() must be the only item in the SELECT list, without "
                                      "ORDER BY")
            if item.path:
                resolve(sobject, item.path)
            result.count = item
        elif isinstance(item, Query):
            result.children.append(_child_plan(sobject, item))
        else:
            path = resolve(sobject, item)
            key = ".".join(path.names).lower()
            if key in seen:
                raise malformed_query(f"duplicate field selected: {'.'.join(path.names)}")
            seen.add(key)
            result.select.append(path)
    result.paths = list(result.select)
    if query.where is not None:
        result.predicate = _compile(sobject, query.where, result)
        result.pushdown = _pushdown(sobject, query.where)
    for key in query.order_by:
        path = resolve(sobject, key.path)
        if path.field.long_text:
            raise invalid_field(f"field '{path.field.name}' can not be sorted in a query call")
        nulls_last = key.descending if key.nulls_last is None else key.nulls_last
        result.order.append((path, key.descending, nulls_last))
        result.paths.append(path)
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise request_error("NUMBER_OUTSIDE_VALID_RANGE",
                            f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    return result


def _child_plan(parent: str, sub: Query):
    relationships = {k.lower(): (k, v) for k, v in CHILD_RELATIONSHIPS.get(parent, {}).items()}
    found = relationships.get(sub.sobject.lower())
    if not found:
        raise invalid_field(f"Didn't understand relationship '{sub.sobject}' in FROM part of "
                            "query call. If you are attempting to use a custom relationship, be "
                            "sure to append the '__r' after the custom relationship name.")
    name, (child, fk) = found
    child_plan = plan(sub, sobject=child)
    if child_plan.children or child_plan.count:
        raise malformed_query("nested subqueries and COUNT() are not supported in a subquery")
    return name, child_plan, fk


# --- WHERE -----------------------------------------------------------------------------------

def _compile(sobject: str, node, result: Plan):
    if isinstance(node, Logical):
        parts = [_compile(sobject, item, result) for item in node.items]
        if node.op == "NOT":
            inner = parts[0]
            return lambda r, p: not inner(r, p)
        if node.op == "AND":
            return lambda r, p: all(f(r, p) for f in parts)
        return lambda r, p: any(f(r, p) for f in parts)
    return _compile_comparison(sobject, node, result)


def _compile_comparison(sobject: str, node: Comparison, result: Plan):
    path = resolve(sobject, node.path)
    fld = path.field
    if fld.long_text:
        raise invalid_field(f"field '{fld.name}' can not be filtered in a query call")
    result.paths.append(path)
    if node.op == "LIKE":
        if fld.type not in TEXT or node.value.kind != "string":
            raise malformed_query(f"invalid operator on field '{fld.name}': LIKE needs a text "
                                  "field and a quoted pattern")
        pattern = like_regex(node.value.value)
        return lambda r, p: _fullmatch(pattern, p.value(r, path))
    if node.op in ("IN", "NOTIN"):
        targets = _in_values(fld, node.value)
        wanted = node.op == "IN"
        return lambda r, p: (comparable(fld, p.value(r, path)) in targets) == wanted \
            if p.value(r, path) is not None else not wanted
    target = typed_literal(fld, node.value, node.op)
    if fld.type == "boolean" and node.op not in ("=", "!="):
        raise malformed_query(f"invalid operator on boolean field '{fld.name}'")
    return lambda r, p: compare(node.op, comparable(fld, p.value(r, path)), target)


def _fullmatch(pattern, value) -> bool:
    return value is not None and pattern.fullmatch(str(value)) is not None


def _in_values(fld, values) -> set:
    if isinstance(values, Query):
        if fld.type not in IDS:
            raise malformed_query(f"semi join sub-selects are only allowed on Id or reference "
                                  f"fields, not '{fld.name}'")
        sub = plan(values)
        if len(sub.select) != 1 or sub.select[0].field.type not in IDS or sub.children:
            raise malformed_query("a semi join sub-select must select one Id or reference field")
        records, parents = run(sub)
        return {parents.value(r, sub.select[0]) for r in records} - {None}
    return {typed_literal(fld, v, "=") for v in values}


def _pushdown(sobject: str, where) -> dict:
    """Database filters implied by top-level AND-ed conditions (a pre-filter only: the whole
    WHERE is still evaluated on what comes back)."""
    items = where.items if isinstance(where, Logical) and where.op == "AND" else [where]
    filters = {}
    for item in items:
        if not isinstance(item, Comparison) or len(item.path.parts) != 1:
            continue
        name = item.path.parts[0]
        fld_name = name.lower()
        columns = {k.lower(): v for k, v in PUSHABLE.get(sobject, {}).items()}
        column = "sf_id" if fld_name == "id" else columns.get(fld_name)
        literals = item.value if item.op == "IN" and isinstance(item.value, list) else \
            [item.value] if item.op == "=" else None
        if column and literals and all(v.kind == "string" for v in literals):
            keys = [ids.normalize(v.value) if column in ("sf_id", "parent") else v.value.lower()
                    for v in literals]
            filters[f"{column}__in"] = [k for k in keys if k]
        elif fld_name in ("systemmodstamp",) and item.op in (">", ">=", "<", "<=", "=") \
                and item.value.kind == "datetime":
            lookup = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "exact"}[item.op]
            filters[f"system_modstamp__{lookup}"] = parse_datetime(item.value.value)
    return filters


# --- running ---------------------------------------------------------------------------------

def matching_rows(result: Plan, extra=None):
    queryset = Record.objects.filter(sobject=result.sobject, sf_id__isnull=False)
    if not result.include_deleted:
        queryset = queryset.filter(is_deleted=False)
    return queryset.filter(**result.pushdown, **(extra or {}))


def as_records(queryset) -> list:
    return [{"Id": sf_id, **data} for sf_id, data in queryset.values_list("sf_id", "data")]


def candidates(result: Plan, extra=None) -> list:
    return as_records(matching_rows(result, extra).order_by("pk"))


def count_only(result: Plan) -> int | None:
    """COUNT() without a WHERE, answered by the database."""
    if result.predicate is None and result.query.limit is None and not result.query.offset:
        return matching_rows(result).count()
    return None


def _stamp_order(result: Plan):
    """The database ordering when the query sorts by SystemModstamp (then perhaps Id) alone."""
    keys = [(path.names, descending) for path, descending, _ in result.order]
    if not keys or keys[0][0] != ["SystemModstamp"] or result.query.limit is None:
        return None
    if len(keys) > 2 or (len(keys) == 2 and keys[1] != (["Id"], keys[0][1])):
        return None
    sign = "-" if keys[0][1] else ""
    return [f"{sign}system_modstamp", f"{sign}pk" if len(keys) == 2 else "pk"]


def _run_streaming(result: Plan, ordering, parents):
    """Walk the rows in SystemModstamp order and stop once OFFSET + LIMIT have matched (the
    watermark polls on large orgs)."""
    wanted = (result.query.offset or 0) + result.query.limit
    queryset = matching_rows(result).order_by(*ordering)
    chunk, start, found = max(500, wanted), 0, []
    while len(found) < wanted:
        records = as_records(queryset[start:start + chunk])
        if not records:
            break
        parents.load(records, result.paths)
        found += [r for r in records if not result.predicate or result.predicate(r, parents)]
        start += chunk
    return found[result.query.offset or 0:wanted], parents


def run(result: Plan, records=None, parents=None):
    """The matching records, sorted and sliced, with their parents loaded."""
    parents = parents or Parents()
    ordering = _stamp_order(result) if records is None else None
    if ordering:
        return _run_streaming(result, ordering, parents)
    records = candidates(result) if records is None else records
    parents.load(records, result.paths)
    if result.predicate:
        records = [r for r in records if result.predicate(r, parents)]
    for path, descending, nulls_last in reversed(result.order):
        records = _sorted(records, parents, path, descending, nulls_last)
    start = result.query.offset or 0
    end = None if result.query.limit is None else start + result.query.limit
    return records[start:end], parents


def _sorted(records, parents, path: Resolved, descending: bool, nulls_last: bool):
    keyed = [(comparable(path.field, parents.value(r, path)), r) for r in records]
    present = [pair for pair in keyed if pair[0] is not None]
    missing = [pair[1] for pair in keyed if pair[0] is None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    ordered = [pair[1] for pair in present]
    return ordered + missing if nulls_last else missing + ordered
