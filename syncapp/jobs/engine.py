"""The job engine: enqueue, dispatch, claim with a lease, run, retry with backoff, sweep.

A `SyncJob` row is the truth. Enqueueing writes only that row, due now, and the webhook intake only
its event, whose job the dispatcher queues (`take_in`). The dispatcher, in the worker cluster
(`syncapp/jobs/dispatcher.py`), hands due jobs to the workers in batches, one django-q2 task per
batch (`dispatch`). Tasks only carry job ids and may be lost, duplicated or late without harm:
claiming is a conditional UPDATE that takes a lease, so a job runs in one worker at a time, and the
sweeper hands over again what was handed over long ago and never started, or whose worker died.
"""
from __future__ import annotations

import functools
import logging
import os
import random
import socket
import time
import traceback
import uuid
from datetime import datetime, timedelta

import structlog
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task

from syncapp import conf, metrics
from syncapp.exceptions import SyncError, TransientError
from syncapp.jobs import allocation, kinds
from syncapp.models import SyncAttempt, SyncJob, SyncSettings, WebhookEvent
from syncapp.models.bulk import update_each
from syncapp.models.jobs import AWAITING_DISPATCH
from syncapp.models.webhooks import AWAITING_JOB

log = logging.getLogger(__name__)

# A lease must outlive any live run, or the sweeper hands a running job to a second worker. A run
# inside a django-q2 task lives at most Q_CLUSTER["timeout"] seconds (then its worker is killed), so
# the lease is that plus a margin; a task also stops starting new jobs after half of it.
LEASE_MARGIN = timedelta(seconds=180)
BATCH_BUDGET_SHARE = 0.5
REQUEUE_AFTER = timedelta(seconds=120)  # a job handed over and not started by then is handed over again
BACKOFF_BASE = 5.0
BACKOFF_CAP = 3600.0
MAX_BATCH = 50  # jobs per task, and per batch of a kind whose handler takes batches
WORKER_LOST = "worker_lost"
KEPT_TASK_RESULTS = 1000  # django-q2's successful task results the sweep keeps (the newest)
PENDING, RUNNING = SyncJob.Status.PENDING.value, SyncJob.Status.RUNNING.value


def backoff(attempt: int, hint: float | None = None) -> float:
    """Seconds before the next try: exponential with full jitter, at least the vendor's hint."""
    delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1)))
    return max(delay, hint or 0)


def lease_length() -> timedelta:
    return timedelta(seconds=conf.task_queue().timeout) + LEASE_MARGIN


def _broker_is_transactional() -> bool:
    return conf.task_queue().on_database


def _table() -> str:
    return connection.ops.quote_name(SyncJob._meta.db_table)


def _at(moment: datetime) -> str | None:
    return connection.ops.adapt_datetimefield_value(moment)


# --- enqueue: the job row, nothing else ------------------------------------------------------------
def enqueue(kind: str, provider: str, subject: str) -> SyncJob:
    """Make sure the job for `subject` will run (again) with the current state; returns it.

    A job already pending stays as it is (its backoff is kept); a running one is marked to run
    again when it finishes; a finished one is reset, pending and due now. That is one statement (an
    upsert) and no task: the dispatcher picks due jobs up."""
    sql, params = _upsert(kind, [(provider, subject)], timezone.now())
    return list(SyncJob.objects.raw(sql + " RETURNING *", params))[0]


def take_in(limit: int = MAX_BATCH) -> int:
    """Queue the jobs of the order events the webhook intake stored: the intake writes only the
    event, so that a delivery is one row. Each event's order gets its job by `enqueue`'s rules (the
    events of one order, one upsert) and the event points to it, in one transaction: all or none.
    Returns how many events were taken in; while there are none this is one indexed read. Two
    dispatchers never take the same event: PostgreSQL skips the rows another is taking, SQLite
    runs one writer at a time."""
    with connection.cursor() as cursor:
        cursor.execute(*_awaiting(connection.vendor))
        if cursor.fetchone() is None:
            return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(*_awaiting(connection.vendor, limit))
        events = cursor.fetchall()
        if not events:  # another dispatcher is taking them in
            return 0
        kind = SyncJob.Kind.BILLING_TO_SALESFORCE.value
        t, marks = connection.ops.quote_name(WebhookEvent._meta.db_table), ", ".join(["%s"] * len(events))
        cursor.execute(*_upsert(kind, list(dict.fromkeys((provider, order_id) for _, provider, order_id in events)),
                                timezone.now()))
        cursor.execute(f"UPDATE {t} SET job_id = (SELECT job.id FROM {_table()} job WHERE job.kind = %s AND "
                       f"job.provider = {t}.provider AND job.subject = {t}.order_id) WHERE id IN ({marks})",
                       [kind, *(pk for pk, _, _ in events)])
    return len(events)


@functools.cache
def _awaiting(vendor: str, limit: int | None = None) -> tuple[str, tuple]:
    """The SQL of the events awaiting their job (`AWAITING_JOB`), compiled once per process: the
    dispatcher asks several times a second. Without `limit`, whether there is one; with it, the
    first `limit` of them (skipping those another transaction is taking, where the database can),
    to be run inside a transaction."""
    rows = WebhookEvent.objects.filter(AWAITING_JOB).order_by("pk")
    if limit is None:
        return rows.values_list("pk")[:1].query.sql_with_params()
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    with transaction.atomic():  # the only place a locking read may be compiled
        return rows.values_list("pk", "provider", "order_id")[:limit].query.sql_with_params()


def _upsert(kind: str, subjects: list[tuple[str, str]], now) -> tuple[str, list]:
    """Insert the job of each (provider, subject), or update the one there: a finished job is reset
    to pending and due now, a running one is marked to run again, a pending one is left as it is.
    One statement, no RETURNING clause; `subjects` must not repeat."""
    t, at = _table(), _at(now)
    finished = f"{t}.status NOT IN (%s, %s)"
    sql = (f"INSERT INTO {t} (kind, provider, subject, status, attempts, next_attempt_at, enqueued_at, leased_by, "
           "rerun, last_error_code, last_error, created_at, updated_at) VALUES "
           + ", ".join(["(%s, %s, %s, %s, 0, %s, NULL, '', %s, '', '', %s, %s)"] * len(subjects))
           + " ON CONFLICT (kind, provider, subject) DO UPDATE SET "
           f"rerun = CASE WHEN {t}.status = %s THEN %s WHEN {finished} THEN %s ELSE {t}.rerun END, "
           f"attempts = CASE WHEN {finished} THEN 0 ELSE {t}.attempts END, "
           f"next_attempt_at = CASE WHEN {finished} THEN %s ELSE {t}.next_attempt_at END, "
           f"enqueued_at = CASE WHEN {finished} THEN NULL ELSE {t}.enqueued_at END, "
           f"status = CASE WHEN {finished} THEN %s ELSE {t}.status END")
    params = [value for provider, subject in subjects for value in (kind, provider, subject, PENDING, at, False, at, at)]
    params += [RUNNING, True, PENDING, RUNNING, False,
              PENDING, RUNNING,
              PENDING, RUNNING, at,
              PENDING, RUNNING,
              PENDING, RUNNING, PENDING]
    return sql, params


# --- dispatch: due jobs to the workers, a batch per task ----------------------------------------
def dispatch(limit: int = MAX_BATCH) -> int:
    """Hand due jobs that wait for a worker to the workers, up to `limit` in one django-q2 task;
    returns how many. While there are none this is one indexed read: no transaction, no lock."""
    t, at = _table(), _at(timezone.now())
    # Read through the partial index of the jobs awaiting dispatch (`AWAITING_DISPATCH`), so that a
    # backlog already handed over is not walked at every poll: its condition is written out (a
    # parameter would hide that the index holds every row wanted), and SQLite, which would take
    # the (status, next_attempt_at) index instead, is told to use it.
    awaiting = f"{t} INDEXED BY {AWAITING_DISPATCH}" if connection.vendor == "sqlite" else t
    waiting = f"status = '{PENDING}' AND enqueued_at IS NULL AND next_attempt_at <= %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {awaiting} WHERE {waiting} LIMIT 1", [at])
        if cursor.fetchone() is None:
            return 0
    # Two dispatchers (two clusters) never take the same job: PostgreSQL skips the rows another is
    # taking, SQLite runs one writer at a time.
    skip = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (f"UPDATE {t} SET enqueued_at = %s WHERE id IN (SELECT id FROM {awaiting} WHERE {waiting} "
           f"ORDER BY next_attempt_at LIMIT %s{skip}) RETURNING id")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [at, at, limit])
            job_ids = sorted(row[0] for row in cursor.fetchall())
        if job_ids:
            _hand_over(job_ids)
    return len(job_ids)


def _hand_over(job_ids: list[int]) -> None:
    """One task for the batch. With the ORM broker the task row commits with the caller's
    transaction; with any other broker it is pushed after commit (the sweeper covers a crash)."""

    def send():
        async_task("syncapp.tasks.run_jobs", job_ids,
                   task_name=f"jobs-{job_ids[0]}-{len(job_ids)}-{uuid.uuid4().hex[:8]}")

    if _broker_is_transactional():
        send()
    else:
        transaction.on_commit(send)


# --- claim and run: in a worker -----------------------------------------------------------------
def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim(token: str, where: str, params: list, limit: int | None = None, *, wait: bool = False) -> list[SyncJob]:
    """Take the pending jobs matching `where` for this worker, each with a lease and an attempt
    counted (a conditional UPDATE: one winner per job); on PostgreSQL rows another transaction
    holds at this moment are skipped, not waited for — unless `wait`: a job staff asked for is
    not given up because a webhook's upsert is touching its row."""
    t, now = _table(), timezone.now()
    skip = (" FOR UPDATE" + ("" if wait else " SKIP LOCKED")) if connection.features.has_select_for_update_skip_locked else ""
    sql = (f"UPDATE {t} SET status = %s, lease_until = %s, leased_by = %s, attempts = attempts + 1, "
           f"enqueued_at = NULL WHERE id IN (SELECT id FROM {t} WHERE status = %s AND {where} "
           f"ORDER BY next_attempt_at, id{' LIMIT %s' if limit else ''}{skip}) RETURNING *")
    args = [RUNNING, _at(now + lease_length()), token, PENDING, *params, *([limit] if limit else [])]
    return sorted(SyncJob.objects.raw(sql, args), key=lambda job: (job.next_attempt_at, job.pk))


def _due(due_only: bool) -> tuple[str, list]:
    return ("next_attempt_at <= %s", [_at(timezone.now())]) if due_only else ("1 = 1", [])


def claim(job_id: int, *, due_only: bool = True) -> tuple[SyncJob | None, str]:
    """Take a pending job for this worker; `due_only=False` takes it even while it backs off."""
    token = _token()
    due, params = _due(due_only)
    claimed = _claim(token, f"id = %s AND {due}", [job_id, *params], wait=not due_only)
    return (claimed[0] if claimed else None), token


def run(job_id: int, *, requested: bool = False) -> str | None:
    """Run one job if it is due and free — with a backlog of its kind when its handler takes
    batches; returns the job's new status (None when it was not claimed). `requested`: staff
    asked for this job now, so it runs alone, even while backing off."""
    return run_jobs([job_id], requested=requested).get(job_id)


def run_jobs(job_ids: list[int], *, requested: bool = False) -> dict[int, str]:
    """Run the given jobs that are due and free, a kind at a time: a batch handler gets them all
    at once (with other due jobs of its kind, up to MAX_BATCH), a single one each in turn until
    half the task's time is spent. Returns the new status of every job claimed."""
    deadline = time.monotonic() + conf.task_queue().timeout * BATCH_BUDGET_SHARE
    by_kind: dict[str, list[int]] = {}
    for job_id, kind in SyncJob.objects.filter(pk__in=job_ids, status=PENDING).values_list("pk", "kind"):
        by_kind.setdefault(kind, []).append(job_id)
    statuses: dict[int, str] = {}
    for kind, ids in by_kind.items():
        held_until = allocation.hold(kind)
        if held_until:
            SyncJob.objects.filter(pk__in=ids, status=PENDING).update(next_attempt_at=held_until, enqueued_at=None)
            continue
        handler = kinds.handler(kind)
        run_kind = _run_batch if handler.batch else _run_each
        statuses |= run_kind(handler, kind, sorted(ids), requested=requested, deadline=deadline)
    # What this task was handed and did not take (out of time, or being taken by another worker
    # that may yet let go) goes back to the dispatcher rather than waiting for the sweeper.
    if not_taken := set(job_ids) - statuses.keys():
        SyncJob.objects.filter(pk__in=not_taken, status=PENDING, enqueued_at__isnull=False).update(enqueued_at=None)
    allocation.warn_when_high()
    return statuses


def _run_batch(handler: kinds.Handler, kind: str, ids: list[int], *, requested: bool, deadline: float) -> dict:
    token = _token()
    due, params = _due(not requested)
    marks = ", ".join(["%s"] * len(ids))
    claimed = _claim(token, f"id IN ({marks}) AND {due}", [*ids, *params], limit=MAX_BATCH, wait=requested)
    if claimed and not requested and len(claimed) < MAX_BATCH:  # a backlog of its kind goes along
        taken = [job.pk for job in claimed]
        marks = ", ".join(["%s"] * len(taken))
        claimed += _claim(token, f"kind = %s AND id NOT IN ({marks}) AND {due}", [kind, *taken, *params],
                          limit=MAX_BATCH - len(claimed))
    if not claimed:
        return {}
    calls: list[SyncAttempt] = []  # the batch's outside calls, stored together when it ends
    recorders = {job.pk: SyncAttempt.recorder(job=job, kept=calls) for job in claimed}
    with _logged(claimed):
        try:
            outcomes = handler.run(claimed, recorders, requested=requested, deadline=deadline)
        except Exception as err:  # the batch as a whole failed: each job gets that failure
            outcomes = {job.pk: err for job in claimed}
        finally:
            SyncAttempt.objects.bulk_create(calls)
    statuses = _succeeded(token, {job.pk: outcome for job in claimed if isinstance(outcome := outcomes.get(job.pk), dict)})
    statuses |= {job.pk: _settle(job, token, outcomes.get(job.pk, NOT_RUN)) for job in claimed if job.pk not in statuses}
    metrics.jobs_settled(claimed, statuses)
    return statuses


def _run_each(handler: kinds.Handler, kind: str, ids: list[int], *, requested: bool, deadline: float) -> dict:
    statuses: dict[int, str] = {}
    for job_id in ids:
        if statuses and time.monotonic() > deadline:
            break  # the rest go back to the dispatcher
        job, token = claim(job_id, due_only=not requested)
        if job is None:
            continue
        with _logged([job]):
            try:
                outcome = handler.run(job, SyncAttempt.recorder(job=job))
            except Exception as err:
                outcome = err
        statuses[job.pk] = _settle(job, token, outcome)
        metrics.jobs_settled([job], {job.pk: statuses[job.pk]})
    return statuses


def _logged(jobs: list[SyncJob]):
    """Every line logged while jobs run (connectors, libraries) carries their ids: `job_id` for
    one job, `job_ids` for a batch."""
    if len(jobs) == 1:
        return structlog.contextvars.bound_contextvars(job_id=jobs[0].pk)
    return structlog.contextvars.bound_contextvars(job_ids=[job.pk for job in jobs])


NOT_RUN = object()  # a batch handler left the job out (out of time): queue it again as it was


def _settle(job: SyncJob, token: str, outcome) -> str:
    """Record a job's outcome: a result dict, the exception it ended with, or NOT_RUN. A job set
    back to pending and due now waits for the dispatcher (claiming cleared its hand-over)."""
    mine = SyncJob.objects.filter(pk=job.pk, leased_by=token)
    if outcome is NOT_RUN:
        mine.update(status=SyncJob.Status.PENDING, attempts=F("attempts") - 1, lease_until=None, leased_by="",
                    next_attempt_at=timezone.now())
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


def _succeeded(token: str, results: dict[int, dict]) -> dict[int, str]:
    """Settle a batch's successes in one UPDATE; returns the jobs it settled. A job that changed
    while it ran (`rerun`) is left to `_settle`, which queues it again."""
    if not results:
        return {}
    now = timezone.now()
    settled = update_each(SyncJob, {pk: {"result": result} for pk, result in results.items()},
                          {"status": SyncJob.Status.SUCCEEDED.value, "lease_until": None, "leased_by": "",
                           "last_error_code": "", "last_error": "", "finished_at": now, "updated_at": now},
                          where={"leased_by": token, "rerun": False})
    # Those still leased to this run are to run again; the rest are settled (or, in the rare case
    # that their lease ran out and the sweeper took them back, no longer this run's to settle).
    left = (set(SyncJob.objects.filter(pk__in=results, leased_by=token).values_list("pk", flat=True))
            if settled < len(results) else set())
    return {pk: SyncJob.Status.SUCCEEDED for pk in results if pk not in left}


def _after_success(job, mine, result) -> str:
    done = {"lease_until": None, "leased_by": "", "last_error_code": "", "last_error": "", "result": result,
            "finished_at": timezone.now()}
    if mine.filter(rerun=False).update(status=SyncJob.Status.SUCCEEDED, **done):
        return SyncJob.Status.SUCCEEDED
    # Changed while it ran: run again with the newer state.
    mine.update(status=SyncJob.Status.PENDING, rerun=False, attempts=0, next_attempt_at=timezone.now(), **done)
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
    SyncJob.objects.filter(pk=job.pk).exclude(status=SyncJob.Status.RUNNING).update(
        status=SyncJob.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), rerun=False, enqueued_at=None)


def sweep(limit: int = 500, *, handed_over_before: timedelta = REQUEUE_AFTER) -> int:
    """Recover orphaned jobs (their worker died), take back jobs handed over more than
    `handed_over_before` ago and not started (their task was lost), and hand over what is due, up to
    `limit` jobs; returns how many were handed over."""
    now = timezone.now()
    _recover_orphans(now)
    SyncJob.objects.filter(status=SyncJob.Status.PENDING, enqueued_at__lte=now - handed_over_before).update(
        enqueued_at=None)
    handed = 0
    while handed < limit:
        batch = dispatch(min(MAX_BATCH, limit - handed))
        if not batch:
            break
        handed += batch
    prune_task_results(KEPT_TASK_RESULTS)
    return handed


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
