from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from syncapp.models import SyncJob, WebhookEvent
from syncapp.sync.order_sync import TURNED_OFF
from syncapp.sync.webhook_replay import replay


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight: stop with a sentence when missing
    help = ("Re-process stored webhook events (verified ones only): queue their orders' syncs again; each "
            "sync fetches the order's current state, so replaying is always safe. Orders whose sync ran "
            "while sync was turned off in settings finished as succeeded with a 'skipped' result and are "
            "not caught up when it is turned back on: replay them with --skipped (or --since the time it "
            "was turned off).")

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="only events whose sync failed or died")
        parser.add_argument("--skipped", action="store_true",
                            help="only events whose sync was last skipped because sync was turned off")
        parser.add_argument("--since", help="only events received at or after this ISO 8601 time")
        parser.add_argument("--id", type=int, nargs="+", dest="ids", help="only these event ids")

    def handle(self, failed, skipped, since, ids, **options):
        events = WebhookEvent.objects.filter(verified=True)
        if failed:
            events = events.filter(job__status__in=[SyncJob.Status.FAILED, SyncJob.Status.DEAD])
        if skipped:
            events = events.filter(job__status=SyncJob.Status.SUCCEEDED, job__result__has_key=TURNED_OFF)
        if since:
            moment = parse_datetime(since)
            if moment is None:
                raise CommandError(f"--since {since!r} is not an ISO 8601 date-time")
            if timezone.is_naive(moment):  # a time without an offset is in the hub's TIME_ZONE
                moment = timezone.make_aware(moment)
            events = events.filter(received_at__gte=moment)
        if ids:
            events = events.filter(pk__in=ids)
        queued, skipped_events = replay(events.order_by("received_at"))
        self.stdout.write(f"Queued {queued} order sync(s); {skipped_events} event(s) had nothing to sync.")
