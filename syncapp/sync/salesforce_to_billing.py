"""Salesforce → billing: the "Sync Order" button (`POST /api/v1/salesforce/orders/{id}/sync`).

Reads the Order from Salesforce, makes sure a billing account carries its Account as CRM id,
creates or updates the billing draft (Salesforce's data wins), and writes the billing ids and the
checkout link back onto the Order and its items. Pressing it twice changes nothing the second
time: the Salesforce state last pushed is fingerprinted on the `OrderLink`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from syncapp import conf
from syncapp.connectors.billing.base import BillingConnector, billing_account_id, billing_order_id
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.connectors.salesforce.orders import SalesforceOrder
from syncapp.connectors.vendors import Vendors
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.records import Customer, DraftOrder, OrderStatus
from syncapp.exceptions import PermanentError, StateConflict
from syncapp.jobs.leases import lease
from syncapp.models import AccountLink, FieldMapping, LineLink, OrderLink


class OrderNotDraft(StateConflict):
    default_code = "order_not_draft"


@dataclass(frozen=True)
class Pushed:
    billing_order_id: str
    checkout_url: str
    status: str
    created: bool


def push_order(sf_order_id: str, vendors: Vendors) -> Pushed:
    """Create or update the billing draft of a Salesforce Order (billing: the configured provider)."""
    sf, billing = vendors.salesforce, vendors.billing
    with lease(f"salesforce-order:{sf_order_id}", ttl=timedelta(seconds=120), wait=60):
        source = sf.read_order(sf_order_id, FieldMapping.active_map())
        if source.status != OrderStatus.DRAFT:
            raise OrderNotDraft(f"Order {sf_order_id} is {source.status}; only drafts are synced to billing.")
        source = replace(source, draft=replace(source.draft, currency=sf.order_currency(source.id)))
        link = _link_for(source)
        digest = fingerprint(source.draft)
        if link.pk and link.salesforce_fingerprint == digest and link.billing_order_id:
            return Pushed(link.billing_order_id, source.draft.checkout_url or "", source.status, created=False)
        account = ensure_billing_account(sf, billing, source)
        link.account_link = account  # the console finds the order by its customer
        draft = replace(source.draft, account_id=account.billing_account_id, status=OrderStatus.DRAFT)
        created = not link.billing_order_id
        if created:
            written = billing.create_order(replace(draft, order_id=None),
                                           idempotency_key=f"sf-{sf_order_id}-{digest[:16]}")
        else:
            written = billing.update_order(replace(draft, order_id=link.billing_order_id))
        order_id = billing_order_id(written, billing.provider)
        line_ids = _write_back(sf, source, order_id, written, link.origin)
        _remember(link, source, order_id, written, line_ids)
    return Pushed(order_id, written.checkout_url or "", source.status, created)


def _link_for(source: SalesforceOrder) -> OrderLink:
    provider = conf.billing_provider()
    link = OrderLink.objects.filter(salesforce_order_id=source.id).first()
    if link is None and source.draft.order_id:
        link = OrderLink.objects.filter(billing_provider=provider, billing_order_id=source.draft.order_id).first()
    return link or OrderLink(billing_provider=provider, salesforce_order_id=source.id,
                             billing_order_id=source.draft.order_id or "",
                             origin=source.origin or OrderLink.Origin.SALESFORCE)


def ensure_billing_account(sf: SalesforceConnector, billing: BillingConnector,
                           source: SalesforceOrder) -> AccountLink:
    """The link to the billing account carrying the Order's Account as CRM id; the billing account
    is created when there is none."""
    existing = billing.find_account_by_crm_id(source.account_id)
    if existing:
        return AccountLink.remember(billing.provider, billing_account_id(existing, billing.provider),
                                    source.account_id,
                                    email=existing.email, company=existing.name or source.account_name)
    contact = source.contact or sf.first_contact(source.account_id)
    if contact is None:
        raise PermanentError(f"Account {source.account_id} has no Contact with an email to bill.",
                             code="no_billing_contact")
    customer = billing.create_account(
        Customer(name=source.account_name or contact.email, email=contact.email, currency=source.draft.currency,
                 crm_id=source.account_id, bill_to=contact),
        idempotency_key=f"sf-account-{source.account_id}")
    return AccountLink.remember(billing.provider, billing_account_id(customer, billing.provider), source.account_id,
                                email=contact.email, company=source.account_name)


def _write_back(sf: SalesforceConnector, source: SalesforceOrder, order_id: str, written: DraftOrder,
                origin: str) -> dict[str, str]:
    """Put the billing ids (`order_id`, `written`'s line ids) and checkout link on the Order and each
    OrderItem in one call. Lines correspond by position (billing keeps the order it was given);
    returns item id → line id. Every line billing answers has its id; one without is not linked."""
    line_ids = {item_id: line.line_id for item_id, line, sent in
                zip(source.item_ids, written.lines, source.draft.lines) if line.sku == sent.sku and line.line_id}
    sf.write_billing_ids(source.id, order_id, written.checkout_url, origin, line_ids)
    return line_ids


def _remember(link: OrderLink, source: SalesforceOrder, order_id: str, written: DraftOrder,
              line_ids: dict[str, str]) -> None:
    """Record both sides as they now are, so neither side's echo of this push is synced back."""
    now_in_salesforce = replace(
        source.draft, order_id=order_id, checkout_url=written.checkout_url,
        lines=tuple(replace(line, line_id=line_ids.get(item_id, line.line_id))
                    for item_id, line in zip(source.item_ids, source.draft.lines)))
    with transaction.atomic():
        link.billing_order_id = order_id
        link.salesforce_order_id = source.id
        link.status = written.status.value
        link.salesforce_fingerprint = fingerprint(now_in_salesforce)
        link.billing_fingerprint = fingerprint(written)
        link.last_synced_at = timezone.now()
        link.last_error = ""
        link.save()
        link.lines.all().delete()
        LineLink.objects.bulk_create(LineLink(order_link=link, billing_line_id=line_id, salesforce_item_id=item_id)
                                     for item_id, line_id in line_ids.items())
