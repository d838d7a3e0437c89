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
from syncapp.models import AccountLink, FieldMapping, OrderLink, ProductMapping, SyncJob, SyncSettings
from syncapp.sync.accounts import Buyer, resolve
from syncapp.sync.conflicts import activate_in_salesforce
from syncapp.sync.known import Known, Written, link_new, remember_written
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
    if isinstance(planned, dict):
        return planned
    for failure in link_new({order_id: planned.link}).values():
        raise failure
    written = write(sf, planned)
    remember_written([written])
    return result_of(written)


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
    known = Known.read([(job.provider, job.subject) for job in jobs],
                       [(provider, order) for provider, billing in billing_by_provider.items() for order in billing.orders()])
    for job in jobs:
        if (outcomes or planned) and time.monotonic() > deadline:
            break  # the first order always goes; the others while time is left
        try:
            billing = billing_by_provider[job.provider]
            sf.recorder = billing.recorder = recorders[job.pk]
            result = plan(job.provider, job.subject, sf=sf, billing=billing, field_map=field_map, known=known)
        except Exception as err:  # each job keeps its own failure
            outcomes[job.pk] = err
            continue
        if isinstance(result, dict):
            outcomes[job.pk] = result
        else:
            planned[job.pk] = result
    for job_id, failure in link_new({job_id: item.link for job_id, item in planned.items()}).items():
        outcomes[job_id] = failure
        del planned[job_id]
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
        written: dict[int, Written] = {}
        for (job_id, item, _), result in zip(chunk, results):
            outcome = _settle_graph(sf, item, result, deadline)
            if isinstance(outcome, Written):
                written[job_id] = outcome
            elif outcome is not None:
                outcomes[job_id] = outcome
        failed = remember_written(list(written.values()))
        outcomes.update({job_id: failed.get(each.link.pk) or result_of(each) for job_id, each in written.items()})
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
    """What the graph's result means for the job: Written (to record), its error, or None when it
    must wait for another run."""
    if graph_halted(result):
        return None  # Salesforce stopped before this graph (too many others failed): not a failure
    error = graph_error(result)
    if error is None:
        return _written(item, result)
    if isinstance(error, PermanentError) and error.code in STALE_STATE_CODES:
        if time.monotonic() > deadline:
            return None  # no time left to reload and write it again: the job engine queues it again
        try:
            return write(sf, item, reload=True)
        except Exception as err:
            return err
    return error


def plan(provider: str, order_id: str, *, sf: SalesforceConnector, billing: OrderBilling,
         field_map: dict | None = None, known: Known | None = None) -> Planned | dict:
    """Everything before the Salesforce write: the current billing order, echo suppression, the
    Account and the price book. Returns a result dict when there is nothing to write.
    `field_map`: the active field mappings, and `known`: the hub's rows about the batch's orders,
    when the caller read them already."""
    known = known or Known.read([(provider, order_id)])
    link = known.links.get((provider, order_id))
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
        remember_written([Written(link, order, digest, link.salesforce_order_id, None)])
        return {"skipped": "activated on both sides", "salesforce_order_id": link.salesforce_order_id}
    if link and link.origin == OrderLink.Origin.SALESFORCE and order.status == OrderStatus.ACTIVATED:
        # Paid in the billing portal: activation happens in Salesforce, the origin, first.
        activate_in_salesforce(sf, billing, link)
        remember_written([Written(link, order, digest, link.salesforce_order_id, None)])
        return {"salesforce_order_id": link.salesforce_order_id, "activated": "in Salesforce, its origin"}
    account = ensure_account(sf, billing, provider, order, known.accounts)
    new_link = link is None
    if link is None:  # made with the batch's other new links before the write (`link_new`)
        link = OrderLink(billing_provider=provider, billing_order_id=order_id, origin=OrderLink.Origin.BILLING,
                         account_link=account)
    elif link.account_link_id != account.pk:
        link.account_link = account
        link.save()
    account_id = account.salesforce_account_id
    try:
        side = _salesforce_side(sf, link, order, account_id, field_map=field_map, known=known)
    except Exception:
        if new_link:  # an order that fails here is found by its customer too
            link.save()
        raise
    return Planned(provider, link, order, digest, account_id, side, new_link=new_link)


def write(sf: SalesforceConnector, item: Planned, reload: bool = False) -> Written:
    """Send one order's graph; when the hub's picture of Salesforce was stale, reload it and retry.
    Returns what to record (`remember_written`)."""
    if reload:
        item.side = _salesforce_side(sf, item.link, item.order, item.account_id, reload=True)
    graph = sf.order_graph(f"g{uuid.uuid4().hex[:12]}", item.order, item.side)
    try:
        result = sf.graph([graph])[0]
    except PermanentError as err:
        if reload or err.code not in STALE_STATE_CODES:
            raise
        return write(sf, item, reload=True)
    return _written(item, result)


def _written(item: Planned, graph_result: dict) -> Written:
    sf_order_id, items = written_ids(item.order, graph_result)
    return Written(item.link, item.order, item.digest, sf_order_id, {**item.side.items, **items}, new_link=item.new_link)


def result_of(written: Written) -> dict:
    """The job's result once the written order is recorded."""
    return {"salesforce_order_id": written.salesforce_order_id, "lines": len(written.order.lines),
            "status": str(written.order.status)}


def _salesforce_side(sf: SalesforceConnector, link: OrderLink, order: DraftOrder, account_id: str, reload: bool = False, *,
                     field_map: dict | None = None, known: Known | None = None) -> SalesforceSide:
    """What Salesforce holds of the order, as far as the graph needs it: from Salesforce itself
    when `reload`, else from the hub's rows (`known`)."""
    known = known or Known()
    pricebook_id, entries = pricebook_entries(sf, {line.sku for line in order.lines}, order.currency, known.products)
    side = SalesforceSide(
        account_id=account_id, pricebook_id=pricebook_id, entries=entries, origin=link.origin,
        currency=order.currency if conf.salesforce_multi_currency() else "",
        custom_fields=FieldMapping.active_map() if field_map is None else field_map)
    if reload:
        written = sf.written_order(billing_order_id(order, link.billing_provider))
        if written:
            side.status, side.items = written.status, dict(written.items)
    elif link.pk:
        side.status = link.status if link.salesforce_order_id else ""
        side.items = known.items_of(link)
    return side


def pricebook_entries(sf: SalesforceConnector, skus: set[str], currency: str,
                      products: dict[tuple[str, str], ProductMapping] | None = None) -> tuple[str, dict[str, str]]:
    """The standard price book and its entry for each SKU, from `ProductMapping` or, once, from
    Salesforce (`Product2.ProductCode` = SKU). `products`: the mappings read already, by (SKU,
    currency); those read here are added to it."""
    products = {} if products is None else products
    if any((sku, currency) not in products for sku in skus):
        products.update({(m.sku, currency): m for m in ProductMapping.objects.filter(sku__in=skus, currency=currency)})
    known = {sku: products[sku, currency] for sku in skus if (sku, currency) in products}
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
            products[entry.sku, currency] = known[entry.sku]
        unmapped = skus - known.keys()
        if unmapped:
            raise PermanentError(f"No active Salesforce product for SKU {', '.join(sorted(unmapped))}",
                                 code="unmapped_sku", details={"skus": sorted(unmapped)})
    pricebook_id = next(iter(known.values())).pricebook2_id if known else ""
    return pricebook_id, {sku: m.pricebook_entry_id for sku, m in known.items()}


def ensure_account(sf: SalesforceConnector, billing: OrderBilling, provider: str, order: DraftOrder,
                   accounts: dict[tuple[str, str], AccountLink] | None = None) -> AccountLink:
    """The link to the Salesforce Account of the order's billing account: its CRM id, else the link
    the hub made, else the checkout matching rules (then the CRM id is written back to billing).
    An order naming no billing account is refused (`invalid_order`). `accounts`: the account links
    read already, by (provider, billing account id); the one made or brought up to date goes there."""
    customer = order.customer
    if customer is None and order.account_id:
        customer = billing.get_account(order.account_id)
    account_id = (customer.account_id if customer else None) or order.account_id
    if customer is None or not account_id:
        raise PermanentError(f"The {provider} order {order.order_id} names no billing account",
                             code="invalid_order", vendor=provider)
    accounts = {} if accounts is None else accounts
    known = accounts.get((provider, account_id))
    email = customer.email or (customer.bill_to.email if customer.bill_to else "")
    if customer.crm_id:
        link = AccountLink.remember(provider, account_id, customer.crm_id, email=email, company=customer.name,
                                    link=known)
    elif known or (known := AccountLink.objects.filter(billing_provider=provider,
                                                       billing_account_id=account_id).first()):
        billing.set_account_crm_id(account_id, known.salesforce_account_id)
        link = AccountLink.remember(provider, account_id, known.salesforce_account_id, email=email,
                                    company=customer.name, link=known)
    else:
        contact = customer.bill_to or Contact(email=customer.email)
        buyer = Buyer(contact=contact, company=customer.name)
        public = SyncSettings.load().public_domains
        key = match_key(buyer.email, public)
        with lease(f"match:{key}", ttl=timedelta(seconds=60), wait=60):
            result = resolve(sf, buyer, public)
        billing.set_account_crm_id(account_id, result.account_id)
        link = AccountLink.remember(provider, account_id, result.account_id, email=buyer.email,
                                    company=customer.name, matched_by=result.account_match, match_key=key)
    accounts[provider, account_id] = link
    return link
