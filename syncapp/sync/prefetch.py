"""A sync batch's billing reads, made ahead several at a time.

Planning an order reads it from billing (and, when the order does not carry its customer, the
billing account): one after another, for a batch of 50 those reads, not Salesforce, would set
the pace. `prefetched(...)` makes them on a few threads first — each thread with its
own connector, its calls recorded in the main thread afterwards against the job they were for —
and answers the planning's reads from what they got, errors included. A read the prefetch did
not make, or a second read of the same record, goes to billing as usual.

The threads are the process's, kept from batch to batch: a connector reads its token and catalog
from the shared cache, which without Redis is the database, and threads of their own per batch
would each open a database connection every batch (on SQLite a ninth of the workers' CPU).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections

from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.http import Recorder
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import Customer, DraftOrder
from syncapp.models import SyncJob

# Reads in flight per worker: a batch's reads cost a vendor's latency per THREADS orders. Well
# under the vendors' concurrency limits (docs/vendor-assumptions.md, "reads made ahead").
THREADS = 8
_threads: tuple[int, ThreadPoolExecutor] | None = None  # the process that started them, and them
_threads_lock = threading.Lock()
# ("order", order id) or ("account", account id) → what billing answered to that read, or raised.
Answers = dict[tuple[str, str], DraftOrder | Customer | Exception]


class Prefetched:
    """A billing connector whose first `get_order` / `get_account` of each batch record are
    answered from the reads made ahead; every other call goes to `billing`."""

    def __init__(self, billing: BillingConnector, answers: Answers):
        self._billing, self._answers = billing, answers

    def __getattr__(self, name):
        return getattr(self._billing, name)

    @property
    def recorder(self) -> Recorder | None:
        return self._billing.recorder

    @recorder.setter
    def recorder(self, recorder: Recorder | None) -> None:
        self._billing.recorder = recorder

    def get_order(self, order_id: str) -> DraftOrder:
        return self._answer(("order", order_id), self._billing.get_order, order_id)

    def get_account(self, account_id: str) -> Customer:
        return self._answer(("account", account_id), self._billing.get_account, account_id)

    def orders(self) -> list[DraftOrder]:
        """The orders read ahead and not yet asked for."""
        return [answer for answer in self._answers.values() if isinstance(answer, DraftOrder)]

    def _answer(self, key, read, arg):
        if key not in self._answers:
            return read(arg)
        answer = self._answers.pop(key)
        if isinstance(answer, Exception):
            raise answer
        return answer


def prefetched(billing: BillingConnector, vendors: Vendors, provider: str, jobs: list[SyncJob],
               recorders: dict[int, Recorder]) -> Prefetched:
    """`billing` answering the reads of `jobs` (subjects: billing order ids), made ahead, each
    thread with a connector of its own to `provider` (`vendors.fresh()`)."""
    if len(jobs) < 2:
        return Prefetched(billing, {})  # a lone order reads as it plans
    local = threading.local()

    def read(job):
        if not hasattr(local, "billing"):  # the thread's first read of this batch
            close_old_connections()  # as a request or a task does: a broken or an old one goes
            local.billing = vendors.fresh().billing_for(provider)
        calls, answers, key = [], {}, ("order", job.subject)
        local.billing.recorder = calls.append
        try:
            order = answers[key] = local.billing.get_order(job.subject)
            if order.customer is None and order.account_id:
                key = ("account", order.account_id)
                answers[key] = local.billing.get_account(order.account_id)
        except Exception as err:  # planning meets it where it would have: at that read
            answers[key] = err
        return job, calls, answers

    merged: Answers = {}
    for job, calls, answers in _pool().map(read, jobs):
        for call in calls:
            recorders[job.pk](call)
        for key, answer in answers.items():
            merged.setdefault(key, answer)  # two orders of one account: the first read serves
    return Prefetched(billing, merged)


def _pool() -> ThreadPoolExecutor:
    """This process's prefetch threads, started on first use (a forked worker starts its own)."""
    global _threads
    with _threads_lock:
        if _threads is None or _threads[0] != os.getpid():
            _threads = (os.getpid(), ThreadPoolExecutor(THREADS, thread_name_prefix="prefetch"))
        return _threads[1]


def stop() -> None:
    """End this process's prefetch threads, each closing its database connections first (a
    test database cannot be dropped while they are open)."""
    global _threads
    with _threads_lock:
        started, _threads = _threads, None
    if started is None or started[0] != os.getpid():
        return
    pool, each_thread = started[1], threading.Barrier(THREADS)

    def close() -> None:
        each_thread.wait(timeout=10)  # holds its thread until every thread has one of these
        connections.close_all()

    for _ in range(THREADS):
        pool.submit(close)
    pool.shutdown(wait=True)
