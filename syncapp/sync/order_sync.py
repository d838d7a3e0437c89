"""Billing → Salesforce draft-order sync (docs/architecture.md).

The billing platform's current order is the truth: each run fetches it, skips it when Salesforce
already shows exactly that (echo suppression), makes sure the customer's Account exists, and
writes the Order and its items as one composite graph — several orders' graphs in one call when
a worker finds a backlog.
"""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from syncapp import conf
from syncapp.connectors.billing.base import OrderBilling, billing_order_id
from syncapp.connectors.http import Recorder
from syncapp.connectors.salesforce import SalesforceConnector, graph_error, graph_halted
from syncapp.connectors.salesforce.orders import SalesforceSide, written_ids
from syncapp.connectors.vendors import Vendors
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.matching import match_key
from syncapp.domain.records import Contact, DraftOrder, OrderStatus
from syncapp.exceptions import NotFoundError, PermanentError
from syncapp.jobs import kinds
from syncapp.jobs.leases import lease
from syncapp.models import AccountLink, FieldMapping, LineLink, OrderLink, ProductMapping, SyncJob, SyncSettings
from syncapp.sync.accounts import Buyer, resolve
from syncapp.sync.conflicts import activate_in_salesforce
from syncapp.sync.prefetch import prefetched

TURNED_OFF = "turned_off"  # result key: the setting that stopped a run (replay_webhooks --skipped)
MAX_GRAPHS = 75  # Salesforce's limits for one /composite/graph request
MAX_NODES = 500
# Errors that mean the hub's picture of the Salesforce order is stale: reload it and try again.
STALE_STATE_CODES = {"INVALID_FIELD_FOR_INSERT_UPDATE", "ENTITY_IS_DELETED", "NOT_FOUND",
                     "FIELD_INTEGRITY_EXCEPTION", "INVALID_CROSS_REFERENCE_KEY"}


@dataclass
class Planned:
    """An order whose Salesforce graph is ready to send."""

    provider: str
    link: OrderLink
    order: DraftOrder
    digest: str
    account_id: str
    side: SalesforceSide
    new_link: bool = False  # made by this run: it has no line links yet


def turned_off(requested: bool = False) -> dict | None:
    """The result of a run that settings stop, or None to go ahead. "Auto-sync" gates only the
    syncs webhooks start: a `resync_order` (requested) runs anyway. Such a run finishes with this
    result and is not caught up when sync is turned back on; `replay_webhooks --skipped` does."""
    config = SyncSettings.load()
    if not config.sync_draft_orders:
        return {"skipped": "sync draft orders is turned off in settings", TURNED_OFF: "sync_draft_orders"}
    if not config.auto_sync and not requested:
        return {"skipped": "auto-sync is turned off in settings", TURNED_OFF: "auto_sync"}
    return None


def sync_order(provider: str, order_id: str, vendors: Vendors) -> dict:
    """Sync one billing order of `provider` to Salesforce now; returns what was done."""
    sf = vendors.salesforce
    planned = plan(provider, order_id, sf=sf, billing=vendors.billing_for(provider))
    return planned if isinstance(planned, dict) else write(sf, planned)


@kinds.handles(SyncJob.Kind.BILLING_TO_SALESFORCE, batch=True)
def sync_batch(jobs: list[SyncJob], recorders: dict[int, Recorder], *, requested: bool = False,
               deadline: float = math.inf) -> dict:
    """Job handler: sync several orders, their graphs packed into as few composite graph calls
    as Salesforce allows (75 graphs, 500 nodes). Returns job id → result dict or exception; the
    jobs it had no time for (past `deadline`) are left out, and the job engine queues them again."""
    off = turned_off(requested)
    if off:
        return {job.pk: off for job in jobs}
    vendors = Vendors.from_settings(recorder=recorders[jobs[0].pk])
    sf = vendors.salesforce
    outcomes: dict[int, object] = {}
    planned: dict[int, Planned] = {}
    field_map = FieldMapping.active_map()  # read once for the batch, not once per order
    # One connector per provider for the whole batch (its token and catalog read once), its
    # orders and accounts read ahead, each call recorded against the job it was made for.
    billing_by_provider = {provider: prefetched(vendors.billing_for(provider), vendors, provider,
                                                [job for job in jobs if job.provider == provider], recorders)
                           for provider in {job.provider for job in jobs}}
    for job in jobs:
        if (outcomes or planned) and time.monotonic() > deadline:
            break  # the first order always goes; the others while time is left
        try:
            billing = billing_by_provider[job.provider]
            sf.recorder = billing.recorder = recorders[job.pk]
            result = plan(job.provider, job.subject, sf=sf, billing=billing, field_map=field_map)
        except Exception as err:  # each job keeps its own failure
            outcomes[job.pk] = err
            continue
        if isinstance(result, dict):
            outcomes[job.pk] = result
        else:
            planned[job.pk] = result
    sf.recorder = recorders[jobs[0].pk]  # the batch's graph calls: on the job that led it
    for n, chunk in enumerate(_chunks(planned.items(), sf)):
        if n and time.monotonic() > deadline:
            break
        graphs = [graph for _, _, graph in chunk]
        try:
            results = sf.graph(graphs, raise_on_failure=False)
        except Exception as err:  # the call itself failed: every order in it retries
            outcomes.update({job_id: err for job_id, _, _ in chunk})
            continue
        for (job_id, item, _), result in zip(chunk, results):
            outcome = _settle_graph(sf, item, result, deadline)
            if outcome is not None:
                outcomes[job_id] = outcome
    return outcomes


def _chunks(items: Iterable[tuple[int, Planned]], sf: SalesforceConnector
            ) -> Iterator[list[tuple[int, Planned, dict]]]:
    """(job id, planned, graph) groups within Salesforce's graph limits."""
    chunk: list[tuple[int, Planned, dict]] = []
    nodes = 0
    for job_id, item in items:
        graph = sf.order_graph(f"job{job_id}", item.order, item.side)
        size = len(graph["compositeRequest"])
        if chunk and (len(chunk) == MAX_GRAPHS or nodes + size > MAX_NODES):
            yield chunk
            chunk, nodes = [], 0
        chunk.append((job_id, item, graph))
        nodes += size
    if chunk:
        yield chunk


def _settle_graph(sf: SalesforceConnector, item: Planned, result: dict, deadline: float = math.inf):
    """The job's outcome from its graph's result; None when it must wait for another run."""
    if graph_halted(result):
        return None  # Salesforce stopped before this graph (too many others failed): not a failure
    error = graph_error(result)
    if error is None:
        return finish(item, result)
    if isinstance(error, PermanentError) and error.code in STALE_STATE_CODES:
        if time.monotonic() > deadline:
            return None  # no time left to reload and write it again: the job engine queues it again
        try:
            return write(sf, item, reload=True)
        except Exception as err:
            return err
    return error


def plan(provider: str, order_id: str, *, sf: SalesforceConnector, billing: OrderBilling,
         field_map: dict | None = None) -> Planned | dict:
    """Everything before the Salesforce write: the current billing order, echo suppression, the
    Account and the price book. Returns a result dict when there is nothing to write.
    `field_map`: the active field mappings, when the caller read them already."""
    link = OrderLink.objects.filter(billing_provider=provider, billing_order_id=order_id).first()
    try:
        order = billing.get_order(order_id)
    except NotFoundError:
        if link and not link.deleted_in_billing_at:
            link.deleted_in_billing_at = timezone.now()
            link.save(update_fields=["deleted_in_billing_at", "updated_at"])
        return {"skipped": "deleted in billing; not synced (staff delete from the console)"}
    digest = fingerprint(order)
    if link and link.billing_fingerprint == digest:
        return {"skipped": "Salesforce already shows this state", "salesforce_order_id": link.salesforce_order_id}
    if link is None and order.status == OrderStatus.CANCELED:
        return {"skipped": "canceled before it reached Salesforce"}
    if link and link.status == order.status == OrderStatus.ACTIVATED:
        _remember(link, order, digest, link.salesforce_order_id, None)
        return {"skipped": "activated on both sides", "salesforce_order_id": link.salesforce_order_id}
    if link and link.origin == OrderLink.Origin.SALESFORCE and order.status == OrderStatus.ACTIVATED:
        # Paid in the billing portal: activation happens in Salesforce, the origin, first.
        activate_in_salesforce(sf, billing, link)
        _remember(link, order, digest, link.salesforce_order_id, None)
        return {"salesforce_order_id": link.salesforce_order_id, "activated": "in Salesforce, its origin"}
    account = ensure_account(sf, billing, provider, order)
    known = link is not None
    link = link or OrderLink(billing_provider=provider, billing_order_id=order_id, origin=OrderLink.Origin.BILLING)
    if link.account_link_id != account.pk or link.pk is None:
        # Linked to its customer before the write, so staff find even an order whose first sync
        # failed by its customer (the Salesforce side stays empty until a write succeeds).
        link.account_link = account
        link.save()
    account_id = account.salesforce_account_id
    return Planned(provider, link, order, digest, account_id,
                   _salesforce_side(sf, link, order, account_id, field_map=field_map, known=known), new_link=not known)


def write(sf: SalesforceConnector, item: Planned, reload: bool = False) -> dict:
    """Send one order's graph; when the hub's picture of Salesforce was stale, reload it and retry."""
    if reload:
        item.side = _salesforce_side(sf, item.link, item.order, item.account_id, reload=True)
    graph = sf.order_graph(f"g{uuid.uuid4().hex[:12]}", item.order, item.side)
    try:
        result = sf.graph([graph])[0]
    except PermanentError as err:
        if reload or err.code not in STALE_STATE_CODES:
            raise
        return write(sf, item, reload=True)
    return finish(item, result)


def finish(item: Planned, graph_result: dict) -> dict:
    """Remember what the successful graph wrote; the job's result."""
    sf_order_id, items = written_ids(item.order, graph_result)
    _remember(item.link, item.order, item.digest, sf_order_id, {**item.side.items, **items}, new_link=item.new_link)
    return {"salesforce_order_id": sf_order_id, "lines": len(item.order.lines), "status": str(item.order.status)}


def _remember(link: OrderLink, order: DraftOrder, digest: str, sf_order_id: str, items: dict | None, *,
              new_link: bool = False) -> None:
    with transaction.atomic():
        link.salesforce_order_id = sf_order_id
        link.status = order.status.value
        link.billing_fingerprint = digest
        link.last_synced_at = timezone.now()
        link.last_error = ""
        link.save()
        if items is not None:
            # Every line read from billing has its id; one without could not be linked.
            current = {line.line_id for line in order.lines if line.line_id}
            if not new_link:  # lines gone from the order lose their links
                link.lines.exclude(billing_line_id__in=current).delete()
            # One upsert for all the lines (by the unique order link + line id), not a savepoint,
            # a read and a write for each.
            LineLink.objects.bulk_create(
                [LineLink(order_link=link, billing_line_id=line_id, salesforce_item_id=items.get(line_id, ""))
                 for line_id in sorted(current)],
                update_conflicts=True, unique_fields=["order_link", "billing_line_id"],
                update_fields=["salesforce_item_id"])


def _salesforce_side(sf: SalesforceConnector, link: OrderLink, order: DraftOrder, account_id: str, reload: bool = False, *,
                     field_map: dict | None = None, known: bool = True) -> SalesforceSide:
    """What Salesforce holds of the order, as far as the graph needs it. `known=False`: the link
    was made by this run, so it has no lines to read."""
    pricebook_id, entries = pricebook_entries(sf, {line.sku for line in order.lines}, order.currency)
    side = SalesforceSide(
        account_id=account_id, pricebook_id=pricebook_id, entries=entries, origin=link.origin,
        currency=order.currency if conf.salesforce_multi_currency() else "",
        custom_fields=FieldMapping.active_map() if field_map is None else field_map)
    if reload:
        written = sf.written_order(billing_order_id(order, link.billing_provider))
        if written:
            side.status, side.items = written.status, dict(written.items)
    elif link.pk and known:
        side.status = link.status if link.salesforce_order_id else ""
        side.items = {ll.billing_line_id: ll.salesforce_item_id for ll in link.lines.all() if ll.salesforce_item_id}
    return side


def pricebook_entries(sf: SalesforceConnector, skus: set[str], currency: str) -> tuple[str, dict[str, str]]:
    """The standard price book and its entry for each SKU, from `ProductMapping` or, once, from
    Salesforce (`Product2.ProductCode` = SKU)."""
    known = {m.sku: m for m in ProductMapping.objects.filter(sku__in=skus, currency=currency)}
    missing = skus - known.keys()
    if missing:
        pricebook_id = sf.standard_pricebook_id()
        if not pricebook_id:
            raise PermanentError("Salesforce has no standard price book.", code="no_standard_pricebook")
        for entry in sf.price_entries(pricebook_id, missing,
                                      currency=currency if conf.salesforce_multi_currency() else None):
            known[entry.sku], _ = ProductMapping.objects.update_or_create(
                sku=entry.sku, currency=currency,
                defaults={"product2_id": entry.product2_id, "pricebook_entry_id": entry.entry_id,
                          "pricebook2_id": pricebook_id})
        unmapped = skus - known.keys()
        if unmapped:
            raise PermanentError(f"No active Salesforce product for SKU {', '.join(sorted(unmapped))}",
                                 code="unmapped_sku", details={"skus": sorted(unmapped)})
    pricebook_id = next(iter(known.values())).pricebook2_id if known else ""
    return pricebook_id, {sku: m.pricebook_entry_id for sku, m in known.items()}


def ensure_account(sf: SalesforceConnector, billing: OrderBilling, provider: str,
                   order: DraftOrder) -> AccountLink:
    """The link to the Salesforce Account of the order's billing account: its CRM id, else the link
    the hub made, else the checkout matching rules (then the CRM id is written back to billing).
    An order naming no billing account is refused (`invalid_order`)."""
    customer = order.customer
    if customer is None and order.account_id:
        customer = billing.get_account(order.account_id)
    account_id = (customer.account_id if customer else None) or order.account_id
    if customer is None or not account_id:
        raise PermanentError(f"The {provider} order {order.order_id} names no billing account",
                             code="invalid_order", vendor=provider)
    email = customer.email or (customer.bill_to.email if customer.bill_to else "")
    if customer.crm_id:
        return AccountLink.remember(provider, account_id, customer.crm_id, email=email, company=customer.name)
    known = AccountLink.objects.filter(billing_provider=provider, billing_account_id=account_id).first()
    if known:
        billing.set_account_crm_id(account_id, known.salesforce_account_id)
        return AccountLink.remember(provider, account_id, known.salesforce_account_id, email=email,
                                    company=customer.name)
    contact = customer.bill_to or Contact(email=customer.email)
    buyer = Buyer(contact=contact, company=customer.name)
    public = SyncSettings.load().public_domains
    key = match_key(buyer.email, public)
    with lease(f"match:{key}", ttl=timedelta(seconds=60), wait=60):
        result = resolve(sf, buyer, public)
    billing.set_account_crm_id(account_id, result.account_id)
    return AccountLink.remember(provider, account_id, result.account_id, email=buyer.email, company=customer.name,
                                matched_by=result.account_match, match_key=key)
