"""Watching Zuora: a draft order created or edited in Zuora raises no event a callout could carry
(docs/vendor-assumptions.md, Zuora, "Callouts"), so a scheduled poller lists the drafts updated
since a watermark and queues their billing→Salesforce sync, as a webhook would. Queueing an order
that did not change costs one order read: the sync recognises it as an echo."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp import conf
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, SyncJob

CURSOR = "zuora-drafts-updated"
# Read again from a little before the last run: an order committed while that run was listing
# carries an `updatedDate` before the run's start.
OVERLAP = dt.timedelta(seconds=30)


def watch_zuora(*, billing=None, recorder=None) -> dict:
    """Queue the sync of every Zuora draft updated since the watermark; returns counts."""
    if conf.billing_provider() != "zuora":
        return {"seen": 0, "queued": 0}
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    started = timezone.now()
    if not cursor.value:  # the first run starts now: history is the backfill's job
        cursor.value = started.isoformat()
        cursor.save()
        return {"seen": 0, "queued": 0}
    if billing is None:
        from syncapp.connectors.billing.zuora import ZuoraConnector

        billing = ZuoraConnector.from_settings(recorder=recorder)
    since = dt.datetime.fromisoformat(cursor.value) - OVERLAP
    seen = 0
    for order in billing.list_orders(status=OrderStatus.DRAFT.value, updated_since=since):
        engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", order.order_id)
        seen += 1
    cursor.value = started.isoformat()
    cursor.save()
    return {"seen": seen, "queued": seen}
