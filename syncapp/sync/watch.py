"""Watching Salesforce: a scheduled poller over Orders changed since a `SystemModstamp` watermark,
so an activation done in Salesforce is seen even when nobody called the hub's endpoint."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp.connectors.http import Recorder
from syncapp.connectors.salesforce.changes import SECOND, OrderChange
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine, kinds
from syncapp.models import Cursor, OrderLink, SyncJob, SyncSettings
from syncapp.sync import activation, salesforce_to_billing

CURSOR = "salesforce-orders-modstamp"
BATCH = 200
MAX_BATCHES = 10


def _second(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00")).replace(microsecond=0)


def _load(cursor: Cursor) -> tuple[dt.datetime, str | None]:
    """The watermark: a whole second, and — while the watcher is part way through a second with
    more changes than one batch holds — the last Order Id read within it ("" for none yet)."""
    stamp, paging, after = cursor.value.partition("|")
    return _second(stamp), after if paging else None


def _save(cursor: Cursor, second: dt.datetime, after: str | None) -> None:
    cursor.value = second.isoformat() + ("" if after is None else f"|{after}")
    cursor.save()


def watch_salesforce(vendors: Vendors) -> dict:
    """Queue the follow-up of every linked Order changed since the watermark; returns counts.

    Salesforce compares SystemModstamp at whole seconds, so each run reads from the start of the
    last second it saw: a row is seen again rather than missed (queueing twice is harmless). A
    second holding a full batch (a bulk load) is paged through by Id, its position kept between
    runs, so no number of Orders sharing one second stalls the watermark."""
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    if not cursor.value:  # the first run starts now: history is the reconcile command's job
        _save(cursor, timezone.now().replace(microsecond=0), None)
        return {"seen": 0, "queued": 0}
    sf = vendors.salesforce
    edits = SyncSettings.load().sync_salesforce_edits
    seen = queued = 0
    second, after = _load(cursor)
    for _ in range(MAX_BATCHES):
        if after is None:
            rows = sf.orders_changed_since(second, BATCH)
        else:
            rows = sf.orders_changed_within(second, after, BATCH)
        queued += _queue_follow_ups(rows, edits)
        seen += len(rows)
        full = len(rows) == BATCH
        if after is not None:  # paging through one crowded second
            second, after = (second, rows[-1].order_id) if full else (second + SECOND, None)
            continue
        if not rows:
            break
        newest = rows[-1].modstamp.replace(microsecond=0)
        if full and newest == second:
            after = ""  # one second fills the batch: page through it by Id, from its start
        else:
            second = newest
            if not full:
                break
    _save(cursor, second, after)
    return {"seen": seen, "queued": queued}


def _queue_follow_ups(rows: list[OrderChange], edits: bool) -> int:
    links = {link.salesforce_order_id: link
             for link in OrderLink.objects.filter(salesforce_order_id__in=[r.order_id for r in rows])}
    queued = 0
    for row in rows:
        link = links.get(row.order_id)
        if link is None:
            continue
        kind = _follow_up(link, row.status, edits)
        if kind:
            engine.enqueue(kind, link.billing_provider, row.order_id)
            queued += 1
    return queued


def _follow_up(link: OrderLink, status: str, sync_edits: bool) -> str | None:
    if status == OrderStatus.ACTIVATED and link.status != OrderStatus.ACTIVATED:
        return SyncJob.Kind.ACTIVATION
    if sync_edits and status == OrderStatus.DRAFT and link.origin == OrderLink.Origin.SALESFORCE:
        return SyncJob.Kind.SALESFORCE_TO_BILLING
    return None


@kinds.handles(SyncJob.Kind.ACTIVATION)
def activation_job(job: SyncJob, recorder: Recorder) -> dict:
    """Job handler: activate an order seen activated in Salesforce, in its origin first."""
    done = activation.activate_from_salesforce(job.subject, Vendors.from_settings(recorder))
    return {"billing_status": done.billing_status, "salesforce_status": done.salesforce_status}


@kinds.handles(SyncJob.Kind.SALESFORCE_TO_BILLING)
def push_job(job: SyncJob, recorder: Recorder) -> dict:
    """Job handler: push a Salesforce-origin draft edited in Salesforce to billing."""
    pushed = salesforce_to_billing.push_order(job.subject, Vendors.from_settings(recorder))
    return {"billing_order_id": pushed.billing_order_id, "created": pushed.created}
