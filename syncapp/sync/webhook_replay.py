"""Re-process stored webhook events: each verified order event queues its order's sync again
(the sync fetches the current state, so replaying old events is always safe)."""
from syncapp.domain.events import ORDER_EVENTS
from syncapp.jobs import engine
from syncapp.models import SyncJob


def replay(events) -> tuple[int, int]:
    """Queue the syncs behind `events`; returns (orders queued, events skipped)."""
    seen, skipped = set(), 0
    for event in events:
        if not event.verified or event.event_type not in ORDER_EVENTS or not event.order_id:
            skipped += 1
            continue
        key = (event.provider, event.order_id)
        if key not in seen:
            seen.add(key)
            job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, event.provider, event.order_id)
            event.job = job
            event.save(update_fields=["job"])
    return len(seen), skipped
