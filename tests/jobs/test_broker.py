"""The task queue on the database (no Redis): django-q2's ORM broker with a cheaper idle poll. It
must still hand each due task out once, and a task whose lock ran out again."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ

from syncapp.jobs.broker import OrmBroker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(monkeypatch):
    monkeypatch.setattr(Conf, "ORM", "default")  # also when this run's queue is on Redis
    monkeypatch.setattr(Conf, "POLL", 0)
    broker = OrmBroker(list_key="broker-test")
    broker.purge_queue()
    return broker


def test_an_idle_poll_is_one_read(broker):
    OrmQ.objects.create(key="another queue", payload="not ours", lock=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert broker.dequeue() is None
    assert len(queries) == 1


def test_a_due_task_is_handed_out_once_and_again_when_its_lock_runs_out(broker):
    task_id = broker.enqueue("payload")
    assert broker.dequeue() == [(task_id, "payload")]
    assert broker.dequeue() is None  # locked while a worker has it (Q_CLUSTER's retry)
    OrmQ.objects.filter(pk=task_id).update(lock=timezone.now() - timedelta(seconds=1))
    assert broker.dequeue() == [(task_id, "payload")]
    broker.acknowledge(task_id)
    assert broker.dequeue() is None


@pytest.mark.skipif(bool(settings.Q_CLUSTER.get("redis")), reason="this run's queue is on Redis")
def test_the_cluster_takes_its_tasks_through_it():
    assert isinstance(get_broker(), OrmBroker)
