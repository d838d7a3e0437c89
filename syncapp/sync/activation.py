"""Activation always happens in the order's system of origin first; the result is then synced to
the other side. If the origin refuses, nothing is forced: the link records a conflict for staff
with both sides' states."""
from __future__ import annotations

from dataclasses import dataclass

from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import OrderStatus
from syncapp.exceptions import NotFoundError, PermanentError
from syncapp.models import OrderLink
from syncapp.sync import order_sync
from syncapp.sync.conflicts import ActivationRefused, activate_in_salesforce, record_conflict


@dataclass(frozen=True)
class Activated:
    billing_order_id: str
    billing_status: str
    salesforce_order_id: str
    salesforce_status: str


def activate_from_salesforce(sf_order_id: str, vendors: Vendors) -> Activated:
    """Activation asked for from Salesforce (the API endpoint, or seen by the watcher)."""
    link = OrderLink.objects.filter(salesforce_order_id=sf_order_id).first()
    if link is None or not link.billing_order_id:
        raise NotFoundError(f"Order {sf_order_id} is not linked to a billing order; sync it first.",
                            code="not_linked")
    sf, billing = vendors.salesforce, vendors.billing_for(link.billing_provider)
    if link.origin == OrderLink.Origin.BILLING:
        sf_status = sf.order_status(sf_order_id)
        try:
            billing.activate_order(link.billing_order_id)  # the origin first
        except PermanentError as err:
            record_conflict(link, "billing", err, billing.get_order(link.billing_order_id).status.value, sf_status)
            raise ActivationRefused(f"Billing refused to activate {link.billing_order_id}: {err.message}") from err
        if sf_status == OrderStatus.ACTIVATED:  # a rep activated it in Salesforce directly
            link.status = sf_status
            link.save(update_fields=["status", "updated_at"])
        order_sync.sync_order(link.billing_provider, link.billing_order_id, vendors)
    else:
        activate_in_salesforce(sf, billing, link)
        billing.activate_order(link.billing_order_id)
        order_sync.sync_order(link.billing_provider, link.billing_order_id, vendors)
    link.refresh_from_db()
    link.conflict = None
    link.save(update_fields=["conflict", "updated_at"])
    return Activated(link.billing_order_id, billing.get_order(link.billing_order_id).status.value,
                     sf_order_id, sf.order_status(sf_order_id))
