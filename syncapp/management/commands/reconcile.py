import json

from django.core.management.base import BaseCommand, CommandError

from syncapp.connectors.vendors import Vendors
from syncapp.management.progress import progress_bar, since_option
from syncapp.models import SyncAttempt
from syncapp.sync.reconcile import FIELDS, Deferred, reconcile, summary

DRIFT = 1
DEFERRED = 3
LABELS = {"missing_in_salesforce": "missing in Salesforce", "missing_in_billing": "missing in billing",
          "stale_in_salesforce": "stale in Salesforce", "stale_in_billing": "stale in billing",
          "orphans": "orphans (reported only)"}


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight checks both first
    requires_vendors = True
    help = ("Compare billing orders with Salesforce Orders and report what is missing or stale on either side, "
            "and orphans. --fix queues the repairs as sync jobs (nothing is ever deleted). Exit status: 0 no "
            f"drift (or --fix), {DRIFT} drift found without --fix, {DEFERRED} deferred by the Salesforce API "
            "allocation (past 95%).")

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only billing orders changed at or after this ISO 8601 date/time")
        parser.add_argument("--fix", action="store_true", help="queue a sync job for each repairable finding")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the report as JSON")

    def handle(self, since, fix, as_json, **options):
        try:
            with progress_bar(self.stderr._out) as advance:
                report = reconcile(Vendors.from_settings(SyncAttempt.recorder()), since=since_option(since),
                                   fix=fix, progress=advance)
        except Deferred as deferred:
            raise CommandError(f"{deferred}; try again then.", returncode=DEFERRED) from None
        if as_json:
            self.stdout.write(json.dumps({**summary(report), "findings": report.findings}, indent=2))
        else:
            self._print(report)
        if report.drift and not fix:
            raise CommandError(f"Drift found in {report.drift} order(s); run with --fix to repair.",
                               returncode=DRIFT)

    def _print(self, report):
        self.stdout.write(f"Reconcile #{report.pk}: {report.checked} billing order(s) checked"
                          + (f" (changed since {report.since.isoformat()})" if report.since else ""))
        for field in FIELDS.values():
            self.stdout.write(f"  {LABELS[field]:<24}{getattr(report, field):>6}")
        for finding in report.findings:
            self.stdout.write(f"  - {finding['kind']:<22} billing {finding['billing_order_id'] or '—':<14} "
                              f"Salesforce {finding['salesforce_order_id'] or '—':<19} {finding['detail']}")
        if len(report.findings) < report.drift:
            self.stdout.write(f"  … and {report.drift - len(report.findings)} more (counts are exact)")
        if report.fix:
            self.stdout.write(f"Queued {report.queued} sync job(s); orphans are for staff (deletion is never synced).")
        elif not report.drift:
            self.stdout.write("No drift.")
