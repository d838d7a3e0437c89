from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from syncapp.models import SyncJob, WebhookEvent
from syncapp.services.webhook_replay import replay


class Command(BaseCommand):
    help = "Re-process stored webhook events (verified ones only): queue their orders' syncs again."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="only events whose sync failed or died")
        parser.add_argument("--since", help="only events received at or after this ISO 8601 time")
        parser.add_argument("--id", type=int, nargs="+", dest="ids", help="only these event ids")

    def handle(self, failed, since, ids, **options):
        events = WebhookEvent.objects.filter(verified=True)
        if failed:
            events = events.filter(job__status__in=[SyncJob.Status.FAILED, SyncJob.Status.DEAD])
        if since:
            moment = parse_datetime(since)
            if moment is None:
                raise CommandError(f"--since {since!r} is not an ISO 8601 date-time")
            events = events.filter(received_at__gte=moment)
        if ids:
            events = events.filter(pk__in=ids)
        queued, skipped = replay(events.order_by("received_at"))
        self.stdout.write(f"Queued {queued} order sync(s); {skipped} event(s) had nothing to sync.")
