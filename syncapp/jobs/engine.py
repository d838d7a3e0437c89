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

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task

from syncapp import conf, metrics
from syncapp.exceptions import SyncError, TransientError
from syncapp.jobs import allocation, kinds
from syncapp.models import SyncAttempt, SyncJob, SyncSettings

log = logging.getLogger(__name__)

# A lease must outlive any live run, or the sweeper hands a running job to a second worker. A run
# inside a django-q2 task lives at most Q_CLUSTER["timeout"] seconds (then its worker is killed), so
# the lease is that plus a margin; a batch also stops starting new orders after half of it.
LEASE_MARGIN = timedelta(seconds=180)
BATCH_BUDGET_SHARE = 0.5
REQUEUE_AFTER = timedelta(seconds=120)  # an enqueued job not started by then is enqueued again
BACKOFF_BASE = 5.0
BACKOFF_CAP = 3600.0
MAX_BATCH = 50
WORKER_LOST = "worker_lost"
KEPT_TASK_RESULTS = 1000  # django-q2's successful task results the sweep keeps (the newest)
_last_dispatch = 0.0


def backoff(attempt: int, hint: float | None = None) -> float:
    """Seconds before the next try: exponential with full jitter, at least the vendor's hint."""
    delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1)))
    return max(delay, hint or 0)


def lease_length() -> timedelta:
    return timedelta(seconds=conf.task_queue().timeout) + LEASE_MARGIN


def _broker_is_transactional() -> bool:
    return conf.task_queue().on_database


def push(job_id: int) -> None:
    """Hand the job to django-q2 (again), stamped as queued now."""
    SyncJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    _hand_over(job_id)


def _hand_over(job_id: int) -> None:
    """With the ORM broker the task row commits with the caller's transaction; with any other
    broker it is pushed after commit (the sweeper covers a crash)."""

    def send():
        async_task("syncapp.tasks.run_job", job_id, task_name=f"job-{job_id}-{uuid.uuid4().hex[:8]}")

    if _broker_is_transactional():
        send()
    else:
        transaction.on_commit(send)


def enqueue(kind: str, provider: str, subject: str) -> SyncJob:
    """Make sure the job for `subject` will run (again) with the current state; returns it.

    A job already pending stays as it is (its backoff is kept); a running one is marked to run
    again when it finishes; a finished one is reset and queued. All of that is one statement (an
    upsert), and the caller's transaction gets no savepoint of its own: each statement on the
    webhook intake's path is a round trip to the database."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        job = _upsert(kind, provider, subject, now)
        if job.enqueued_at == now:  # due now, and stamped as queued by this very statement
            _hand_over(job.pk)
    return job


def _upsert(kind: str, provider: str, subject: str, now) -> SyncJob:
    """Insert the job, or update the one there: a finished job is reset to pending and due now, a
    running one is marked to run again, a pending one keeps its backoff. A job due now is stamped
    as queued now, so the caller knows which to hand over."""
    table = connection.ops.quote_name(SyncJob._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    pending, running = SyncJob.Status.PENDING.value, SyncJob.Status.RUNNING.value
    finished = (f"{table}.status NOT IN (%s, %s)", [pending, running])
    due = (f"({finished[0]} OR ({table}.status = %s AND {table}.next_attempt_at <= %s))",
           finished[1] + [pending, at])
    parts = [
        ("INSERT INTO {t} (kind, provider, subject, status, attempts, next_attempt_at, enqueued_at, leased_by, "
         "rerun, last_error_code, last_error, created_at, updated_at) "
         "VALUES (%s, %s, %s, %s, 0, %s, %s, '', %s, '', '', %s, %s) "
         "ON CONFLICT (kind, provider, subject) DO UPDATE SET ", [kind, provider, subject, pending, at, at, False, at, at]),
        ("rerun = CASE WHEN {t}.status = %s THEN %s", [running, True]),
        (" WHEN " + finished[0] + " THEN %s ELSE {t}.rerun END, ", finished[1] + [False]),
        ("attempts = CASE WHEN " + finished[0] + " THEN 0 ELSE {t}.attempts END, ", finished[1]),
        ("next_attempt_at = CASE WHEN " + finished[0] + " THEN %s ELSE {t}.next_attempt_at END, ", finished[1] + [at]),
        ("enqueued_at = CASE WHEN " + due[0] + " THEN %s ELSE {t}.enqueued_at END, ", due[1] + [at]),
        ("status = CASE WHEN " + finished[0] + " THEN %s ELSE {t}.status END RETURNING *", finished[1] + [pending]),
    ]
    sql = "".join(part for part, _ in parts).replace("{t}", table)
    return list(SyncJob.objects.raw(sql, [p for _, params in parts for p in params]))[0]


def claim(job_id: int, *, due_only: bool = True) -> tuple[SyncJob | None, str]:
    """Take a pending job for this worker (a conditional UPDATE: one winner); `due_only=False`
    takes it even while it backs off."""
    token, now = _holder_token(), timezone.now()
    pending = SyncJob.objects.filter(pk=job_id, status=SyncJob.Status.PENDING)
    if due_only:
        pending = pending.filter(next_attempt_at__lte=now)
    return (SyncJob.objects.get(pk=job_id) if _take(pending, token, now) else None), token


def _holder_token() -> str:
    """Who holds a lease: this host and process (the sweep sees a dead local holder) and the run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _take(pending, token: str, now) -> int:
    """The conditional UPDATE that claims: a job another worker took first is left out."""
    return pending.update(status=SyncJob.Status.RUNNING, lease_until=now + lease_length(), leased_by=token,
                          attempts=F("attempts") + 1, enqueued_at=None)


def _claim_backlog(job: SyncJob) -> list[tuple[SyncJob, str]]:
    """Other due jobs of the same kind, claimed to run together with `job` (a lone job goes alone):
    one UPDATE claims them all (each row still only if it is pending and due), one SELECT reads
    the ones this run won."""
    now = timezone.now()
    due = SyncJob.objects.filter(kind=job.kind, status=SyncJob.Status.PENDING, next_attempt_at__lte=now)
    ids = list(due.exclude(pk=job.pk).order_by("next_attempt_at").values_list("pk", flat=True)[:MAX_BATCH - 1])
    if not ids:
        return []
    token = _holder_token()
    if not _take(due.filter(pk__in=ids), token, now):
        return []
    won = SyncJob.objects.filter(pk__in=ids, leased_by=token, status=SyncJob.Status.RUNNING)
    return [(other, token) for other in won.order_by("next_attempt_at", "pk")]


def run(job_id: int, *, requested: bool = False) -> str | None:
    """Run a job if it is due and free — with a backlog of its kind when its handler takes
    batches; returns the job's new status (None when it was not claimed). `requested`: staff
    asked for this job now, so it runs alone, even while backing off."""
    started = time.monotonic()
    found = SyncJob.objects.filter(pk=job_id).values_list("kind", "status").first()
    if found is None or found[1] != SyncJob.Status.PENDING:
        # Gone, running, or already run in another worker's batch (its task comes late): the
        # claim could not take it, so neither the allocation nor the claim is asked.
        return None
    held_until = allocation.hold(found[0])
    if held_until:
        SyncJob.objects.filter(pk=job_id, status=SyncJob.Status.PENDING).update(next_attempt_at=held_until,
                                                                                 enqueued_at=None)
        return None
    job, token = claim(job_id, due_only=not requested)
    if job is None:
        return None
    claimed = [(job, token)]
    handler = kinds.handler(job.kind)
    if handler.batch:
        if not requested:
            claimed += _claim_backlog(job)
        recorders = {j.pk: SyncAttempt.recorder(job=j) for j, _ in claimed}
        deadline = started + conf.task_queue().timeout * BATCH_BUDGET_SHARE
        try:
            outcomes = handler.run([j for j, _ in claimed], recorders, requested=requested, deadline=deadline)
        except Exception as err:  # the batch as a whole failed: each job gets that failure
            outcomes = {j.pk: err for j, _ in claimed}
    else:
        try:
            outcomes = {job.pk: handler.run(job, SyncAttempt.recorder(job=job))}
        except Exception as err:
            outcomes = {job.pk: err}
    statuses = {j.pk: _settle(j, t, outcomes.get(j.pk, NOT_RUN)) for j, t in claimed}
    metrics.jobs_settled([j for j, _ in claimed], statuses)
    allocation.warn_when_high()
    _dispatch_due_now_and_then()
    return statuses[job.pk]


NOT_RUN = object()  # a batch handler left the job out (out of time): queue it again as it was


def _settle(job: SyncJob, token: str, outcome) -> str:
    """Record a job's outcome: a result dict, the exception it ended with, or NOT_RUN."""
    mine = SyncJob.objects.filter(pk=job.pk, leased_by=token)
    if outcome is NOT_RUN:
        with transaction.atomic():
            if mine.update(status=SyncJob.Status.PENDING, attempts=F("attempts") - 1, lease_until=None,
                           leased_by="", next_attempt_at=timezone.now()):
                push(job.pk)
        return SyncJob.Status.PENDING
    if isinstance(outcome, TransientError):
        return _after_transient(job, mine, outcome)
    if isinstance(outcome, SyncError):
        mine.update(status=SyncJob.Status.FAILED, last_error_code=outcome.code, last_error=str(outcome),
                    lease_until=None, leased_by="", finished_at=timezone.now())
        return SyncJob.Status.FAILED
    if isinstance(outcome, BaseException):  # a bug: keep the traceback for staff, do not retry blindly
        log.error("job %s crashed", job.pk, exc_info=outcome)
        mine.update(status=SyncJob.Status.FAILED, last_error_code="internal_error",
                    last_error="".join(traceback.format_exception(outcome))[-4000:], lease_until=None,
                    leased_by="", finished_at=timezone.now())
        return SyncJob.Status.FAILED
    return _after_success(job, mine, outcome)


def _after_success(job, mine, result) -> str:
    done = {"lease_until": None, "leased_by": "", "last_error_code": "", "last_error": "", "result": result,
                "finished_at": timezone.now()}
    if mine.filter(rerun=False).update(status=SyncJob.Status.SUCCEEDED, **done):
        return SyncJob.Status.SUCCEEDED
    # Changed while it ran: run again with the newer state.
    if mine.update(status=SyncJob.Status.PENDING, rerun=False, attempts=0, next_attempt_at=timezone.now(), **done):
        with transaction.atomic():
            push(job.pk)
    return SyncJob.Status.PENDING


def _after_transient(job, mine, err: TransientError) -> str:
    common = {"last_error_code": err.code, "last_error": str(err), "lease_until": None, "leased_by": ""}
    attempts, hint = job.attempts, err.retry_after
    if err.code == "REQUEST_LIMIT_EXCEEDED":
        # The allocation, not the order, is at fault: pause Salesforce work, retry when the pause
        # ends, and do not count it towards dead.
        allocation.limit_exceeded(err.retry_after)
        attempts, hint = attempts - 1, None
        common["attempts"] = attempts
    if attempts >= SyncSettings.load().max_attempts:
        mine.update(status=SyncJob.Status.DEAD, finished_at=timezone.now(), **common)
        return SyncJob.Status.DEAD
    when = timezone.now() + timedelta(seconds=backoff(max(attempts, 1), hint))
    paused = allocation.paused_until()
    mine.update(status=SyncJob.Status.PENDING, next_attempt_at=max(when, paused) if paused else when, **common)
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
    _recover_orphans(now)
    due = list(SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__lte=now)
               .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER))
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for job_id in due:
        with transaction.atomic():
            push(job_id)
    prune_task_results(KEPT_TASK_RESULTS)
    return len(due)


def prune_task_results(keep: int) -> int:
    """Delete django-q2's successful task results but the newest `keep` (the hub's own record of
    each job is its SyncJob and attempts); returns how many went."""
    oldest_kept = list(Success.objects.order_by("-stopped").values_list("stopped", flat=True)[keep - 1:keep])
    if not oldest_kept:
        return 0
    deleted, _ = Success.objects.filter(stopped__lt=oldest_kept[0]).delete()
    return deleted


def _recover_orphans(now) -> None:
    """A run whose lease ran out was killed (django-q2's timeout) or its worker crashed. That run
    counts as an attempt, so an order that kills every run it gets ends dead, not recovered forever."""
    orphans = SyncJob.objects.filter(Q(lease_until__lt=now) | Q(leased_by__in=_dead_local_holders()),
                                     status=SyncJob.Status.RUNNING)
    lost = {"last_error_code": WORKER_LOST, "lease_until": None, "leased_by": ""}
    orphans.filter(attempts__gte=SyncSettings.load().max_attempts).update(
        status=SyncJob.Status.DEAD, finished_at=now, **lost,
        last_error="Its worker stopped before it finished (killed at the task timeout, or crashed), "
                   "on every attempt.")
    orphans.update(status=SyncJob.Status.PENDING, next_attempt_at=now, **lost,
                   last_error="Its worker stopped before it finished (killed at the task timeout, or crashed); "
                              "queued again.")


def _dead_local_holders() -> list[str]:
    """Leases held by processes of this machine that are gone: a crashed cluster's jobs are
    recovered by the next sweep, not after their lease (minutes) runs out. Another machine's
    leases are left to expire (their processes cannot be seen from here)."""
    host = f"{socket.gethostname()}:"
    holders = (SyncJob.objects.filter(status=SyncJob.Status.RUNNING, leased_by__startswith=host)
               .values_list("leased_by", flat=True).distinct())
    return [token for token in holders if not _process_alive(token.split(":")[-2])]


def _process_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):  # unreadable token, or alive under another user
        return True
    return True


def _dispatch_due_now_and_then(every: float = 2.0) -> None:
    """While workers are busy, retries that came due are queued by the workers themselves, so
    they do not wait for the next scheduled sweep."""
    global _last_dispatch
    if time.monotonic() - _last_dispatch >= every:
        _last_dispatch = time.monotonic()
        sweep(limit=50)
