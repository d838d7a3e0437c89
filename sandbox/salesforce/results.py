"""Query responses: records shaped like the REST API's, COUNT(), child subqueries, and paging
through `nextRecordsUrl` cursors."""
from datetime import timedelta

from django.utils import timezone

from . import ids
from .calls import attributes
from .engine import Plan, candidates, count_only, plan, run
from .errors import SfError
from .models import QueryCursor, Record
from .query import Parents, resolve
from .soql import parse
from .store import PARENT_FIELD

CURSOR_LIFETIME = timedelta(minutes=15)
DEFAULT_BATCH = 2000
MIN_BATCH = 200


def shape(record: dict, result: Plan, parents, version: str) -> dict:
    out = {"attributes": attributes(result.sobject, record["Id"], version)}
    for path in result.select:
        target, current = out, record
        for hop, name in zip(path.hops, path.names):
            if current is not None:
                current = parents.parent(current.get(hop.name))
            if current is None:
                target.setdefault(name, None)
                break
            if target.get(name) is None:
                parent_type = ids.sobject_of(current["Id"])
                target[name] = {"attributes": attributes(parent_type, current["Id"], version)}
            target = target[name]
        else:
            target[path.field.name] = current.get(path.field.name)
    return out


def add_children(result: Plan, records: list, shaped: list, version: str):
    """Fill each child subquery's `{"totalSize", "done", "records"}` (or null when empty)."""
    parent_ids = [r["Id"] for r in records]
    for name, child, fk in result.children:
        column = "parent" if PARENT_FIELD.get(child.sobject) == fk else f"data__{fk}"
        groups = {}
        for row in candidates(child, {f"{column}__in": parent_ids}):
            groups.setdefault(row.get(fk), []).append(row)
        for record, out in zip(records, shaped):
            rows, parents = run(child, records=groups.get(record["Id"], []))
            out[name] = {"totalSize": len(rows), "done": True, "records": [
                shape(r, child, parents, version) for r in rows]} if rows else None


def page(result: Plan, records: list, parents, version: str) -> list:
    shaped = [shape(r, result, parents, version) for r in records]
    if result.children:
        add_children(result, records, shaped, version)
    return shaped


def batch_size(header: str | None) -> int:
    """`Sforce-Query-Options: batchSize=N` (Salesforce honours 200 to 2000)."""
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(MIN_BATCH, min(DEFAULT_BATCH, int(value)))
    return DEFAULT_BATCH


def execute(soql: str, version: str, include_deleted=False, options_header=None) -> dict:
    result = plan(parse(soql), include_deleted)
    if result.count is not None and result.count.path is None:
        counted = count_only(result)
        if counted is not None:
            return {"totalSize": counted, "done": True, "records": []}
    records, parents = run(result)
    if result.count is not None:
        if result.count.path is None:
            return {"totalSize": len(records), "done": True, "records": []}
        counted = sum(1 for r in records if parents.value(r, _count_path(result)) is not None)
        alias = result.count.alias or "expr0"
        return {"totalSize": 1, "done": True, "records": [
            {"attributes": {"type": "AggregateResult"}, alias: counted}]}
    size = batch_size(options_header)
    body = {"totalSize": len(records), "done": len(records) <= size,
            "records": page(result, records[:size], parents, version)}
    if len(records) > size:
        # Salesforce lets an idle cursor expire after 15 minutes; so does the emulator.
        QueryCursor.objects.filter(created_at__lt=timezone.now() - CURSOR_LIFETIME).delete()
        cursor = QueryCursor.objects.create(locator="", soql=soql, include_deleted=include_deleted,
                                            batch_size=size, ids=[r["Id"] for r in records])
        cursor.locator = ids.make_id("QueryLocator", cursor.pk)
        cursor.save(update_fields=["locator"])
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{size}"
    return body


def _count_path(result: Plan):
    return resolve(result.sobject, result.count.path)


def more(locator_and_offset: str, version: str) -> dict:
    locator, _, offset_text = locator_and_offset.partition("-")
    cursor = QueryCursor.objects.filter(locator=locator).first()
    if cursor is None or not offset_text.isdigit():
        raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    offset = int(offset_text)
    wanted = cursor.ids[offset:offset + cursor.batch_size]
    result = plan(parse(cursor.soql), cursor.include_deleted)
    by_id = {sf_id: {"Id": sf_id, **data} for sf_id, data in
             Record.objects.filter(sf_id__in=wanted).values_list("sf_id", "data")}
    records = [by_id[i] for i in wanted if i in by_id]
    parents = Parents()
    parents.load(records, result.paths)
    end = offset + len(wanted)
    body = {"totalSize": len(cursor.ids), "done": end >= len(cursor.ids),
            "records": page(result, records, parents, version)}
    if end < len(cursor.ids):
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.locator}-{end}"
    return body

