"""Outbound webhooks from the billing emulators to the hub (Standard Webhooks signing).

Owned by the Zuora emulator's builder; the Nue emulator calls `emit` the same way.
"""


def emit(provider: str, event_type: str, data: dict) -> None:
    """Queue a signed delivery of `{"type", "created_at", "data"}` to the hub's
    `/api/v1/webhooks/{provider}` (at-least-once, retried with backoff until it answers 2xx).
    Call it inside the emulator's request transaction; it is sent after commit."""
    raise NotImplementedError
