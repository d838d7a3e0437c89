"""The job engine: enqueue, claim with a lease, run, retry with backoff, sweep.

A `SyncJob` row is the truth; django-q2 tasks only carry a job id and may be lost, duplicated or
late without harm: claiming is a conditional UPDATE, so a job runs in one worker at a time, and the
sweeper re-enqueues whatever is due or whose worker died.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import time
import traceback
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from syncapp.exceptions import SyncError, TransientError
from syncapp.models import SyncAttempt, SyncJob, SyncSettings

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=300)  # longer than Q_CLUSTER timeout: a lease outlives any live task
REQUEUE_AFTER = timedelta(seconds=120)  # an enqueued job not started by then is enqueued again
BACKOFF_BASE = 5.0
BACKOFF_CAP = 3600.0
# The service function that runs each kind of job: fn(job, recorder) -> result (JSON-able).
HANDLERS = {
    SyncJob.Kind.BILLING_TO_SALESFORCE: "syncapp.services.order_sync.sync_billing_order",
    SyncJob.Kind.SALESFORCE_TO_BILLING: "syncapp.services.watch.push_job",
    SyncJob.Kind.ACTIVATION: "syncapp.services.watch.activation_job",
    SyncJob.Kind.ABANDONED_CART: "syncapp.services.abandonment.follow_up",
}
_last_dispatch = 0.0


def backoff(attempt: int, hint: float | None = None) -> float:
    """Seconds before the next try: exponential with full jitter, at least the vendor's hint."""
    delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1)))
    return max(delay, hint or 0)


def _broker_is_transactional() -> bool:
    return "orm" in settings.Q_CLUSTER


def push(job_id: int) -> None:
    """Hand the job to django-q2. With the ORM broker the task row commits with the caller's
    transaction; with any other broker it is pushed after commit (the sweeper covers a crash)."""

    def send():
        async_task("syncapp.tasks.run_job", job_id, task_name=f"job-{job_id}-{uuid.uuid4().hex[:8]}")

    SyncJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    if _broker_is_transactional():
        send()
    else:
        transaction.on_commit(send)


def enqueue(kind: str, provider: str, subject: str) -> SyncJob:
    """Make sure the job for `subject` will run (again) with the current state; returns it.

    A job already pending stays as it is (its backoff is kept); a running one is marked to run
    again when it finishes; a finished one is reset and queued."""
    with transaction.atomic():
        job, created = SyncJob.objects.get_or_create(kind=kind, provider=provider, subject=subject)
        if not created:
            if SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.RUNNING).update(rerun=True):
                return job
            SyncJob.objects.filter(pk=job.pk).exclude(status__in=SyncJob.ACTIVE).update(
                status=SyncJob.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), rerun=False)
            job.refresh_from_db()
            if job.next_attempt_at > timezone.now():
                return job  # backing off: the sweeper will queue it when due
        push(job.pk)
    return job


def claim(job_id: int) -> tuple[SyncJob | None, str]:
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    claimed = SyncJob.objects.filter(pk=job_id, status=SyncJob.Status.PENDING, next_attempt_at__lte=now).update(
        status=SyncJob.Status.RUNNING, lease_until=now + LEASE, leased_by=token, attempts=F("attempts") + 1,
        enqueued_at=None)
    return (SyncJob.objects.get(pk=job_id) if claimed else None), token


def run(job_id: int) -> str | None:
    """Run one job if it is due and free; returns its new status (None when not claimed)."""
    job, token = claim(job_id)
    if job is None:
        return None
    mine = SyncJob.objects.filter(pk=job.pk, leased_by=token)
    try:
        result = import_string(HANDLERS[job.kind])(job, SyncAttempt.recorder(job=job))
    except TransientError as err:
        status = _after_transient(job, mine, err)
    except SyncError as err:
        mine.update(status=SyncJob.Status.FAILED, last_error_code=err.code, last_error=str(err),
                    lease_until=None, leased_by="", finished_at=timezone.now())
        status = SyncJob.Status.FAILED
    except Exception as err:  # a bug: keep the traceback for staff, do not retry blindly
        log.exception("job %s crashed", job.pk)
        mine.update(status=SyncJob.Status.FAILED, last_error_code="internal_error",
                    last_error="".join(traceback.format_exception(err))[-4000:], lease_until=None,
                    leased_by="", finished_at=timezone.now())
        status = SyncJob.Status.FAILED
    else:
        status = _after_success(job, mine, result)
    _dispatch_due_now_and_then()
    return status


def _after_success(job, mine, result) -> str:
    done = dict(lease_until=None, leased_by="", last_error_code="", last_error="", result=result,
                finished_at=timezone.now())
    if mine.filter(rerun=False).update(status=SyncJob.Status.SUCCEEDED, **done):
        return SyncJob.Status.SUCCEEDED
    # Changed while it ran: run again with the newer state.
    if mine.update(status=SyncJob.Status.PENDING, rerun=False, attempts=0, next_attempt_at=timezone.now(), **done):
        with transaction.atomic():
            push(job.pk)
    return SyncJob.Status.PENDING


def _after_transient(job, mine, err: TransientError) -> str:
    limit = SyncSettings.load().max_attempts
    common = dict(last_error_code=err.code, last_error=str(err), lease_until=None, leased_by="")
    if job.attempts >= limit:
        mine.update(status=SyncJob.Status.DEAD, finished_at=timezone.now(), **common)
        return SyncJob.Status.DEAD
    when = timezone.now() + timedelta(seconds=backoff(job.attempts, err.retry_after))
    mine.update(status=SyncJob.Status.PENDING, next_attempt_at=when, **common)
    return SyncJob.Status.PENDING


def retry_now(job: SyncJob) -> None:
    """Staff pressed retry: queue the job now, with a fresh attempt count."""
    with transaction.atomic():
        if SyncJob.objects.filter(pk=job.pk).exclude(status=SyncJob.Status.RUNNING).update(
                status=SyncJob.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), rerun=False):
            push(job.pk)


def sweep(limit: int = 500) -> int:
    """Recover orphaned jobs (their worker died) and queue every due job not queued recently."""
    now = timezone.now()
    SyncJob.objects.filter(status=SyncJob.Status.RUNNING, lease_until__lt=now).update(
        status=SyncJob.Status.PENDING, lease_until=None, leased_by="", next_attempt_at=now)
    due = list(SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__lte=now)
               .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER))
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for job_id in due:
        with transaction.atomic():
            push(job_id)
    return len(due)


def _dispatch_due_now_and_then(every: float = 2.0) -> None:
    """While workers are busy, retries that came due are queued by the workers themselves, so
    they do not wait for the next scheduled sweep."""
    global _last_dispatch
    if time.monotonic() - _last_dispatch >= every:
        _last_dispatch = time.monotonic()
        sweep(limit=50)
