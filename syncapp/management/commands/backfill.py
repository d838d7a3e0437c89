import json

from django.core.management.base import BaseCommand, CommandError

from syncapp.connectors.vendors import Vendors
from syncapp.jobs import engine
from syncapp.management.progress import progress_bar, since_option
from syncapp.models import SyncAttempt
from syncapp.sync import backfill


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight checks both first
    requires_vendors = True
    help = ("Bring existing billing drafts into Salesforce the first time, through the job engine. Resumable: "
            "an interrupted run continues where it stopped, and a repeated run syncs nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only drafts changed at or after this ISO 8601 date/time")
        parser.add_argument("--batch", type=int, default=engine.MAX_BATCH,
                            help=f"drafts per batch (one composite graph call each; default {engine.MAX_BATCH})")

    def handle(self, since, batch, **options):
        if not 1 <= batch <= engine.MAX_BATCH:
            raise CommandError(f"--batch must be between 1 and {engine.MAX_BATCH}")
        try:
            with progress_bar(self.stderr._out) as advance:
                done = backfill.backfill(Vendors.from_settings(SyncAttempt.recorder()), since=since_option(since),
                                         batch=batch,
                                         progress=lambda n: advance("billing drafts", n))
        except backfill.SyncTurnedOff as err:
            raise CommandError(str(err)) from None
        self.stdout.write(json.dumps(done.as_dict(), indent=2))
        if done.not_synced:
            raise CommandError(f"{done.not_synced} draft(s) not synced yet: see failed syncs in the console "
                               "(retrying ones run again on their own).")
