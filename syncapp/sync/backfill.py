"""Backfill: bring the billing drafts that existed before the hub into Salesforce, once.

Drafts are listed page by page; those the hub has not linked to a Salesforce Order yet become
ordinary billing → Salesforce sync jobs, run here batch by batch (the job engine packs a batch
into one composite graph call) — a worker cluster running at the same time only helps, since a
job is claimed by one runner at a time. A `Cursor` row remembers how far the listing got, so an
interrupted run continues where it stopped; the link check makes a repeated run do nothing twice.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from syncapp import conf
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import OrderStatus
from syncapp.jobs import engine
from syncapp.models import Cursor, OrderLink, SyncJob, SyncSettings
from syncapp.sync.reconcile import in_pages

MAX_RUNS = 3  # tries per batch here; what still fails is the job engine's (backoff) or staff's


class SyncTurnedOff(Exception):
    """Backfilling with draft sync off would only mark every draft as skipped."""


@dataclass
class Backfilled:
    listed: int = 0  # drafts listed, resumed ones included
    resumed: int = 0  # drafts skipped because an earlier run handled them
    already_linked: int = 0
    queued: int = 0
    synced: int = 0
    not_synced: int = 0  # failed, or retrying later through the job engine

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def cursor_name(provider: str, since: dt.datetime | None) -> str:
    return f"backfill:{provider}:{since.isoformat() if since else 'all'}"[:100]


def backfill(vendors: Vendors, *, since: dt.datetime | None = None, batch: int = engine.MAX_BATCH,
             progress: Callable[[int], None] | None = None) -> Backfilled:
    """Sync every draft of the configured billing provider not yet in Salesforce (changed since
    `since`, if given). The syncs themselves run as jobs, with their own connectors."""
    config = SyncSettings.load()
    if not (config.sync_draft_orders and config.auto_sync):  # the jobs would only be skipped
        raise SyncTurnedOff("Draft-order sync or auto-sync is turned off in the sync settings; "
                            "turn them on to backfill.")
    billing = vendors.billing
    provider = billing.provider or conf.billing_provider()
    cursor, _ = Cursor.objects.get_or_create(name=cursor_name(provider, since))
    position = json.loads(cursor.value) if cursor.value else {"done": 0, "last": ""}
    done = Backfilled()
    listing = billing.list_orders(status=OrderStatus.DRAFT.value, updated_since=since)
    if position["done"]:
        skipped = _skip(listing, position)
        if skipped is None:  # the listing changed under the cursor: check every draft again
            listing = billing.list_orders(status=OrderStatus.DRAFT.value, updated_since=since)
        done.resumed = skipped or 0
        done.listed = done.resumed
        if progress:
            progress(done.resumed)
    for page in in_pages(listing, batch):
        ids = [order.order_id for order in page]
        linked = set(OrderLink.objects.filter(billing_provider=provider, billing_order_id__in=ids)
                     .exclude(salesforce_order_id="").values_list("billing_order_id", flat=True))
        todo = [engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, i).pk for i in ids if i not in linked]
        _run(todo)
        statuses = list(SyncJob.objects.filter(pk__in=todo).values_list("status", flat=True))
        done.listed += len(page)
        done.already_linked += len(linked)
        done.queued += len(todo)
        done.synced += statuses.count(SyncJob.Status.SUCCEEDED)
        done.not_synced += len(todo) - statuses.count(SyncJob.Status.SUCCEEDED)
        cursor.value = json.dumps({"done": done.listed, "last": ids[-1]}, separators=(",", ":"))
        cursor.save()
        if progress:
            progress(len(page))
    return done


def _skip(listing, position: dict) -> int | None:
    """Step over the drafts an earlier run handled; None when the listing no longer starts with
    them (the draft at the remembered position is another one)."""
    last, count = None, 0
    for order in islice(listing, position["done"]):
        last, count = order.order_id, count + 1
    return count if count == position["done"] and last == position["last"] else None


def _run(job_ids: list[int]) -> None:
    """Run the batch's jobs now: the first run claims the others as its backlog (one graph call)."""
    for _ in range(MAX_RUNS):
        due = list(SyncJob.objects.filter(pk__in=job_ids, status=SyncJob.Status.PENDING)
                   .values_list("pk", flat=True))
        if not due:
            return
        for job_id in due:
            engine.run(job_id)
