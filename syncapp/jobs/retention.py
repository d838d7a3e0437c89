"""The retention sweep: what the hub remembers stays bounded.

Run by a django-q2 schedule (`syncapp.schedules`). Webhook deliveries, outside calls and finished
jobs older than *Sync settings*' retention go, rejected deliveries sooner than the rest. What a
person still has to act on stays whatever its age: a failed or dead job, its calls and its
deliveries. Deletes go in batches, each its own short transaction, so a large backlog never holds
the database (on SQLite, its one write lock) for long.
"""
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from syncapp.models import SyncAttempt, SyncJob, SyncSettings, WebhookEvent

log = logging.getLogger(__name__)
BATCH = 500
FINISHED = (SyncJob.Status.SUCCEEDED, SyncJob.Status.RESOLVED)
NEEDS_A_PERSON = (SyncJob.Status.FAILED, SyncJob.Status.DEAD)


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; returns (and logs) how many of each went."""
    now = now or timezone.now()
    settings = SyncSettings.load()
    processed_before = now - timedelta(days=settings.retention_processed_days)
    rejected_before = now - timedelta(days=settings.retention_rejected_days)
    deliveries = WebhookEvent.objects.exclude(job__status__in=NEEDS_A_PERSON)
    pruned = {
        "rejected_webhooks": _delete(deliveries.filter(status=WebhookEvent.Status.REJECTED,
                                                       received_at__lt=rejected_before)),
        "processed_webhooks": _delete(deliveries.exclude(status=WebhookEvent.Status.REJECTED)
                                      .filter(received_at__lt=processed_before)),
        "finished_jobs": _delete(SyncJob.objects.filter(status__in=FINISHED, finished_at__lt=processed_before)),
        "attempts": _delete(SyncAttempt.objects.filter(created_at__lt=processed_before)
                            .exclude(job__status__in=NEEDS_A_PERSON)),
    }
    log.info("retention sweep", extra={**pruned, "processed_days": settings.retention_processed_days,
                                       "rejected_days": settings.retention_rejected_days})
    return pruned


def _delete(queryset: QuerySet) -> int:
    """Delete the matching rows, BATCH at a time; rows another transaction holds are left for the
    next sweep (a job a new event is refreshing right now)."""
    model, total = queryset.model, 0
    while True:
        with transaction.atomic():
            batch = list(queryset.select_for_update(skip_locked=True, of=("self",)).order_by("pk")
                         .values_list("pk", flat=True)[:BATCH])
            if not batch:
                return total
            _, per_model = model.objects.filter(pk__in=batch).delete()
        total += per_model.get(model._meta.label, 0)
