import json

from django.core.management.base import BaseCommand

from syncapp.connectors.vendors import Vendors
from syncapp.console import preflight


class Command(BaseCommand):
    help = ("Read-only preflight of the configured Salesforce org, billing tenant, webhook secrets and "
            "workers: a ✓/✗ table with the fix for each ✗. Exits 1 when anything is ✗.")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the checks as JSON")

    def handle(self, *args, **options):
        checks = preflight.run(Vendors.from_settings())
        if options["json"]:
            self.stdout.write(json.dumps(preflight.as_json(checks), indent=2, ensure_ascii=False))
        else:
            width = max(len(c.name) for c in checks)
            for check in checks:
                mark = "✓" if check.ok else "✗"
                self.stdout.write(f"{mark} {check.name:<{width}}  {check.detail}")
                if not check.ok and check.fix:
                    self.stdout.write(f"  {'':<{width}}  fix: {check.fix}")
            failed = sum(not c.ok for c in checks)
            self.stdout.write(f"\n{len(checks) - failed} of {len(checks)} checks passed.")
        if not all(c.ok for c in checks):
            raise SystemExit(1)

