"""Reconcile reports: what each run (nightly, or `manage.py reconcile`) found, read-only."""
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from syncapp.admin.base import ReadOnlyAdmin
from syncapp.models import ReconcileReport


@admin.register(ReconcileReport)
class ReconcileReportAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "trigger", "outcome", "checked", "missing_in_salesforce", "missing_in_billing",
                    "stale_in_salesforce", "stale_in_billing", "orphans", "queued")
    list_filter = ("trigger", "outcome", "fix")
    date_hierarchy = "started_at"
    fields = ("started_at", "finished_at", "trigger", "since", "fix", "outcome", "error", "checked",
              "missing_in_salesforce", "missing_in_billing", "stale_in_salesforce", "stale_in_billing", "orphans",
              "queued", "findings_table")
    readonly_fields = fields

    @admin.display(description="findings")
    def findings_table(self, report):
        if not report.findings:
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                                ((f["kind"], f["billing_order_id"] or "—", f["salesforce_order_id"] or "—",
                                  f["detail"]) for f in report.findings))
        return format_html('<table id="reconcile-findings"><thead><tr><th>kind</th><th>billing order</th>'
                           "<th>Salesforce Order</th><th>detail</th></tr></thead><tbody>{}</tbody></table>", rows)
