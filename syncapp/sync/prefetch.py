"""A sync batch's billing reads, made ahead several at a time.

Planning an order reads it from billing (and, when the order does not carry its customer, the
billing account): one after another, for a batch of 50 those reads, not Salesforce, would set
the pace. `prefetched(...)` makes them on a few threads first — each thread with its
own connector, its calls recorded in the main thread afterwards against the job they were for —
and answers the planning's reads from what they got, errors included. A read the prefetch did
not make, or a second read of the same record, goes to billing as usual.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.http import Recorder
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import Customer, DraftOrder
from syncapp.models import SyncJob

THREADS = 4
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
        if not hasattr(local, "billing"):
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
    with ThreadPoolExecutor(THREADS) as pool:
        for job, calls, answers in pool.map(read, jobs):
            for call in calls:
                recorders[job.pk](call)
            for key, answer in answers.items():
                merged.setdefault(key, answer)  # two orders of one account: the first read serves
    return Prefetched(billing, merged)
