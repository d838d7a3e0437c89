"""The dispatcher: a loop in the worker cluster's main process (`manage.py qcluster`) that hands
due jobs to the workers.

Enqueueing a job only writes its row, and the webhook intake writes only the event: each round the
loop first queues the jobs of the order events stored since (`engine.take_in`). While nothing is
new or due the loop reads the two tables every IDLE_POLL seconds (an indexed read each); due jobs
are handed over in batches of up to `engine.MAX_BATCH`, one django-q2 task each (`engine.dispatch`),
back to back while a backlog lasts. After a batch that was not full the next one waits GATHER
seconds, so a steady flow of orders goes in batches of half a second's worth, not one poll's worth:
most of a batch's cost is the same for one order as for fifty. A job that comes to an idle
dispatcher is handed over at its next poll.
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
GATHER = 0.5  # seconds between hand-overs of batches that are not full
AFTER_ERROR = 2.0  # seconds before trying again when the database or the broker failed


def run(stopped: Callable[[], bool], *, idle: float = IDLE_POLL, gather: float = GATHER) -> None:
    """Hand due jobs over until `stopped()` says the cluster stopped."""
    started = False
    next_hand_over = 0.0  # monotonic time before which a batch that is not full waits
    while not stopped():
        close_old_connections()  # past CONN_MAX_AGE, or broken: the next query opens a new one
        try:
            handed = 0
            if not started:
                handed = engine.sweep(handed_over_before=timedelta(0))
                started = True
            taken = engine.take_in()
            if time.monotonic() >= next_hand_over:
                handed += engine.dispatch()
            if handed:
                next_hand_over = time.monotonic() + (gather if handed < engine.MAX_BATCH else 0)
        except Exception:  # the database or the broker failed: the loop must outlive it
            log.exception("the job dispatcher failed; trying again in %s s", AFTER_ERROR)
            connection.close()
            time.sleep(AFTER_ERROR)
            continue
        if taken < engine.MAX_BATCH and handed < engine.MAX_BATCH:
            time.sleep(idle)
