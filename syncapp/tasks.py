"""django-q2 entry points. Tasks take ids, load fresh state, call one service, and are safe to run
twice."""
import logging

from syncapp.connectors.vendors import Vendors
from syncapp.jobs import engine, heartbeat, retention
from syncapp.models import SyncAttempt
from syncapp.sync import abandonment, reconcile, watch
from syncapp.sync import watch_zuora as watch_zuora_drafts

log = logging.getLogger(__name__)


def run_jobs(job_ids: list[int]) -> dict[int, str]:
    """A batch the dispatcher handed over (syncapp/jobs/dispatcher.py): the new status of each job
    this task ran; jobs already taken or done are left alone."""
    statuses = engine.run_jobs(job_ids)
    for job_id, status in statuses.items():
        log.info("job run", extra={"job_id": job_id, "status": status})
    return statuses


def sweep():
    heartbeat.beat()  # the queue's proof of life for health (syncapp/jobs/heartbeat.py)
    return engine.sweep()


def watch_salesforce():
    return watch.watch_salesforce(Vendors.from_settings())


def watch_zuora():
    return watch_zuora_drafts.watch_zuora(Vendors.from_settings())


def find_abandoned_carts():
    return abandonment.find_abandoned_carts()


def nightly_reconcile():
    return reconcile.nightly(Vendors.from_settings(SyncAttempt.recorder()))


def prune_old_records():
    return retention.prune()
