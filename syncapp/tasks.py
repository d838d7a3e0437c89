"""django-q2 entry points. Tasks take ids, load fresh state, call one service, and are safe to run
twice (STYLE §6)."""
from syncapp.services import abandonment, jobs, watch


def run_job(job_id: int):
    return jobs.run(job_id)


def sweep():
    return jobs.sweep()


def watch_salesforce():
    return watch.watch_salesforce()


def find_abandoned_carts():
    return abandonment.find_abandoned_carts()
