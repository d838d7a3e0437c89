"""The dispatcher loop of the worker cluster: on start it sweeps, taking back what a dead cluster
had handed over; then it hands due jobs over as they come, and a failure does not end it."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker

from syncapp.jobs import dispatcher, engine
from syncapp.models import SyncJob

pytestmark = pytest.mark.django_db(transaction=True)
KIND = SyncJob.Kind.ACTIVATION


def rounds(n: int):
    """A `stopped` callable that lets the loop go round `n` times."""
    left = iter(range(n, -1, -1))
    return lambda: next(left) == 0


def test_on_start_it_hands_over_again_what_a_dead_cluster_had_handed_over():
    get_broker().purge_queue()
    lost = engine.enqueue(KIND, "zuora", "lost")
    assert engine.dispatch() == 1
    get_broker().purge_queue()  # the task went down with its cluster
    first_handed_over = SyncJob.objects.get(pk=lost.pk).enqueued_at
    fresh = engine.enqueue(KIND, "zuora", "fresh")
    later = engine.enqueue(KIND, "zuora", "backing off")
    SyncJob.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    dispatcher.run(rounds(2), idle=0)
    assert get_broker().queue_size() == 1  # one task for both
    handed = set(SyncJob.objects.filter(enqueued_at__isnull=False).values_list("pk", flat=True))
    assert handed == {lost.pk, fresh.pk}
    assert SyncJob.objects.get(pk=lost.pk).enqueued_at > first_handed_over  # handed over again


def test_a_failure_does_not_stop_the_loop(monkeypatch):
    get_broker().purge_queue()
    engine.enqueue(KIND, "zuora", "O-1")
    real, calls = engine.dispatch, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("broker down")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "dispatch", flaky)
    monkeypatch.setattr(dispatcher, "AFTER_ERROR", 0)
    monkeypatch.setattr(engine, "sweep", lambda **kwargs: 0)
    dispatcher.run(rounds(3), idle=0)
    assert len(calls) >= 2 and get_broker().queue_size() == 1


def test_a_steady_flow_is_gathered_into_batches_and_a_backlog_goes_back_to_back():
    get_broker().purge_queue()
    arrivals = iter(range(100))

    def one_more_each_round():  # a job comes in before every round: a steady flow
        n = next(arrivals)
        if n < 4:
            engine.enqueue(KIND, "zuora", f"flow-{n}")
        return n == 4

    dispatcher.run(one_more_each_round, idle=0, gather=60)
    # The first job went at once; the three after it wait for the next hand-over, together.
    assert get_broker().queue_size() == 1
    assert SyncJob.objects.filter(enqueued_at__isnull=True).count() == 3
    dispatcher.run(rounds(1), idle=0, gather=60)  # a dispatcher that has not handed over yet
    assert get_broker().queue_size() == 2
    assert not SyncJob.objects.filter(enqueued_at__isnull=True).exists()

    for n in range(engine.MAX_BATCH + 5):
        engine.enqueue(KIND, "zuora", f"backlog-{n}")
    dispatcher.run(rounds(2), idle=0, gather=60)  # a full batch: the rest follow without waiting
    assert get_broker().queue_size() == 4
    assert not SyncJob.objects.filter(enqueued_at__isnull=True).exists()


def test_its_reads_skip_a_backlog_already_handed_over():
    """The dispatcher polls several times a second; jobs it handed over may wait for a worker by the
    thousand after an outage. Its reads go through the partial index of the jobs awaiting it, so
    what it walks does not grow with that backlog."""
    get_broker().purge_queue()
    handed = [engine.enqueue(KIND, "zuora", f"handed-{i}") for i in range(3)]
    assert engine.dispatch() == 3
    fresh = engine.enqueue(KIND, "zuora", "fresh")
    with CaptureQueriesContext(connection) as queries:
        assert engine.dispatch() == 1
    assert set(SyncJob.objects.filter(enqueued_at__isnull=False).values_list("pk", flat=True)) == {
        *(job.pk for job in handed), fresh.pk}
    probe, hand_over = (q["sql"] for q in queries.captured_queries if "enqueued_at IS NULL" in q["sql"])
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET enable_seqscan = off")  # a table this small would be read whole
        try:
            for sql in (probe, hand_over.split(" WHERE id IN (", 1)[1].rsplit(")", 1)[0]):
                explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
                cursor.execute(explain + sql.replace(" FOR UPDATE SKIP LOCKED", ""))
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                assert "syncjob_awaiting_dispatch" in plan, plan
        finally:  # the connection serves the next tests
            if postgres:
                cursor.execute("RESET enable_seqscan")
