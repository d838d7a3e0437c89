"""One order as billing has it and as Salesforce has it, field by field and line by line.

Both sides are read live (each read recorded as an attempt, like any call) and put into the same
domain terms the sync uses — the billing order as the `DraftOrder` the hub would write, the
Salesforce Order as the `DraftOrder` it reads back — so a difference shown is a difference the
next sync would act on, not a difference of vendor vocabulary. Answers are kept for a short while:
staff reloading the page cost no calls.

"Sync now" from either side forgets the state last written, so the next run writes the order in
full instead of skipping it as unchanged, and queues that run at once; who asked is in the audit
log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import DraftOrder, OrderLine
from syncapp.exceptions import NotFoundError, SyncError
from syncapp.jobs import engine
from syncapp.models import AuditEntry, FieldMapping, OrderLink, SyncJob

CACHE_SECONDS = 30


@dataclass
class Row:
    name: str
    billing: str
    salesforce: str

    @property
    def differs(self) -> bool:
        return self.billing != self.salesforce


@dataclass
class Comparison:
    fields: list[Row] = field(default_factory=list)
    lines: list[tuple[str, list[Row]]] = field(default_factory=list)  # (line, its rows)
    problems: dict[str, str] = field(default_factory=dict)  # side → why it could not be read

    @property
    def differences(self) -> int:
        return sum(r.differs for r in self.fields) + sum(r.differs for _, rows in self.lines for r in rows)


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _order_rows(billing: DraftOrder | None, salesforce: DraftOrder | None) -> list[Row]:
    def pick(order, get):
        return _text(get(order)) if order is not None else "—"

    readers = {
        "status": lambda o: o.status.value, "order date": lambda o: o.order_date.isoformat(),
        "billing period": lambda o: o.terms.billing_period, "payment term": lambda o: o.terms.payment_term,
        "checkout URL": lambda o: o.checkout_url, "lines": lambda o: len(o.lines),
    }
    rows = [Row(name, pick(billing, get), pick(salesforce, get)) for name, get in readers.items()]
    names = sorted({n for o in (billing, salesforce) if o for n, _ in o.custom_fields})
    rows += [Row(f"custom field {n}", pick(billing, lambda o, n=n: o.custom_field_map.get(n)),
                 pick(salesforce, lambda o, n=n: o.custom_field_map.get(n))) for n in names]
    return rows


def _line_rows(billing: OrderLine | None, salesforce: OrderLine | None) -> list[Row]:
    def pick(line, get):
        return _text(get(line)) if line is not None else "—"

    readers = {"SKU": lambda line: line.sku, "quantity": lambda line: line.quantity,
               "unit price": lambda line: line.net_price,
               "discount %": lambda line: line.discount.percent if line.discount else None,
               "description": lambda line: line.description}
    return [Row(name, pick(billing, get), pick(salesforce, get)) for name, get in readers.items()]


def compare(link: OrderLink, vendors: Vendors) -> Comparison:
    """The two sides of `link`, read live at most every CACHE_SECONDS."""
    key = f"side-by-side:{link.pk}:{link.updated_at.timestamp() if link.updated_at else ''}"
    found = cache.get(key)
    if found is None:
        found = _read_and_compare(link, vendors)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _read_and_compare(link: OrderLink, vendors: Vendors) -> Comparison:
    result = Comparison()
    billing = salesforce = None
    if link.billing_order_id:
        try:
            billing = vendors.billing_for(link.billing_provider).get_order(link.billing_order_id)
        except NotFoundError:
            result.problems["billing"] = "not in billing (deleted there?)"
        except SyncError as err:
            result.problems["billing"] = f"could not be read: {err}"
    if link.salesforce_order_id:
        try:
            salesforce = vendors.salesforce.read_order(link.salesforce_order_id, FieldMapping.active_map()).draft
        except NotFoundError:
            result.problems["salesforce"] = "not in Salesforce (deleted there?)"
        except SyncError as err:
            result.problems["salesforce"] = f"could not be read: {err}"
    result.fields = _order_rows(billing, salesforce)
    billing_lines = {line.line_id: line for line in (billing.lines if billing else ())}
    salesforce_lines = {line.line_id: line for line in (salesforce.lines if salesforce else ())}
    for line_id in [*billing_lines, *(k for k in salesforce_lines if k not in billing_lines)]:
        result.lines.append((line_id or "(no billing line id)",
                             _line_rows(billing_lines.get(line_id), salesforce_lines.get(line_id))))
    return result


def can_sync_from(link: OrderLink, side: str) -> bool:
    """Billing for any linked order; Salesforce only for an order that started there (its data wins)."""
    if side == "billing":
        return bool(link.billing_order_id)
    return side == "salesforce" and bool(link.salesforce_order_id) and link.origin == "salesforce"


class NotOffered(ValueError):
    """The order is not synced from that side (see `can_sync_from`)."""


def sync_now(link: OrderLink, from_side: str, by: AbstractBaseUser | None = None) -> SyncJob:
    """Write the order from `from_side` ("billing" or "salesforce") to the other side now, for the
    staff user `by` (kept in the audit log). Raises NotOffered for a side `can_sync_from` refuses."""
    if not can_sync_from(link, from_side):
        raise NotOffered(f"{link} is not synced from {from_side}")
    with transaction.atomic():
        if from_side == "billing":
            link.billing_fingerprint = ""
            link.save(update_fields=["billing_fingerprint", "updated_at"])
            job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, link.billing_provider, link.billing_order_id)
        else:
            link.salesforce_fingerprint = ""
            link.save(update_fields=["salesforce_fingerprint", "updated_at"])
            job = engine.enqueue(SyncJob.Kind.SALESFORCE_TO_BILLING, link.billing_provider, link.salesforce_order_id)
        if job.status == SyncJob.Status.PENDING and job.next_attempt_at > timezone.now():
            engine.retry_now(job)  # a job waiting out its backoff: now, not then (enqueue queued the others)
        AuditEntry.record(by, job, AuditEntry.Action.RETRIED, model=SyncJob,
                          details={"from": from_side, "order_link": str(link)})
    return job
