"""Two worker clusters on one database and one broker never run the same job at once, and each
order reaches Salesforce exactly once — even when every job is also in two tasks of its own.

Real billing → Salesforce syncs: draft orders created in the Zuora emulator, its signed webhooks
queue the jobs, and the two `qcluster`s (each with its dispatcher and two workers) race for them.
Which cluster ran a task comes from its log; what each run did comes from django-q2's task results and the hub's own
`SyncAttempt` rows. Runs on the ORM broker by default and on Redis with REDIS_URL (+ HUB_Q_NAME).
"""
import datetime as dt
import re
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import requests
from django_q.brokers import get_broker
from django_q.models import Task
from django_q.tasks import async_task

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.models import SyncAttempt, SyncJob
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = 40
EXTRA_COPIES = 2  # tasks of its own per job, pushed by hand beside the dispatcher's batches
PROCESSING = re.compile(r"processing (\S+) 'syncapp\.tasks\.run_jobs'")


def draft(i: int) -> DraftOrder:
    email = f"buyer@customer{i}.example"
    return DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
        lines=(OrderLine(sku="PRO-MONTHLY", quantity=Decimal(1 + i % 5), list_price=Decimal("49.00"),
                         net_price=Decimal("49.00")),),
        terms=BillingTerms(billing_period="Month"),
        customer=Customer(name=f"Customer {i}", email=email, currency="USD",
                          bill_to=Contact(email=email, first_name="Pat", last_name=f"Buyer{i}")))


def control(hub_url, system, **switches):
    response = requests.post(f"{hub_url}/sandbox/{system}/_control", json=switches, timeout=60)
    response.raise_for_status()
    return response.json()


def test_two_clusters_never_run_one_job_twice(hub_url, settings, start_cluster):
    get_broker().purge_queue()
    # Hold the webhooks until both clusters are up, so both race from the start; slow Salesforce
    # down so jobs are still running while their extra copies are picked up.
    control(hub_url, "webhooks", paused=True)
    control(hub_url, "salesforce", latency_ms=60)
    billing = billing_connector()
    order_ids = [billing.create_order(draft(i), idempotency_key=str(uuid.uuid4())).order_id for i in range(ORDERS)]

    clusters = [start_cluster("a"), start_cluster("b")]
    for cluster in clusters:
        cluster.wait_ready()
    control(hub_url, "webhooks", paused=False, action="deliver")
    jobs = wait_until(lambda: (list(SyncJob.objects.filter(subject__in=order_ids))
                               if SyncJob.objects.filter(subject__in=order_ids).count() == ORDERS else None),
                      timeout=30, message=f"{ORDERS} jobs queued by the webhooks")
    for job in jobs:  # every job in two more tasks of its own, so the clusters race for the same jobs
        for copy in range(1, EXTRA_COPIES + 1):
            async_task("syncapp.tasks.run_jobs", [job.pk], task_name=f"copy{copy}-{job.pk}")

    job_ids = {job.pk for job in jobs}
    wait_until(lambda: Task.objects.filter(func="syncapp.tasks.run_jobs", name__startswith="copy").count()
               == ORDERS * EXTRA_COPIES, timeout=120, message=f"the {ORDERS * EXTRA_COPIES} copies to be processed")
    wait_until(lambda: not SyncJob.objects.filter(subject__in=order_ids, status__in=SyncJob.ACTIVE).exists(),
               timeout=120, message="every job to finish")  # a loaded 2-CPU machine took over 30 s
    ran_in = lambda: {i for t in Task.objects.filter(func="syncapp.tasks.run_jobs") for i in (t.result or {})}  # noqa: E731
    wait_until(lambda: ran_in() >= job_ids, timeout=30, message="the result of every task that ran a job")

    # Each job was claimed once (a claim counts an attempt) and fetched its order from billing
    # once: no job ran twice, whether a task it was handed to ran it or another's batch took it along.
    statuses = Counter(SyncJob.objects.filter(pk__in=job_ids).values_list("status", "attempts"))
    assert statuses == {("succeeded", 1): ORDERS}, statuses
    fetches = Counter(SyncAttempt.objects.filter(job__in=job_ids, operation="get_order")
                      .values_list("job_id", flat=True))
    assert fetches == Counter(dict.fromkeys(job_ids, 1)), "a job ran more than once"

    # django-q2 handed every task out once; of all the tasks that carried a job (the dispatchers'
    # batches, unless another task's batch took it along first, and its two copies), one ran it and
    # the others found it taken or done. Every call
    # made for a job lies inside the lifetime (queued to finished) of the task that ran it.
    tasks = list(Task.objects.filter(func="syncapp.tasks.run_jobs"))
    ran = Counter(job_id for t in tasks for job_id in (t.result or {}))
    assert ran == Counter(dict.fromkeys(job_ids, 1)), "two tasks both ran one job"
    assert {status for t in tasks for status in (t.result or {}).values()} == {"succeeded"}
    for job_id in job_ids:
        run = next(t for t in tasks if job_id in (t.result or {}))
        calls = list(SyncAttempt.objects.filter(job_id=job_id).values_list("created_at", flat=True))
        assert calls and all(run.started <= at <= run.stopped for at in calls), \
            f"job {job_id}'s calls are not inside the task that ran it"

    # Both clusters did work, and tasks carrying the same job reached both.
    carried = {t.name: t.args[0] for t in tasks}
    ran_by = defaultdict(set)
    for cluster in clusters:
        for name in PROCESSING.findall(cluster.log()):
            for job_id in carried.get(name, ()):
                ran_by[job_id].add(cluster.name)
    assert set().union(*ran_by.values()) == {"a", "b"}, "one cluster processed nothing"
    contested = [job_id for job_id, names in ran_by.items() if len(names) == 2]
    assert contested, "no job's tasks reached both clusters"

    # Salesforce holds every order exactly once, with its line.
    sf = SalesforceConnector.from_settings()
    orders = {r["Id"]: r["Billing_Order_Id__c"] for r in sf.query("SELECT Id, Billing_Order_Id__c FROM Order")}
    assert Counter(orders.values()) == Counter(order_ids)
    items = sorted((orders[r["OrderId"]], int(r["Quantity"]))
                   for r in sf.query("SELECT OrderId, Quantity FROM OrderItem"))
    assert items == sorted((order_id, 1 + i % 5) for i, order_id in enumerate(order_ids))
    graphs = SyncAttempt.objects.filter(job__in=job_ids, operation="graph").count()
    runs = [t for t in tasks if t.result]
    print(f"\n{ORDERS} jobs, {len(tasks)} tasks: {len(runs)} ran jobs (the rest found theirs taken or done), "
          f"{graphs} composite graph calls, {len(contested)} jobs had copies in both clusters")
