"""Reconcile: compare billing with Salesforce order by order, report the drift and, on request,
queue its repair through the job engine.

Four walks, each streamed a page at a time:

1. billing's orders (changed since `since`, if given), each page read back from Salesforce in one
   query by the billing order id on the Order: *missing in Salesforce*, or *stale* on one side when
   the contents differ;
2. Salesforce Orders carrying a billing id billing never listed: billing is asked once more, and
   those it no longer has are *orphans*;
3. Salesforce Orders whose origin is Salesforce with no billing id: *missing in billing* (a Sync
   Order push that never completed);
4. the hub's `OrderLink`s whose orders are gone from both sides: orphans too.

Contents are compared through the translations the syncs use (the billing connector's, and the
Salesforce port's `orders_by_billing_ids`) and `domain.fingerprints`, restricted to what a
Salesforce Order can show. Repairs are sync jobs of the right kind, never direct writes; nothing
is ever deleted (deletion is never synced), so orphans are reported only. Memory stays bounded by
a page, plus the set of billing order ids seen (a few MB for a million orders).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

from django.utils import timezone

from syncapp import conf
from syncapp.connectors.billing.base import BillingConnector, billing_order_id
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.connectors.salesforce.orders import SalesforceOrder
from syncapp.connectors.vendors import Vendors
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.records import BillingTerms, Discount, DraftOrder, OrderStatus
from syncapp.exceptions import NotFoundError
from syncapp.jobs import allocation, engine
from syncapp.models import FieldMapping, OrderLink, ReconcileReport, SyncJob
from syncapp.models.reconcile import MAX_FINDINGS

PAGE = 200  # billing orders compared per Salesforce query
# The allocation's name for reconcile's reads: deferred past 95% usage like other non-urgent work.
WORK = "reconcile"
Kind = SyncJob.Kind
FIELDS = {"missing_in_salesforce": "missing_in_salesforce", "missing_in_billing": "missing_in_billing",
          "stale_in_salesforce": "stale_in_salesforce", "stale_in_billing": "stale_in_billing",
          "orphan": "orphans"}
Progress = Callable[[str, int], None]  # (walk, items done in this step)


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of FIELDS
    billing_order_id: str = ""
    salesforce_order_id: str = ""
    detail: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "billing_order_id": self.billing_order_id,
                "salesforce_order_id": self.salesforce_order_id, "detail": self.detail}


class Deferred(Exception):
    """The Salesforce allocation asks non-urgent work to wait until `until`."""

    def __init__(self, until: dt.datetime):
        super().__init__(f"Salesforce API allocation: reconcile deferred until {until.isoformat()}")
        self.until = until


def catalog_drift(billing: DraftOrder, salesforce: DraftOrder) -> list[tuple[str, str]]:
    """The (billing SKU, Salesforce Product Code) pairs that alone make two orders differ — a
    product renamed in the Salesforce catalog — or [] when anything else differs too."""
    def without_skus(order: DraftOrder) -> DraftOrder:
        return replace(order, lines=tuple(replace(line, sku="") for line in order.lines))

    if fingerprint(without_skus(billing)) != fingerprint(without_skus(salesforce)):
        return []
    theirs = {line.line_id: line.sku for line in salesforce.lines}
    return sorted({(line.sku, theirs.get(line.line_id, "")) for line in billing.lines
                   if theirs.get(line.line_id, line.sku) != line.sku})


def as_salesforce_shows(order: DraftOrder, custom_fields: Iterable[str]) -> DraftOrder:
    """`order` reduced to what a Salesforce Order written by the order sync carries, so a billing
    draft and a Salesforce Order read back compare equal when they say the same thing: net unit
    prices (list prices come from the price book), percentage discounts, no bill cycle day, the
    mapped custom fields only."""
    mapped = set(custom_fields)
    return replace(
        order, currency="", account_id=None, customer=None, checkout_url=order.checkout_url or None,
        terms=BillingTerms(order.terms.billing_period, order.terms.payment_term, None),
        custom_fields=tuple((k, v) for k, v in order.custom_fields if k in mapped),
        lines=tuple(replace(line, list_price=line.net_price,
                            discount=Discount(percent=line.discount.percent)
                            if line.discount and line.discount.percent else None)
                    for line in order.lines))


def reconcile(vendors: Vendors, *, since: dt.datetime | None = None, fix: bool = False,
              trigger: str = ReconcileReport.Trigger.COMMAND, progress: Progress | None = None) -> ReconcileReport:
    """Run one reconcile of the configured billing provider and return its stored report. Raises
    `Deferred` (with a deferred report stored) when the allocation says wait."""
    report = ReconcileReport.objects.create(trigger=trigger, since=since, fix=fix)
    try:
        _hold()
        Walk(report, vendors.salesforce, vendors.billing, progress or (lambda walk, n: None)).run()
        report.outcome = ReconcileReport.Outcome.COMPLETE
    except Deferred as deferred:
        report.outcome, report.error = ReconcileReport.Outcome.DEFERRED, str(deferred)
        raise
    except Exception as err:
        report.outcome, report.error = ReconcileReport.Outcome.FAILED, f"{type(err).__name__}: {err}"
        raise
    finally:
        report.finished_at = timezone.now()
        report.save()
    return report


def _hold() -> None:
    until = allocation.hold(WORK)
    if until:
        raise Deferred(until)


def in_pages(items: Iterable, size: int) -> Iterator[list]:
    """`items` in lists of `size`, drawn as needed (never all at once)."""
    iterator = iter(items)
    while page := list(islice(iterator, size)):
        yield page


class Walk:
    def __init__(self, report: ReconcileReport, sf: SalesforceConnector, billing: BillingConnector,
                 progress: Progress):
        self.report, self.sf, self.billing, self.progress = report, sf, billing, progress
        self.provider = billing.provider or conf.billing_provider()
        self.fields = FieldMapping.active_map()
        self.seen: set[str] = set()

    def run(self) -> None:
        self._billing_orders()
        self._unknown_to_billing()
        self._never_pushed()
        self._dangling_links()

    # --- the walks -----------------------------------------------------------------------------
    def _billing_orders(self) -> None:
        for page in in_pages(self.billing.list_orders(updated_since=self.report.since), PAGE):
            _hold()
            ids = [order.order_id for order in page]
            in_salesforce = {found.draft.order_id: found for found in self.sf.orders_by_billing_ids(ids, self.fields)}
            links = {link.billing_order_id: link for link in OrderLink.objects.filter(
                billing_provider=self.provider, billing_order_id__in=ids)}
            for order in page:
                self.seen.add(order.order_id)
                self._compare(order, in_salesforce.get(order.order_id), links.get(order.order_id))
            self.report.checked += len(page)
            self.progress("billing orders", len(page))

    def _unknown_to_billing(self) -> None:
        for order in self.sf.orders_with_billing_ids(changed_since=self.report.since):
            billing_id = order.billing_order_id
            if billing_id not in self.seen and self._gone_from_billing(billing_id):
                self._found(Finding("orphan", billing_id, order.order_id,
                                    "Salesforce Order whose billing order is gone"))
            self.progress("Salesforce orders", 1)

    def _never_pushed(self) -> None:
        for order_id in self.sf.drafts_never_pushed():
            self._found(Finding("missing_in_billing", "", order_id, "Salesforce-origin draft never reached billing"),
                        Kind.SALESFORCE_TO_BILLING, order_id)
            self.progress("Salesforce orders", 1)

    def _dangling_links(self) -> None:
        links = OrderLink.objects.filter(billing_provider=self.provider).exclude(billing_order_id="")
        if self.report.since:  # the rest was not listed: only links the hub already knows are gone
            links = links.filter(deleted_in_billing_at__isnull=False)
        for page in in_pages(links.order_by("pk").iterator(chunk_size=PAGE), PAGE):
            _hold()
            gone = [link for link in page
                    if link.billing_order_id not in self.seen and self._gone_from_billing(link.billing_order_id)]
            sf_ids = [link.salesforce_order_id for link in gone if link.salesforce_order_id]
            existing = self.sf.existing_orders(sf_ids)
            for link in gone:
                if link.salesforce_order_id not in existing:  # else walk 2 reported the Order
                    self._found(Finding("orphan", link.billing_order_id, link.salesforce_order_id,
                                        "hub link to orders gone from both sides"))
            self.progress("hub links", len(page))

    # --- one order -----------------------------------------------------------------------------
    def _compare(self, order: DraftOrder, found: SalesforceOrder | None, link: OrderLink | None) -> None:
        billing_id = billing_order_id(order, self.provider)  # listed by billing: it has one
        if found is None:
            if order.status == OrderStatus.CANCELED and link is None:
                return  # canceled before it reached Salesforce: the sync leaves it there too
            self._found(Finding("missing_in_salesforce", billing_id, link.salesforce_order_id if link else "",
                                f"{order.status} in billing, no Salesforce Order"),
                        Kind.BILLING_TO_SALESFORCE, billing_id, forget=link, gone=True)
            return
        if found.status == OrderStatus.ACTIVATED and order.status == OrderStatus.DRAFT:
            self._found(Finding("stale_in_billing", billing_id, found.id, "activated in Salesforce, draft in billing"),
                        Kind.ACTIVATION, found.id)
            return
        names = self.fields.keys()
        ours, theirs = as_salesforce_shows(order, names), as_salesforce_shows(found.draft, names)
        if fingerprint(ours) == fingerprint(theirs):
            return
        renamed = catalog_drift(ours, theirs)
        if renamed:
            # Only the Salesforce catalog changed under the order: no sync fixes that, staff do.
            self._found(Finding("stale_in_salesforce", billing_id, found.id, (
                "catalog drift, not an order edit: the Salesforce product of " + ", ".join(
                    f"SKU {sku} now has Product Code {code or '(none)'}" for sku, code in renamed)
                + "; fix the Product2's Product Code or the product mapping")))
            return
        changed_in_billing = link is None or link.billing_fingerprint != fingerprint(order)
        origin = link.origin if link else (found.origin or OrderLink.Origin.BILLING)
        if changed_in_billing or origin == OrderLink.Origin.BILLING or found.status != OrderStatus.DRAFT:
            self._found(Finding("stale_in_salesforce", billing_id, found.id,
                                "billing changed since the last sync" if changed_in_billing
                                else "edited in Salesforce; billing, the origin, wins"),
                        Kind.BILLING_TO_SALESFORCE, billing_id, forget=link)
        else:
            self._found(Finding("stale_in_billing", billing_id, found.id, "Salesforce-origin draft edited in Salesforce"),
                        Kind.SALESFORCE_TO_BILLING, found.id)

    def _gone_from_billing(self, billing_id: str) -> bool:
        """Asked again, not inferred from the listing: an order created while we listed is not gone."""
        try:
            self.billing.get_order(billing_id)
        except NotFoundError:
            return True
        return False

    # --- recording and repairing ---------------------------------------------------------------
    def _found(self, finding: Finding, repair: str | None = None, subject: str = "", *,
               forget: OrderLink | None = None, gone: bool = False) -> None:
        field = FIELDS[finding.kind]
        setattr(self.report, field, getattr(self.report, field) + 1)
        if len(self.report.findings) < MAX_FINDINGS:
            self.report.findings.append(finding.as_dict())
        if self.report.fix and repair:
            if forget is not None:
                _forget_salesforce_state(forget, gone)
            engine.enqueue(repair, self.provider, subject)
            self.report.queued += 1


def _forget_salesforce_state(link: OrderLink, gone: bool) -> None:
    """The hub's memory of the Salesforce side proved wrong: drop it so the queued sync writes the
    order instead of skipping it as an echo. When the Order itself is gone, forget its ids too, so
    the sync creates it afresh (the hub's own rows are updated, nothing is deleted)."""
    changes = {"billing_fingerprint": ""}
    if gone:
        changes.update(salesforce_order_id="", status="")
        link.lines.update(salesforce_item_id="")
    OrderLink.objects.filter(pk=link.pk).update(**changes)


def nightly(vendors: Vendors) -> dict:
    """The scheduled run: report only (repairs are staff's call, `manage.py reconcile --fix`).
    When the allocation defers it, it is scheduled once more for when the wait ends."""
    from django_q.models import Schedule

    try:
        report = reconcile(vendors, trigger=ReconcileReport.Trigger.NIGHTLY)
    except Deferred as deferred:
        Schedule.objects.update_or_create(
            name="hub: reconcile, deferred", defaults={"func": "syncapp.tasks.nightly_reconcile",
                                                       "schedule_type": Schedule.ONCE, "repeats": -1,
                                                       "next_run": deferred.until})
        return {"deferred_until": deferred.until.isoformat()}
    return summary(report)


def summary(report: ReconcileReport) -> dict:
    return {"report": report.pk, "outcome": report.outcome, "checked": report.checked, "queued": report.queued,
            **{field: getattr(report, field) for field in FIELDS.values()}}
