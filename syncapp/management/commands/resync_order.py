import json

from django.core.management.base import BaseCommand, CommandError

from syncapp import conf
from syncapp.models import SyncJob
from syncapp.services import jobs

MAX_RERUNS = 3


class Command(BaseCommand):
    help = "Sync one billing order to Salesforce now, through the job engine, and print the result."

    def add_arguments(self, parser):
        parser.add_argument("billing_order_id")
        parser.add_argument("--provider", default=None, help="billing provider (default: BILLING_PROVIDER)")

    def handle(self, billing_order_id, provider, **options):
        provider = provider or conf.billing_provider()
        job = jobs.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, billing_order_id)
        if jobs.run(job.pk) is None:
            raise CommandError(f"Job {job.pk} for {billing_order_id} is running elsewhere or backing off; "
                               "see the console.")
        # Events that arrived while it ran (our own write-back, say) ask for one more run.
        for _ in range(MAX_RERUNS):
            if jobs.run(job.pk) is None:
                break
        job.refresh_from_db()
        self.stdout.write(json.dumps({"job": job.pk, "status": job.status, "result": job.result,
                                      "error": job.last_error or None}, indent=2))
        if job.status != SyncJob.Status.SUCCEEDED:
            raise CommandError(f"sync {job.status}: {job.last_error}")
