"""Watching Zuora: a draft order created or edited in Zuora raises no event a callout could carry
(docs/vendor-assumptions.md, Zuora, "Callouts"), so a scheduled poller lists the drafts updated
since a watermark and queues their billing→Salesforce sync, as a webhook would. A listed draft
whose content is what the hub last wrote to Salesforce (its fingerprint, as the sync would find on
reading it) is not queued: every draft a webhook just synced is listed again, and queueing it
would cost a job and an order read each only to skip it as an echo."""
from __future__ import annotations

import datetime as dt
from itertools import islice

from django.utils import timezone

from syncapp import conf
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, OrderLink, SyncJob

CURSOR = "zuora-drafts-updated"
# Read again from a little before the last run: an order committed while that run was listing
# carries an `updatedDate` before the run's start.
OVERLAP = dt.timedelta(seconds=30)
PAGE = 200  # listed drafts compared with their links at a time


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
    seen = queued = 0
    listed = billing.list_orders(status=OrderStatus.DRAFT.value, updated_since=since)
    while page := list(islice(listed, PAGE)):
        synced = dict(OrderLink.objects.filter(billing_provider="zuora", billing_order_id__in=[o.order_id for o in page])
                      .values_list("billing_order_id", "billing_fingerprint"))
        for order in page:
            if synced.get(order.order_id) != fingerprint(order):
                engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", order.order_id)
                queued += 1
        seen += len(page)
    cursor.value = started.isoformat()
    cursor.save()
    return {"seen": seen, "queued": queued}
