"""Watching Salesforce: a scheduled poller over Orders changed since a `SystemModstamp` watermark,
so an activation done in Salesforce is seen even when nobody called the hub's endpoint."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import OrderStatus
from syncapp.models import Cursor, OrderLink, SyncJob, SyncSettings
from syncapp.services import activation, jobs, salesforce_to_billing

CURSOR = "salesforce-orders-modstamp"
BATCH = 200
MAX_BATCHES = 10


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00"))


def watch_salesforce(*, recorder=None, sf=None) -> dict:
    """Queue the follow-up of every linked Order changed since the watermark; returns counts."""
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    if not cursor.value:  # the first run starts now: history is the reconcile command's job
        cursor.value = timezone.now().replace(microsecond=0).isoformat()
        cursor.save()
        return {"seen": 0, "queued": 0}
    sf = sf or SalesforceConnector.from_settings(recorder=recorder)
    edits = SyncSettings.load().sync_salesforce_edits
    seen = queued = 0
    since = _parse(cursor.value)
    for _ in range(MAX_BATCHES):
        # >= at whole seconds: a row is seen again rather than missed; queueing twice is harmless.
        rows = sf.query(soql("SELECT Id, Status, SystemModstamp FROM Order WHERE SystemModstamp >= {} "
                             "ORDER BY SystemModstamp, Id LIMIT {:literal}", since.replace(microsecond=0),
                             str(BATCH)))
        links = {link.salesforce_order_id: link
                 for link in OrderLink.objects.filter(salesforce_order_id__in=[r["Id"] for r in rows])}
        for row in rows:
            link = links.get(row["Id"])
            kind = _follow_up(link, row["Status"], edits) if link else None
            if kind:
                jobs.enqueue(kind, link.billing_provider, row["Id"])
                queued += 1
        seen += len(rows)
        if rows:
            newest = _parse(rows[-1]["SystemModstamp"])
            if newest.replace(microsecond=0) == since.replace(microsecond=0) and len(rows) == BATCH:
                break  # a full batch within one second: move on next run rather than loop
            since = newest
        if len(rows) < BATCH:
            break
    cursor.value = since.isoformat()
    cursor.save()
    return {"seen": seen, "queued": queued}


def _follow_up(link: OrderLink, status: str, sync_edits: bool) -> str | None:
    if status == OrderStatus.ACTIVATED and link.status != OrderStatus.ACTIVATED:
        return SyncJob.Kind.ACTIVATION
    if sync_edits and status == OrderStatus.DRAFT and link.origin == OrderLink.Origin.SALESFORCE:
        return SyncJob.Kind.SALESFORCE_TO_BILLING
    return None


def activation_job(job, recorder) -> dict:
    done = activation.activate_from_salesforce(job.subject, recorder=recorder)
    return {"billing_status": done.billing_status, "salesforce_status": done.salesforce_status}


def push_job(job, recorder) -> dict:
    pushed = salesforce_to_billing.push_order(job.subject, recorder=recorder)
    return {"billing_order_id": pushed.billing_order_id, "created": pushed.created}
