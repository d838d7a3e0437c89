"""What the hub's own tables know about a sync batch's orders, read for the whole batch at once.

Planning an order needs its order link and line links, its customer's account link and the price
book entries of its SKUs; recording a written order updates the order link and its line links.
Read and written one order at a time, that was a dozen statements per order, more of the workers'
CPU than any outside call. `Known.read` reads them in four statements for the batch, planning
looks them up (and adds what it makes), `link_new` makes the links of a batch's new orders in one
INSERT, and `remember_written` records every order of a graph call in one transaction.
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from syncapp.domain.records import DraftOrder
from syncapp.models import AccountLink, LineLink, OrderLink, ProductMapping
from syncapp.models.bulk import update_each

OrderKey = tuple[str, str]  # (billing provider, billing order id)
K = TypeVar("K")
T = TypeVar("T")


@dataclass
class Known:
    links: dict[OrderKey, OrderLink] = field(default_factory=dict)
    items: dict[int, dict[str, str]] = field(default_factory=dict)  # order link id → line id → OrderItem Id
    accounts: dict[tuple[str, str], AccountLink] = field(default_factory=dict)  # (provider, account id) →
    products: dict[tuple[str, str], ProductMapping] = field(default_factory=dict)  # (SKU, currency) →

    @classmethod
    def read(cls, keys: Iterable[OrderKey], orders: Iterable[tuple[str, DraftOrder]] = ()) -> Known:
        """The links of the orders `keys`, and — for the `orders` already read from billing, as
        (provider, order) — their customers' account links and their SKUs' price book entries.
        What is not read here is read as planning meets it."""
        known = cls()
        keys, orders = set(keys), list(orders)
        if keys:
            known.links = {(link.billing_provider, link.billing_order_id): link
                           for link in OrderLink.objects.filter(_any(keys, "billing_provider", "billing_order_id"))}
        if known.links:
            for link_id, line_id, item_id in (LineLink.objects.filter(order_link__in=[link.pk for link in known.links.values()])
                                              .exclude(salesforce_item_id="")
                                              .values_list("order_link_id", "billing_line_id", "salesforce_item_id")):
                known.items.setdefault(link_id, {})[line_id] = item_id
        accounts = {(provider, account_id) for provider, order in orders
                    if (account_id := (order.customer and order.customer.account_id) or order.account_id)}
        if accounts:
            known.accounts = {(link.billing_provider, link.billing_account_id): link for link in
                              AccountLink.objects.filter(_any(accounts, "billing_provider", "billing_account_id"))}
        skus = {(line.sku, order.currency) for _, order in orders for line in order.lines}
        if skus:
            known.products = {(m.sku, m.currency): m for m in ProductMapping.objects.filter(_any(skus, "sku", "currency"))}
        return known

    def items_of(self, link: OrderLink) -> dict[str, str]:
        return dict(self.items.get(link.pk, {})) if link.pk else {}


def _any(pairs: set[tuple[str, str]], first: str, second: str) -> Q:
    """Rows whose (`first`, `second`) is one of `pairs`: an IN list for each value of `first`."""
    by_first: dict[str, list[str]] = {}
    for a, b in pairs:
        by_first.setdefault(a, []).append(b)
    return functools.reduce(operator.or_, (Q(**{first: a, f"{second}__in": sorted(bs)}) for a, bs in by_first.items()))


@dataclass
class Written:
    """An order Salesforce now shows: what to record on its link."""

    link: OrderLink
    order: DraftOrder
    digest: str
    salesforce_order_id: str
    items: dict[str, str] | None  # billing line id → OrderItem Id; None: the lines were not written
    new_link: bool = False  # made by this run: it has no line links to delete


def link_new(links: dict[K, OrderLink]) -> dict[K, Exception]:
    """Make the order links planning made (not saved yet) in one INSERT, before their orders are
    written: staff find even an order whose first sync failed by its customer (the Salesforce side
    stays empty until a write succeeds). Should that fail, each is made alone, so one bad row (a
    link another run made meanwhile) fails only its order. Returns key → error."""
    return _together_or_each({key: link for key, link in links.items() if link.pk is None},
                             OrderLink.objects.bulk_create)


def remember_written(written: list[Written]) -> dict[int, Exception]:
    """Record the orders a graph call wrote, all in one transaction (their links in one UPDATE, the
    lines gone from them in one DELETE, their line links in one upsert). Should that fail, each is
    recorded alone, so one bad row fails only its order. Returns order link id → error; a lone
    order's error is raised."""
    failed = _together_or_each({each.link.pk: each for each in written}, _record)
    if len(written) == 1 and failed:
        raise failed[written[0].link.pk]
    return failed


def _together_or_each(items: dict[K, T], write: Callable[[list[T]], object]) -> dict[K, Exception]:
    """`write` all `items` in one transaction; should that fail, each in a transaction of its own.
    Returns key → error."""
    if not items:
        return {}  # no transaction to open (on SQLite it takes the write lock)
    try:
        with transaction.atomic():
            write(list(items.values()))
        return {}
    except DatabaseError as err:
        if len(items) == 1:
            return dict.fromkeys(items, err)
    failed: dict[K, Exception] = {}
    for key, item in items.items():
        try:
            with transaction.atomic():
                write([item])
        except DatabaseError as err:
            failed[key] = err
    return failed


def _record(written: list[Written]) -> None:
    now = timezone.now()
    for each in written:
        link = each.link
        link.salesforce_order_id, link.status, link.billing_fingerprint = (
            each.salesforce_order_id, each.order.status.value, each.digest)
        link.last_synced_at = link.updated_at = now
        link.last_error = ""
    with_lines = [each for each in written if each.items is not None]
    current = {each.link.pk: sorted({line.line_id for line in each.order.lines if line.line_id})
               for each in with_lines}  # every line read from billing has its id; one without could not be linked
    gone = [Q(order_link=each.link) & ~Q(billing_line_id__in=current[each.link.pk])
            for each in with_lines if not each.new_link]
    # In the caller's transaction (`_together_or_each`): all of it or none.
    update_each(OrderLink, {each.link.pk: {"salesforce_order_id": each.salesforce_order_id, "status": each.order.status.value,
                                           "billing_fingerprint": each.digest} for each in written},
                {"last_synced_at": now, "updated_at": now, "last_error": ""})
    if gone:  # lines gone from the order lose their links
        LineLink.objects.filter(functools.reduce(operator.or_, gone)).delete()
    LineLink.objects.bulk_create(
        [LineLink(order_link=each.link, billing_line_id=line_id, salesforce_item_id=(each.items or {}).get(line_id, ""))
         for each in with_lines for line_id in current[each.link.pk]],
        update_conflicts=True, unique_fields=["order_link", "billing_line_id"], update_fields=["salesforce_item_id"])
