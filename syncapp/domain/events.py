"""The billing event types the webhook intake accepts."""
ORDER_EVENTS = frozenset({"order.created", "order.updated", "order.activated", "order.canceled", "order.deleted"})
CUSTOMER_EVENTS = frozenset({"customer.created", "customer.updated"})
