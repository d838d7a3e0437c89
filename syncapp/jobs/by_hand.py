"""What staff do to a job by hand, from the console: run it again now, or close a failure as resolved.

Each leaves one audit entry naming who did it and the job's state before. "Resolved" means staff
looked at a failed or dead job and closed it without a retry (the order was fixed or deleted by
hand, or the failure does not matter): the job leaves the failed list and the dashboard, keeps its
last error, and runs again when a new event for its order arrives.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from syncapp.jobs import engine
from syncapp.models import AuditEntry, SyncJob
from syncapp.models.failed_syncs import FAILED_STATUSES


class NoteMissing(ValueError):
    """A failure is closed only with a note saying why."""


def retry(job: SyncJob, by: AbstractBaseUser | None) -> bool:
    """Queue `job` to run now with a fresh attempt count; False (nothing done) while it runs."""
    if job.status == SyncJob.Status.RUNNING:
        return False
    with transaction.atomic():
        engine.retry_now(job)
        AuditEntry.record(by, job, AuditEntry.Action.RETRIED, model=SyncJob,
                          details={"status_before": job.status, "last_error_code": job.last_error_code})
    return True


def resolve(job: SyncJob, by: AbstractBaseUser | None, note: str) -> bool:
    """Close a failed or dead job without a retry, keeping `note` (why) in the audit log; False
    when the job is not failed or dead (any more)."""
    note = note.strip()
    if not note:
        raise NoteMissing("A note is needed to mark a failed sync resolved.")
    with transaction.atomic():
        # Conditional: a job that started again meanwhile is not closed under a worker's feet.
        if not SyncJob.objects.filter(pk=job.pk, status__in=FAILED_STATUSES).update(status=SyncJob.Status.RESOLVED):
            return False
        AuditEntry.record(by, job, AuditEntry.Action.RESOLVED, model=SyncJob,
                          details={"note": note, "status_before": job.status, "last_error_code": job.last_error_code,
                                   "last_error": job.last_error[:500]})
    return True
