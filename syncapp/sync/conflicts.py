"""Conflicts between the two sides: what the hub records when an order's origin refuses a change."""
from __future__ import annotations

from django.utils import timezone

from syncapp.connectors.billing import billing_connector
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


def activate_in_salesforce(sf, link: OrderLink, billing=None) -> None:
    """Activate a Salesforce-origin order in Salesforce (its origin); a refusal is a conflict."""
    current = sf.get("Order", link.salesforce_order_id, fields=["Status"])["Status"]
    if current != OrderStatus.ACTIVATED:
        try:
            sf.update("Order", link.salesforce_order_id, {"Status": OrderStatus.ACTIVATED.value})
        except PermanentError as err:
            # Billing's own state, read now: the link's status is only the hub's last sync, and a
            # customer who just paid in the portal has moved billing past it.
            billing = billing or billing_connector(recorder=sf.recorder, provider=link.billing_provider)
            record_conflict(link, "salesforce", err, billing.get_order(link.billing_order_id).status.value, current)
            raise ActivationRefused(
                f"Salesforce refused to activate {link.salesforce_order_id}: {err.message}") from err
    link.status = OrderStatus.ACTIVATED.value
    link.conflict = None
    link.save(update_fields=["status", "conflict", "updated_at"])
