"""Re-process stored webhook events: each verified order event queues its order's sync again
(the sync fetches the current state, so replaying old events is always safe). Staff replaying
from the console leave an audit entry per event they chose; the operator command does not."""
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from syncapp.domain.events import ORDER_EVENTS
from syncapp.jobs import engine
from syncapp.models import AuditEntry, SyncJob, WebhookEvent


def replay(events: Iterable[WebhookEvent], by: AbstractBaseUser | None = None) -> tuple[int, int]:
    """Queue the syncs behind `events`; returns (orders queued, events skipped). `by`: the staff
    user who asked, recorded in the audit log for each event."""
    seen, skipped = set(), 0
    for event in events:
        if by is not None:
            AuditEntry.record(by, event, AuditEntry.Action.REPLAYED, details={"order_id": event.order_id})
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
