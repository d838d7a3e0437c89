import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from syncapp import conf
from syncapp.jobs import engine
from syncapp.models import SyncJob
from syncapp.sync.order_sync import TURNED_OFF, turned_off

MAX_RERUNS = 3


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight checks both first
    requires_vendors = True
    help = ("Sync one billing order to Salesforce now, through the job engine, and print the result. "
            "An explicit request: it runs even with auto-sync turned off (not with sync draft orders off).")

    def add_arguments(self, parser):
        parser.add_argument("billing_order_id")
        parser.add_argument("--provider", default=None, help="billing provider (default: BILLING_PROVIDER)")

    def handle(self, billing_order_id, provider, **options):
        off = turned_off(requested=True)
        if off:
            raise CommandError(f"Nothing synced: {off['skipped']} (turn it on in the console's Sync settings).")
        provider = provider or conf.billing_provider()
        job = engine.enqueue(SyncJob.Kind.BILLING_TO_SALESFORCE, provider, billing_order_id)
        if engine.run(job.pk, requested=True) is None:
            raise CommandError(f"Job {job.pk} for {billing_order_id} is running elsewhere or Salesforce work is "
                               "paused; see the console.")
        # Events that arrived while it ran ask for one more run, still on this request.
        for _ in range(MAX_RERUNS):
            job.refresh_from_db()
            if job.status != SyncJob.Status.PENDING or job.next_attempt_at > timezone.now():
                break  # done, or backing off after a transient error (the workers retry it)
            engine.run(job.pk, requested=True)
        job.refresh_from_db()
        self.stdout.write(json.dumps({"job": job.pk, "status": job.status, "result": job.result,
                                      "error": job.last_error or None}, indent=2))
        if job.status != SyncJob.Status.SUCCEEDED:
            raise CommandError(f"sync {job.status}: {job.last_error}")
        if TURNED_OFF in (job.result or {}):  # switched off while it ran
            raise CommandError(f"Nothing synced: {job.result['skipped']}.")
