"""The job engine's promises: one active job per order, a lease per run, retries with backoff,
dead after the limit, and a sweeper that recovers what a broker or a worker lost."""
import os
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Task

from syncapp.exceptions import PermanentError, TransientError
from syncapp.jobs import engine, kinds
from syncapp.models import SyncJob, SyncSettings

# Real commits: with a non-ORM broker (Redis) tasks are pushed after commit.
pytestmark = pytest.mark.django_db(transaction=True)
KIND = SyncJob.Kind.ACTIVATION
OUTCOMES = []  # what the test handler does on each call, in order


def scripted_handler(job, recorder):
    outcome = OUTCOMES.pop(0)
    if isinstance(outcome, Exception):
        raise outcome
    if callable(outcome):
        return outcome(job)
    return outcome


BATCHES = []  # the job ids of each batch a batch handler was given
REQUESTED = []  # and whether staff asked for it


def scripted_batch(batch, recorders, *, requested, deadline):
    BATCHES.append(sorted(job.pk for job in batch))
    REQUESTED.append(requested)
    for job in batch:
        if job.subject == "changed":  # its order changed while the batch ran
            engine.enqueue(job.kind, job.provider, job.subject)
    return {job.pk: (TransientError("lock", code="UNABLE_TO_LOCK_ROW") if job.subject == "locked"
                     else {"synced": job.subject})
            for job in batch if job.subject != "no time left"}


@pytest.fixture(autouse=True)
def handler(monkeypatch):
    OUTCOMES.clear()
    BATCHES.clear()
    REQUESTED.clear()
    monkeypatch.setitem(kinds._HANDLERS, KIND, kinds.Handler(scripted_handler, batch=False))
    monkeypatch.setitem(kinds._HANDLERS, SyncJob.Kind.BILLING_TO_SALESFORCE, kinds.Handler(scripted_batch, batch=True))
    get_broker().purge_queue()


def queued_tasks() -> int:
    return get_broker().queue_size()


def test_enqueue_creates_one_job_and_the_dispatcher_hands_it_over_once():
    job = engine.enqueue(KIND, "zuora", "O-1")
    assert (job.status, job.attempts) == ("pending", 0)
    assert engine.enqueue(KIND, "zuora", "O-1").pk == job.pk
    assert SyncJob.objects.count() == 1 and queued_tasks() == 0  # no task per job
    assert engine.dispatch() == 1 and queued_tasks() == 1
    assert engine.dispatch() == 0 and queued_tasks() == 1  # handed over once
    engine.enqueue(KIND, "zuora", "O-1")  # news for a job already handed over: nothing more to send
    assert engine.dispatch() == 0


def test_enqueue_is_one_statement_and_sends_no_task():
    """On the webhook intake's path each statement is a round trip to the database."""
    with CaptureQueriesContext(connection) as new:
        engine.enqueue(KIND, "zuora", "O-1")
    with CaptureQueriesContext(connection) as again:
        engine.enqueue(KIND, "zuora", "O-1")
    assert (len(new), len(again)) == (1, 1), [q["sql"][:60] for q in new.captured_queries]
    assert queued_tasks() == 0 and SyncJob.objects.count() == 1


def test_the_dispatcher_hands_due_jobs_over_in_batches_one_task_each():
    due = [engine.enqueue(KIND, "zuora", f"O-{i}").pk for i in range(engine.MAX_BATCH + 3)]
    later = engine.enqueue(KIND, "zuora", "backing off")
    SyncJob.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert [engine.dispatch(), engine.dispatch(), engine.dispatch()] == [engine.MAX_BATCH, 3, 0]
    assert queued_tasks() == 2
    assert set(SyncJob.objects.filter(enqueued_at__isnull=False).values_list("pk", flat=True)) == set(due)
    OUTCOMES.extend([{"ok": i} for i in range(3)])
    assert engine.run_jobs(due[-3:]) == dict.fromkeys(due[-3:], "succeeded")
    assert engine.run_jobs(due[-3:]) == {}  # a duplicate of that task finds nothing to do


def test_a_job_runs_once_and_succeeds():
    OUTCOMES.append({"ok": True})
    job = engine.enqueue(KIND, "zuora", "O-1")
    assert engine.run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result, job.leased_by) == ("succeeded", 1, {"ok": True}, "")
    assert engine.run(job.pk) is None  # a duplicate task finds nothing to do


def test_a_leased_job_is_not_run_by_a_second_worker():
    job = engine.enqueue(KIND, "zuora", "O-1")
    claimed, _ = engine.claim(job.pk)
    assert claimed is not None
    assert engine.run(job.pk) is None
    assert OUTCOMES == []


def test_an_event_during_a_run_makes_it_run_again_after():
    job = engine.enqueue(KIND, "zuora", "O-1")

    def new_event_arrives(job):
        engine.enqueue(KIND, "zuora", "O-1")
        return {"run": 1}

    OUTCOMES.extend([new_event_arrives, {"run": 2}])
    assert engine.run(job.pk) == "pending"
    assert engine.run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.result == {"run": 2} and not job.rerun


def test_transient_errors_back_off_then_die_at_the_limit(settings):
    config = SyncSettings.load()
    config.max_attempts = 3
    config.save()
    job = engine.enqueue(KIND, "zuora", "O-1")
    OUTCOMES.extend([TransientError("503", code="503")] * 3)
    before = timezone.now()
    assert engine.run(job.pk) == "pending"
    job.refresh_from_db()
    assert job.next_attempt_at >= before and job.last_error_code == "503"
    assert engine.run(job.pk) is None  # not due yet
    for _ in range(2):
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
        status = engine.run(job.pk)
    assert status == "dead"
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("dead", 3)


def test_backoff_is_exponential_with_full_jitter_and_respects_hints():
    samples = [engine.backoff(4) for _ in range(500)]
    assert 0 <= min(samples) < engine.BACKOFF_BASE * 8 * 0.2
    assert max(samples) <= engine.BACKOFF_BASE * 8
    assert max(samples) > engine.BACKOFF_BASE * 8 * 0.8
    assert engine.backoff(1, hint=90) >= 90
    assert max(engine.backoff(50) for _ in range(50)) <= engine.BACKOFF_CAP


def test_permanent_errors_fail_for_staff_without_retry():
    job = engine.enqueue(KIND, "zuora", "O-1")
    OUTCOMES.append(PermanentError("bad field", code="INVALID_FIELD"))
    assert engine.run(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.last_error_code, job.attempts) == ("INVALID_FIELD", 1)


def test_a_crash_in_the_handler_fails_the_job_with_its_traceback():
    job = engine.enqueue(KIND, "zuora", "O-1")
    OUTCOMES.append(ZeroDivisionError("boom"))
    assert engine.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.last_error_code == "internal_error" and "ZeroDivisionError" in job.last_error


def test_a_new_event_requeues_a_finished_job():
    OUTCOMES.append({"run": 1})
    job = engine.enqueue(KIND, "zuora", "O-1")
    engine.run(job.pk)
    engine.enqueue(KIND, "zuora", "O-1")
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("pending", 0)


def test_sweeper_recovers_lost_tasks_and_dead_workers():
    lost = engine.enqueue(KIND, "zuora", "lost")
    orphan = engine.enqueue(KIND, "zuora", "orphan")
    assert engine.dispatch() == 2
    engine.claim(orphan.pk)
    get_broker().purge_queue()  # the broker lost every task
    long_ago = timezone.now() - timedelta(minutes=10)
    SyncJob.objects.filter(pk=lost.pk).update(enqueued_at=long_ago)
    SyncJob.objects.filter(pk=orphan.pk).update(lease_until=long_ago)  # its worker was killed

    assert engine.sweep() == 2
    assert queued_tasks() == 1  # both in one batch
    OUTCOMES.extend([{"ok": 1}, {"ok": 2}])
    assert engine.run_jobs([lost.pk, orphan.pk]) == {lost.pk: "succeeded", orphan.pk: "succeeded"}


def test_a_crashed_local_worker_s_jobs_are_recovered_before_their_lease_runs_out():
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()  # a process of this machine that no longer exists, as after kill -9
    crashed = engine.enqueue(KIND, "zuora", "crashed")
    alive = engine.enqueue(KIND, "zuora", "alive")
    remote = engine.enqueue(KIND, "zuora", "remote")
    for job, holder in ((crashed, f"{socket.gethostname()}:{gone.pid}:x"),
                        (alive, f"{socket.gethostname()}:{os.getpid()}:x"), (remote, f"elsewhere:{gone.pid}:x")):
        engine.claim(job.pk)
        SyncJob.objects.filter(pk=job.pk).update(leased_by=holder)  # leases still minutes long
    get_broker().purge_queue()

    assert engine.sweep() == 1
    statuses = dict(SyncJob.objects.values_list("subject", "status"))
    assert statuses == {"crashed": "pending", "alive": "running", "remote": "running"}
    assert SyncJob.objects.get(pk=crashed.pk).last_error_code == "worker_lost"


def test_a_job_whose_runs_keep_being_killed_ends_dead_as_worker_lost():
    config = SyncSettings.load()
    config.max_attempts = 3
    config.save()
    job = engine.enqueue(KIND, "zuora", "kills-its-worker")
    for attempt in range(1, 4):
        assert engine.claim(job.pk)[0] is not None  # a worker takes it, then is killed mid-run
        SyncJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        engine.sweep()
        job.refresh_from_db()
        assert (job.attempts, job.last_error_code) == (attempt, "worker_lost")
        assert job.status == ("dead" if attempt == 3 else "pending")
    assert job.leased_by == "" and job.finished_at is not None
    get_broker().purge_queue()
    assert engine.sweep() == 0  # dead stays dead


def test_the_lease_outlives_a_task_at_the_django_q2_timeout(settings):
    for timeout in (120, 900):
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": timeout}
        job = engine.enqueue(KIND, "zuora", f"lease-{timeout}")
        before = timezone.now()
        claimed, _ = engine.claim(job.pk)
        assert claimed.lease_until > before + timedelta(seconds=timeout)


def test_jobs_a_batch_had_no_time_for_go_back_to_the_queue_without_an_attempt():
    batch_kind = SyncJob.Kind.BILLING_TO_SALESFORCE
    first = engine.enqueue(batch_kind, "zuora", "a")
    late = engine.enqueue(batch_kind, "zuora", "no time left")
    get_broker().purge_queue()
    assert engine.run(first.pk) == "succeeded"
    assert BATCHES == [sorted([first.pk, late.pk])]
    late.refresh_from_db()
    assert (late.status, late.attempts, late.leased_by) == ("pending", 0, "")
    assert engine.dispatch() == 1  # handed over again at once


def test_a_requested_run_goes_alone_and_now_even_while_backing_off():
    batch_kind = SyncJob.Kind.BILLING_TO_SALESFORCE
    asked = engine.enqueue(batch_kind, "zuora", "asked")
    other = engine.enqueue(batch_kind, "zuora", "other")
    SyncJob.objects.filter(pk=asked.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert engine.run(asked.pk) is None  # a worker's task waits for the backoff
    assert engine.run(asked.pk, requested=True) == "succeeded"
    assert (BATCHES, REQUESTED) == ([[asked.pk]], [True])
    other.refresh_from_db()
    assert (other.status, other.attempts) == ("pending", 0)


def test_sweeper_does_not_hand_over_again_what_was_just_handed_over():
    engine.enqueue(KIND, "zuora", "fresh")
    assert engine.dispatch() == 1
    assert engine.sweep() == 0
    assert engine.sweep(handed_over_before=timedelta(0)) == 1  # a restarted cluster's first sweep


def test_retry_now_resets_a_dead_job():
    job = engine.enqueue(KIND, "zuora", "O-1")
    SyncJob.objects.filter(pk=job.pk).update(status="dead", attempts=8)
    engine.retry_now(job)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("pending", 0)


def test_a_backlog_runs_as_one_batch_and_each_job_keeps_its_own_outcome():
    batch_kind = SyncJob.Kind.BILLING_TO_SALESFORCE
    ids = [engine.enqueue(batch_kind, "zuora", subject).pk for subject in ("a", "b", "locked", "c")]
    assert engine.run(ids[0]) == "succeeded"
    assert BATCHES == [sorted(ids)]
    statuses = dict(SyncJob.objects.values_list("subject", "status"))
    assert statuses == {"a": "succeeded", "b": "succeeded", "locked": "pending", "c": "succeeded"}
    assert all(engine.run(i) is None for i in ids)  # their own tasks find nothing left to do


def test_in_a_batch_each_success_keeps_its_result_and_a_job_changed_meanwhile_runs_again():
    batch_kind = SyncJob.Kind.BILLING_TO_SALESFORCE
    ids = [engine.enqueue(batch_kind, "zuora", subject).pk for subject in ("a", "changed", "b")]
    assert engine.run(ids[0]) == "succeeded"
    jobs = {job.subject: job for job in SyncJob.objects.all()}
    assert {s: (j.status, j.result, j.leased_by) for s, j in jobs.items() if s != "changed"} == {
        "a": ("succeeded", {"synced": "a"}, ""), "b": ("succeeded", {"synced": "b"}, "")}
    changed = jobs["changed"]
    assert (changed.status, changed.rerun, changed.attempts, changed.leased_by) == ("pending", False, 0, "")
    assert changed.next_attempt_at <= timezone.now()  # due again at once, with the newer state


def test_a_lone_job_goes_out_at_once_alone():
    job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, "zuora", "alone")
    assert engine.run(job.pk) == "succeeded"
    assert BATCHES == [[job.pk]]


def test_request_limit_exceeded_pauses_salesforce_work_without_counting_towards_dead():
    from syncapp.jobs import allocation

    job = engine.enqueue(KIND, "zuora", "O-1")
    other = engine.enqueue(KIND, "zuora", "O-2")
    OUTCOMES.append(TransientError("limit", code="REQUEST_LIMIT_EXCEEDED", retry_after=3600))
    assert engine.run(job.pk) == "pending"
    job.refresh_from_db()
    assert job.attempts == 0
    paused = allocation.paused_until()
    assert paused is not None and job.next_attempt_at >= paused
    assert engine.run(other.pk) is None  # held, not run, while paused
    other.refresh_from_db()
    assert (other.status, other.attempts, other.next_attempt_at) == ("pending", 0, paused)


def test_non_urgent_work_is_deferred_past_95_percent_of_the_allocation():
    from syncapp.models import SyncAttempt

    SyncAttempt.objects.create(vendor="salesforce", operation="query", method="GET", url="/", api_used=96,
                               api_limit=100)
    cart = engine.enqueue(SyncJob.Kind.ABANDONED_CART, "zuora", "O-1")
    assert engine.run(cart.pk) is None
    cart.refresh_from_db()
    assert cart.status == "pending" and cart.next_attempt_at > timezone.now() + timedelta(minutes=10)
    urgent = engine.enqueue(KIND, "zuora", "O-2")
    OUTCOMES.append({"ok": True})
    assert engine.run(urgent.pk) == "succeeded"


def test_the_sweep_keeps_the_newest_successful_task_results_and_every_failure(monkeypatch):
    now = timezone.now()
    for age, success in [(1, True), (2, True), (3, True), (4, True), (5, False)]:
        at = now - timedelta(minutes=age)
        Task.objects.create(id=uuid.uuid4().hex, name=f"t{age}", func="math.floor", args=(1.5,), kwargs={},
                            started=at, stopped=at, success=success, result=1 if success else "boom")
    assert engine.prune_task_results(keep=2) == 2
    assert sorted(Task.objects.values_list("name", flat=True)) == ["t1", "t2", "t5"]
    monkeypatch.setattr(engine, "KEPT_TASK_RESULTS", 1)
    engine.sweep()  # the minute's sweep prunes to KEPT_TASK_RESULTS
    assert sorted(Task.objects.values_list("name", flat=True)) == ["t1", "t5"]


def test_high_salesforce_usage_is_looked_at_once_a_minute_and_logged(monkeypatch, caplog):
    from syncapp.jobs import allocation
    from tests.factories import SyncAttemptFactory

    clock = [10_000.0]
    monkeypatch.setattr(allocation.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(allocation, "_last_look", -3600.0)
    SyncAttemptFactory(vendor="salesforce", api_used=850, api_limit=1000)
    with CaptureQueriesContext(connection) as looks:
        allocation.warn_when_high()
        allocation.warn_when_high()  # after the next task: not looked at again
    assert len(looks) == 1 and "Salesforce API usage at 85% (850/1000)" in caplog.text
    clock[0] += 61
    caplog.clear()
    allocation.warn_when_high()
    assert "at 85%" in caplog.text
