"""The dispatcher: a loop in the worker cluster's main process (`manage.py qcluster`) that hands
due jobs to the workers.

Enqueueing a job only writes its row, and the webhook intake writes only the event: each round the
loop first queues the jobs of the order events stored since (`engine.take_in`). While nothing is
new or due the loop reads the two tables every IDLE_POLL seconds (an indexed read each); due jobs
are handed over in batches of up to `engine.MAX_BATCH`, one django-q2 task each (`engine.dispatch`),
back to back while a backlog lasts.
On start it sweeps first: what a cluster that died had taken or handed over is taken back and
handed over again at once, instead of after its lease or `engine.REQUEUE_AFTER`."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import close_old_connections, connection

from syncapp.jobs import engine

log = logging.getLogger(__name__)

IDLE_POLL = 0.2  # seconds between reads while nothing is due: a new job waits 0.1 s on average
AFTER_ERROR = 2.0  # seconds before trying again when the database or the broker failed


def run(stopped: Callable[[], bool], *, idle: float = IDLE_POLL) -> None:
    """Hand due jobs over until `stopped()` says the cluster stopped."""
    started = False
    while not stopped():
        close_old_connections()  # past CONN_MAX_AGE, or broken: the next query opens a new one
        try:
            if not started:
                engine.sweep(handed_over_before=timedelta(0))
                started = True
            taken = engine.take_in()
            handed = engine.dispatch()
        except Exception:  # the database or the broker failed: the loop must outlive it
            log.exception("the job dispatcher failed; trying again in %s s", AFTER_ERROR)
            connection.close()
            time.sleep(AFTER_ERROR)
            continue
        if taken < engine.MAX_BATCH and handed < engine.MAX_BATCH:
            time.sleep(idle)
