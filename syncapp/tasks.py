"""django-q2 entry points. Tasks take ids, load fresh state, call one service, and are safe to run
twice."""
import logging

import structlog

from syncapp.connectors.vendors import Vendors
from syncapp.jobs import engine, heartbeat, retention
from syncapp.models import SyncAttempt
from syncapp.sync import abandonment, reconcile, watch
from syncapp.sync import watch_zuora as watch_zuora_drafts

log = logging.getLogger(__name__)


def run_job(job_id: int):
    # Every line logged while the job runs (connectors, libraries) carries its id.
    with structlog.contextvars.bound_contextvars(job_id=job_id):
        status = engine.run(job_id)
        log.info("job run", extra={"status": status or "not claimed"})
        return status


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
