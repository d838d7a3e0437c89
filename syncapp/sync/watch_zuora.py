"""Watching Zuora: a draft order created or edited in Zuora raises no event a callout could carry
(docs/vendor-assumptions.md, Zuora, "Callouts"), so a scheduled poller lists the drafts updated
since a watermark and queues their billing→Salesforce sync, as a webhook would.

The listing carries each draft whole, so the poller applies the sync's own echo test to it: a
draft whose content is what Salesforce already shows (the order link's billing fingerprint), or
whose sync is still waiting to run (it will read the current state), is not queued again, and an
unchanged draft costs no order read however many polls list it. A draft whose sync is running may
have been read before its last change, or after: the watermark stays at that change, so the next
poll lists the draft again and tests it once its sync has recorded what it wrote (queueing it to
run again at once would read it again, usually for nothing)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from syncapp import conf
from syncapp.connectors.billing.base import billing_order_id
from syncapp.connectors.vendors import Vendors
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, OrderLink, SyncJob

CURSOR = "zuora-drafts-updated"
PROVIDER = "zuora"
# Read again from a little before the last run: an order committed while that run was listing
# carries an `updatedDate` before the run's start.
OVERLAP = dt.timedelta(seconds=30)


def watch_zuora(vendors: Vendors) -> dict:
    """Queue the sync of every Zuora draft updated since the watermark and not yet in Salesforce
    in its current state; returns counts."""
    if conf.billing_provider() != PROVIDER:
        return {"seen": 0, "queued": 0, "held": 0}
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    started = timezone.now()
    if not cursor.value:  # the first run starts now: history is the backfill's job
        cursor.value = started.isoformat()
        cursor.save()
        return {"seen": 0, "queued": 0, "held": 0}
    billing = vendors.billing_for(PROVIDER)
    # Zuora stamps `updatedDate` to the second: a draft changed in the watermark's second, after
    # the watermark, carries a stamp before it, so the window starts at the top of that second.
    since = (dt.datetime.fromisoformat(cursor.value) - OVERLAP).replace(microsecond=0)
    listed = {billing_order_id(order, PROVIDER): order
              for order in billing.list_orders(status=OrderStatus.DRAFT.value, updated_since=since)}
    drafts = {order_id: fingerprint(order) for order_id, order in listed.items()}
    settled, running = _settled(drafts) if drafts else (set(), set())
    held = {order_id: stamp for order_id in running if (stamp := listed[order_id].updated_at)}
    changed = sorted(set(drafts) - settled - held.keys())  # a running one without a stamp runs again
    for order_id in changed:
        engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, PROVIDER, order_id)
    cursor.value = min([started, *held.values()]).isoformat()
    cursor.save()
    return {"seen": len(drafts), "queued": len(changed), "held": len(held)}


def _settled(drafts: dict[str, str]) -> tuple[set[str], set[str]]:
    """Of the drafts listed, those that need no sync (Salesforce shows their content, or their
    sync is due) and those whose sync is running."""
    synced = {order_id for order_id, digest in OrderLink.objects.filter(
        billing_provider=PROVIDER, billing_order_id__in=list(drafts)).values_list(
        "billing_order_id", "billing_fingerprint") if digest == drafts[order_id]}
    active = dict(SyncJob.objects.filter(kind=SyncJob.Kind.BILLING_TO_SALESFORCE, provider=PROVIDER,
                                         subject__in=list(drafts), status__in=SyncJob.ACTIVE)
                  .values_list("subject", "status"))
    waiting = {order_id for order_id, status in active.items() if status == SyncJob.Status.PENDING}
    running = {order_id for order_id, status in active.items() if status == SyncJob.Status.RUNNING} - synced
    return synced | waiting, running
