"""Outbound webhooks for every customer and order change, through the shared outbox (sent after
the request's transaction commits)."""
from sandbox.webhooks import outbox

PROVIDER = "nue"


def order_event(event_type: str, order) -> None:
    outbox.emit(PROVIDER, event_type, {"order_id": order.id, "account_id": order.customer_id})


def customer_event(event_type: str, customer) -> None:
    # The contract's payload names an order; a customer event has none.
    outbox.emit(PROVIDER, event_type, {"order_id": None, "account_id": customer.id})
