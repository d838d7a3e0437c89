"""Conflicts between the two sides: what the hub records when an order's origin refuses a change."""
from __future__ import annotations

from django.utils import timezone

from syncapp.connectors.billing.base import OrderBilling
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import OrderStatus
from syncapp.exceptions import PermanentError, StateConflict
from syncapp.models import OrderLink


class ActivationRefused(StateConflict):
    default_code = "activation_refused"


def record_conflict(link: OrderLink, refused_by: str, error: Exception, billing_status: str,
                    salesforce_status: str) -> None:
    """Show staff both sides as they are now; the refusal is also the link's last error, so the
    order's state (`GET /api/v1/orders/{id}`) names it."""
    link.conflict = {"refused_by": refused_by, "error": str(error), "billing_status": billing_status,
                     "salesforce_status": salesforce_status, "at": timezone.now().isoformat()}
    link.last_error = f"{refused_by} refused to activate: {error}"[:2000]
    link.save(update_fields=["conflict", "last_error", "updated_at"])


def activate_in_salesforce(sf: SalesforceConnector, billing: OrderBilling, link: OrderLink) -> None:
    """Activate a Salesforce-origin order in Salesforce (its origin); a refusal is a conflict.
    `billing` is the connector of the order's billing provider."""
    current = sf.order_status(link.salesforce_order_id)
    if current != OrderStatus.ACTIVATED:
        try:
            sf.set_order_status(link.salesforce_order_id, OrderStatus.ACTIVATED.value)
        except PermanentError as err:
            # Billing's own state, read now: the link's status is only the hub's last sync, and a
            # customer who just paid in the portal has moved billing past it.
            record_conflict(link, "salesforce", err, billing.get_order(link.billing_order_id).status.value, current)
            raise ActivationRefused(
                f"Salesforce refused to activate {link.salesforce_order_id}: {err.message}") from err
    link.status = OrderStatus.ACTIVATED.value
    link.conflict = None
    link.save(update_fields=["status", "conflict", "updated_at"])
