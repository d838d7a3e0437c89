"""Watching Salesforce: a scheduled poller over Orders changed since a `SystemModstamp` watermark,
so an activation done in Salesforce is seen even when nobody called the hub's endpoint."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine, kinds
from syncapp.models import Cursor, OrderLink, SyncJob, SyncSettings
from syncapp.sync import activation, salesforce_to_billing

CURSOR = "salesforce-orders-modstamp"
BATCH = 200
MAX_BATCHES = 10
SECOND = dt.timedelta(seconds=1)
_FIELDS = "Id, Status, SystemModstamp"


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00"))


def _second(value: str) -> dt.datetime:
    return _parse(value).replace(microsecond=0)


def _load(cursor: Cursor) -> tuple[dt.datetime, str | None]:
    """The watermark: a whole second, and — while the watcher is part way through a second with
    more changes than one batch holds — the last Order Id read within it ("" for none yet)."""
    stamp, paging, after = cursor.value.partition("|")
    return _second(stamp), after if paging else None


def _save(cursor: Cursor, second: dt.datetime, after: str | None) -> None:
    cursor.value = second.isoformat() + ("" if after is None else f"|{after}")
    cursor.save()


def watch_salesforce(*, recorder=None, sf=None) -> dict:
    """Queue the follow-up of every linked Order changed since the watermark; returns counts.

    Salesforce compares SystemModstamp at whole seconds, so each run reads from the start of the
    last second it saw: a row is seen again rather than missed (queueing twice is harmless). A
    second holding a full batch (a bulk load) is paged through by Id, its position kept between
    runs, so no number of Orders sharing one second stalls the watermark."""
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    if not cursor.value:  # the first run starts now: history is the reconcile command's job
        _save(cursor, timezone.now().replace(microsecond=0), None)
        return {"seen": 0, "queued": 0}
    sf = sf or SalesforceConnector.from_settings(recorder=recorder)
    edits = SyncSettings.load().sync_salesforce_edits
    seen = queued = 0
    second, after = _load(cursor)
    for _ in range(MAX_BATCHES):
        if after is None:
            rows = sf.query(soql(f"SELECT {_FIELDS} FROM Order WHERE SystemModstamp >= {{}} "
                                 "ORDER BY SystemModstamp, Id LIMIT {:literal}", second, str(BATCH)))
        else:  # Salesforce takes only a real Id after `Id >`
            past = soql("AND Id > {}", after) if after else ""
            rows = sf.query(soql(f"SELECT {_FIELDS} FROM Order WHERE SystemModstamp >= {{}} AND "
                                 "SystemModstamp < {} {:literal} ORDER BY Id LIMIT {:literal}",
                                 second, second + SECOND, past, str(BATCH)))
        queued += _queue_follow_ups(rows, edits)
        seen += len(rows)
        full = len(rows) == BATCH
        if after is not None:  # paging through one crowded second
            second, after = (second, rows[-1]["Id"]) if full else (second + SECOND, None)
            continue
        if not rows:
            break
        newest = _second(rows[-1]["SystemModstamp"])
        if full and newest == second:
            after = ""  # one second fills the batch: page through it by Id, from its start
        else:
            second = newest
            if not full:
                break
    _save(cursor, second, after)
    return {"seen": seen, "queued": queued}


def _queue_follow_ups(rows: list[dict], edits: bool) -> int:
    links = {link.salesforce_order_id: link
             for link in OrderLink.objects.filter(salesforce_order_id__in=[r["Id"] for r in rows])}
    queued = 0
    for row in rows:
        link = links.get(row["Id"])
        kind = _follow_up(link, row["Status"], edits) if link else None
        if kind:
            engine.enqueue(kind, link.billing_provider, row["Id"])
            queued += 1
    return queued


def _follow_up(link: OrderLink, status: str, sync_edits: bool) -> str | None:
    if status == OrderStatus.ACTIVATED and link.status != OrderStatus.ACTIVATED:
        return SyncJob.Kind.ACTIVATION
    if sync_edits and status == OrderStatus.DRAFT and link.origin == OrderLink.Origin.SALESFORCE:
        return SyncJob.Kind.SALESFORCE_TO_BILLING
    return None


@kinds.handles(SyncJob.Kind.ACTIVATION)
def activation_job(job, recorder) -> dict:
    done = activation.activate_from_salesforce(job.subject, recorder=recorder)
    return {"billing_status": done.billing_status, "salesforce_status": done.salesforce_status}


@kinds.handles(SyncJob.Kind.SALESFORCE_TO_BILLING)
def push_job(job, recorder) -> dict:
    pushed = salesforce_to_billing.push_order(job.subject, recorder=recorder)
    return {"billing_order_id": pushed.billing_order_id, "created": pushed.created}
