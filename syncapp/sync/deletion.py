"""Delete an order on both sides — billing and Salesforce — when staff ask for it in the console.

Deletion is never synced automatically. Staff first see a
`preview` read live from both systems, then `delete_orders` deletes each order:

- the order's system of origin first, then the other side. If the origin refuses, the copy is
  left alone: deleting only the copy would let the next sync of the original bring it back;
- something already gone counts as deleted, so running the action again after a partial failure
  finishes the job;
- Salesforce refuses to delete an Activated Order; it is set back to Draft first;
- billing may refuse to delete an activated order (Nue always does; Zuora once its charges are
  invoiced): it is canceled instead and stays in billing as Canceled;
- an activated order is paid for, so deleting one asks more of whoever does it: a permission of
  its own, the order alone, its number typed and a reason given. Whether an order is activated is
  read live from both systems when the deletion runs, whatever a confirmation page showed, and
  without all of that nothing is deleted (`DeletionRefused`);
- every run leaves an `AuditEntry` with each side's outcome and the reason given. The `OrderLink`
  is removed once both sides are done; after a partial failure it stays, with the failure in
  `last_error`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import OrderStatus
from syncapp.exceptions import NotFoundError, SyncError
from syncapp.models import AuditEntry, OrderLink

BILLING, SALESFORCE = "billing", "salesforce"


@dataclass
class SidePreview:
    """What one side holds of an order now, as the confirmation page lists it."""
    side: str
    system: str
    order_id: str
    status: str = ""
    number: str = ""
    lines: int | None = None
    amount: Decimal | None = None
    currency: str = ""
    account: str = ""  # the account the order belongs to on this side
    will: str = ""  # what the deletion will do to this side
    note: str = ""  # e.g. "already gone", "will be set back to Draft first"
    error: str = ""  # the side could not be read

    @property
    def activated(self) -> bool:
        return self.status == OrderStatus.ACTIVATED.value


@dataclass
class OrderPreview:
    link: OrderLink
    billing: SidePreview
    salesforce: SidePreview

    @property
    def sides(self) -> tuple[SidePreview, SidePreview]:
        return self.billing, self.salesforce

    @property
    def activated(self) -> bool:
        """Activated on either side (or as last synced, when a side could not be read): paid for."""
        unread = any(side.error for side in self.sides) and self.link.status == OrderStatus.ACTIVATED.value
        return unread or any(side.activated for side in self.sides)

    @property
    def number(self) -> str:
        """The order number staff type to confirm deleting an activated order."""
        return self.link.billing_order_id or self.salesforce.number or self.link.salesforce_order_id


@dataclass
class SideOutcome:
    side: str
    status: str  # deleted | canceled | already_gone | not_linked | failed | not_attempted
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.status in ("deleted", "canceled", "already_gone", "not_linked")


@dataclass
class DeletionOutcome:
    billing_order_id: str
    salesforce_order_id: str
    sides: dict[str, SideOutcome] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        done = [s.done for s in self.sides.values()]
        if all(done):
            return AuditEntry.Outcome.OK
        return AuditEntry.Outcome.PARTIAL if any(s.status in ("deleted", "canceled") for s in self.sides.values()) \
            else AuditEntry.Outcome.FAILED

    @property
    def failed_sides(self) -> list[SideOutcome]:
        return [s for s in self.sides.values() if not s.done]


# --- preview -----------------------------------------------------------------------------------

def preview(links: Iterable[OrderLink], vendors: Vendors) -> list[OrderPreview]:
    """Each order as both systems hold it now: ids, status, number of lines. Two Salesforce calls
    for all the orders, one billing call per order."""
    links = list(links)
    salesforce = _salesforce_previews(links, vendors)
    return [OrderPreview(link, _billing_preview(link, vendors), salesforce[link.pk]) for link in links]


def _billing_preview(link: OrderLink, vendors: Vendors) -> SidePreview:
    found = SidePreview(BILLING, link.billing_provider, link.billing_order_id)
    if not link.billing_order_id:
        found.note = "not linked: nothing to delete"
        return found
    billing = vendors.billing_for(link.billing_provider)
    if {"delete", "cancel"} & billing.assumed_actions:
        found.note = (f"{link.billing_provider} documents no API to delete or cancel an order: the hub tries "
                      f"the endpoints it assumes, and if {link.billing_provider} refuses, do it in "
                      f"{link.billing_provider} itself")
    try:
        order = billing.get_order(link.billing_order_id)
    except NotFoundError:
        found.note = "already gone"
    except SyncError as err:
        found.error = str(err)
    else:
        found.status, found.lines = str(order.status), len(order.lines)
        found.amount, found.currency, found.account = order.total, order.currency, order.account_id or ""
        found.will = ("deleted — or, where billing refuses (once invoiced; Nue always), canceled and kept as "
                      "Canceled" if order.status == OrderStatus.ACTIVATED else "deleted")
    return found


def _salesforce_previews(links: list[OrderLink], vendors: Vendors) -> dict[int, SidePreview]:
    found = {link.pk: SidePreview(SALESFORCE, "Salesforce", link.salesforce_order_id) for link in links}
    ids = sorted({link.salesforce_order_id for link in links if link.salesforce_order_id})
    for link in links:
        if not link.salesforce_order_id:
            found[link.pk].note = "not linked: nothing to delete"
    if not ids:
        return found
    try:
        orders = vendors.salesforce.order_summaries(ids)
    except SyncError as err:
        for link in links:
            if link.salesforce_order_id:
                found[link.pk].error = str(err)
        return found
    for link in links:
        side, order = found[link.pk], orders.get(link.salesforce_order_id)
        if not link.salesforce_order_id:
            continue
        if order is None:
            side.note = "already gone"
            continue
        side.status, side.number, side.lines = order.status, order.number, order.items
        side.account, side.amount = order.account_id, order.total
        side.will = "deleted with its OrderItems"
        if order.status == "Activated":
            side.note = "Activated: will be set back to Draft first (Salesforce deletes only drafts)"
            side.will = "set back to Draft, then deleted with its OrderItems"
    return found


# --- deletion ----------------------------------------------------------------------------------

ACTIVATED_PERMISSION = "syncapp.delete_activated_on_both_sides"


class DeletionRefused(Exception):
    """Nothing was deleted: an activated order was asked for without what deleting one takes.

    `problems`: what the confirmation lacks, by the name of what staff fill in ("order_number",
    "reason"); empty when the refusal is about who asks or what was selected with it. `previews`:
    the orders as read for the decision."""

    def __init__(self, message: str, previews: list[OrderPreview], problems: dict[str, str] | None = None):
        super().__init__(message)
        self.previews = previews
        self.problems = problems or {}

    @property
    def number(self) -> str:
        """The number of the activated order refused."""
        return activated_number(self.previews)


def activated_number(previews: list[OrderPreview]) -> str:
    """The number staff type to delete the activated order among `previews` ("" when none is)."""
    return next((p.number for p in previews if p.activated), "")


def check_allowed(previews: list[OrderPreview], user: AbstractUser | None) -> None:
    """An activated order is deleted only by someone holding its own permission, and on its own:
    raises DeletionRefused otherwise."""
    activated = [p for p in previews if p.activated]
    if not activated:
        return
    number = activated[0].number
    if user is None or not user.has_perm(ACTIVATED_PERMISSION):
        raise DeletionRefused(f"Order {number} is activated (paid for). Deleting an activated order needs the "
                              "permission “Can delete activated (paid) orders in billing and Salesforce” (the Ops "
                              "role); nothing was deleted.", previews)
    if len(previews) > 1:
        raise DeletionRefused(f"Order {number} is activated (paid for): select it on its own. Activated orders are "
                              "deleted one at a time; nothing was deleted.", previews)


def check_confirmed(previews: list[OrderPreview], user: AbstractUser | None, *, reason: str,
                    typed_number: str) -> None:
    """`check_allowed`, and an activated order's number typed exactly and a reason given."""
    check_allowed(previews, user)
    number = activated_number(previews)
    if not number:
        return
    problems = {}
    if typed_number.strip() != number:
        problems["order_number"] = f"Type {number} exactly to delete this activated order."
    if not reason.strip():
        problems["reason"] = "Say why this activated order is deleted: the reason is kept in the audit log."
    if problems:
        raise DeletionRefused(f"Order {number} is activated (paid for): " + " ".join(problems.values()), previews,
                              problems)


def delete_orders(links: Iterable[OrderLink], vendors: Vendors, user: AbstractUser | None = None,
                  reason: str = "", *, typed_number: str = "") -> list[DeletionOutcome]:
    """Delete each order on both sides for staff `user`; see the module docstring for the rules.
    `typed_number`: the order number typed to confirm deleting an activated order."""
    links = list(links)
    check_confirmed(preview(links, vendors), user, reason=reason, typed_number=typed_number)
    return [delete_order(link, vendors, user, reason=reason) for link in links]


def delete_order(link: OrderLink, vendors: Vendors, user: AbstractUser | None = None, *,
                 reason: str = "") -> DeletionOutcome:
    """Delete one order on both sides, its origin first."""
    result = DeletionOutcome(link.billing_order_id, link.salesforce_order_id)
    steps = {BILLING: lambda: _delete_billing(link, vendors),
             SALESFORCE: lambda: _delete_salesforce(vendors.salesforce, link)}
    first, second = (BILLING, SALESFORCE) if link.origin == OrderLink.Origin.BILLING else (SALESFORCE, BILLING)
    result.sides[first] = steps[first]()
    if result.sides[first].done:
        result.sides[second] = steps[second]()
    else:
        result.sides[second] = SideOutcome(second, "not_attempted", f"kept until the {first} side (where the order "
                                                                    "came from) is deleted, so no sync brings it back")
    _remember(link, result, user, reason)
    return result


def _delete_billing(link: OrderLink, vendors: Vendors) -> SideOutcome:
    if not link.billing_order_id:
        return SideOutcome(BILLING, "not_linked")
    billing = vendors.billing_for(link.billing_provider)
    try:
        order = billing.get_order(link.billing_order_id)
    except NotFoundError:
        return SideOutcome(BILLING, "already_gone")
    except SyncError as err:
        return SideOutcome(BILLING, "failed", _why(err))
    try:
        billing.delete_order(link.billing_order_id)
    except SyncError as err:
        if order.status != OrderStatus.ACTIVATED or err.retryable:
            return SideOutcome(BILLING, "failed", _why(err))
        return _cancel_instead(billing, link, err)
    return SideOutcome(BILLING, "deleted", f"{link.billing_provider} order {link.billing_order_id}")


def _cancel_instead(billing: BillingConnector, link: OrderLink, refused: SyncError) -> SideOutcome:
    """Billing refused to delete an activated order (Nue never deletes one; Zuora not once its
    charges are invoiced): cancel it, so it stays in billing as Canceled."""
    try:
        billing.cancel_order(link.billing_order_id)
    except SyncError as err:
        return SideOutcome(BILLING, "failed", f"delete refused ({refused}); cancel refused too: {_why(err)}")
    return SideOutcome(BILLING, "canceled", f"{link.billing_provider} order {link.billing_order_id} (activated: "
                                            f"{link.billing_provider} refused to delete it, so it was canceled)")


def _delete_salesforce(sf: SalesforceConnector, link: OrderLink) -> SideOutcome:
    order_id = link.salesforce_order_id
    if not order_id:
        return SideOutcome(SALESFORCE, "not_linked")
    try:
        status = sf.order_status(order_id)
        if status == "Activated":
            sf.set_order_status(order_id, "Draft")
        sf.delete_order(order_id)  # its OrderItems go with it
    except NotFoundError:
        return SideOutcome(SALESFORCE, "already_gone")
    except SyncError as err:
        return SideOutcome(SALESFORCE, "failed", _why(err))
    was = " (was Activated; set back to Draft first)" if status == "Activated" else ""
    return SideOutcome(SALESFORCE, "deleted", f"Order {order_id} and its items{was}")


def _why(err: SyncError) -> str:
    again = "temporary: run the action again" if err.retryable else "fix the cause, then run the action again"
    return f"{err} ({again})"


def _remember(link: OrderLink, result: DeletionOutcome, user, reason: str) -> None:
    account = link.account_link
    details = {"reason": reason or "—", "billing_provider": link.billing_provider,
               "billing_order_id": link.billing_order_id, "salesforce_order_id": link.salesforce_order_id,
               "status": link.status, "customer": account.email if account else "", "lines": link.lines.count(),
               "sides": {name: {"status": s.status, "detail": s.detail} for name, s in result.sides.items()}}
    with transaction.atomic():
        AuditEntry.record(user, link, AuditEntry.Action.DELETED_ON_BOTH_SIDES, outcome=result.outcome,
                          details=details)
        if result.outcome == AuditEntry.Outcome.OK:
            link.delete()
            return
        if result.sides[BILLING].done and not link.deleted_in_billing_at:
            link.deleted_in_billing_at = timezone.now()
        link.last_error = "Delete on both sides: " + "; ".join(
            f"{s.side} {s.status.replace('_', ' ')}: {s.detail}" for s in result.failed_sides)
        link.save(update_fields=["deleted_in_billing_at", "last_error", "updated_at"])
