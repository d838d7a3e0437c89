"""django-q2's ORM broker (the task queue on the database, when there is no Redis) with a cheaper
idle poll.

The cluster's pusher asks the broker for tasks every `poll` seconds whether or not there are any.
django-q2's ORM broker builds and compiles a queryset each time; this one first asks the database
whether any task is due, in SQL written once, and only then takes them django-q2's way."""
from __future__ import annotations

import time

from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ


class OrmBroker(ORM):
    def dequeue(self) -> list[tuple[int, str]] | None:
        if not self.anything_due():
            time.sleep(Conf.POLL)  # as django-q2's broker does when it found nothing
            return None
        return super().dequeue()

    def anything_due(self) -> bool:
        """Whether a task of this queue is due (unlocked, or its lock ran out): one read."""
        connection = connections[Conf.ORM]
        if transaction.get_autocommit(using=Conf.ORM):
            close_old_connections()  # past CONN_MAX_AGE, or broken: as django-q2's broker does
        table, key, lock = (connection.ops.quote_name(name) for name in (OrmQ._meta.db_table, "key", "lock"))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {key} = %s AND {lock} < %s LIMIT 1",
                           [self.list_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            return cursor.fetchone() is not None
