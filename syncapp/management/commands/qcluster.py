"""`manage.py qcluster`: django-q2's worker cluster, and in its main process the hub's job
dispatcher (`syncapp/jobs/dispatcher.py`), which hands due jobs to the cluster's workers. This app
comes before django_q in INSTALLED_APPS, so this command is the one `qcluster` runs."""
import os

from django import db
from django.conf import settings
from django_q.cluster import Cluster
from django_q.management.commands import qcluster

from syncapp.jobs import dispatcher


class Command(qcluster.Command):
    help = "Start the worker cluster (django-q2) and the job dispatcher that hands it due jobs."

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018 — the cluster signs its tasks; fail early without a key
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        # The cluster's processes are forked from this one: none may inherit its connection.
        db.connections.close_all()
        cluster = Cluster()
        cluster.start()
        if options.get("run_once", False):
            cluster.stop()
            return
        # SIGTERM / SIGINT reach this process's handler (the cluster's), which stops the cluster.
        dispatcher.run(lambda: cluster.stop_event is None or cluster.stop_event.is_set()
                       or not cluster.sentinel.is_alive())
