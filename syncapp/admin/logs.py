"""Read-only records support looks things up in: every outside call (also shown on its job's page),
and every checkout."""
from urllib.parse import unquote_plus, urlsplit

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from syncapp.admin.base import ReadOnlyAdmin, excerpt
from syncapp.models import CheckoutSession, SyncAttempt


class AttemptInline(admin.TabularInline):
    """Every outside call the job made, newest first."""
    model = SyncAttempt
    fk_name = "job"
    verbose_name, verbose_name_plural = "attempt", "attempts (every outside call, newest first)"
    fields = ("when", "call", "outcome", "request", "response")
    readonly_fields = fields
    extra = 0
    can_delete = False
    classes = ("console-attempts",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="when")
    def when(self, attempt):
        return format_html("{}<br><small>{}</small>", date_format(localtime(attempt.created_at), "H:i:s"),
                           date_format(localtime(attempt.created_at), "Y-m-d"))

    @admin.display(description="call")
    def call(self, attempt):
        parts = urlsplit(attempt.url)
        path = parts.path + (f"?{unquote_plus(parts.query)}" if parts.query else "")
        return format_html("<strong>{}</strong> {}<br><code>{} {}</code>", attempt.vendor, attempt.operation,
                           attempt.method, path)

    @admin.display(description="outcome")
    def outcome(self, attempt):
        verdict = "ok" if attempt.ok else (attempt.error_code or "failed")
        return format_html('<span class="console-{}">{}</span><br>HTTP {} · {} ms', "ok" if attempt.ok else "bad",
                           verdict, attempt.status_code or "—", round(attempt.duration_ms))

    @admin.display(description="request excerpt")
    def request(self, attempt):
        return excerpt(attempt.request_excerpt)

    @admin.display(description="response excerpt")
    def response(self, attempt):
        return excerpt(attempt.response_excerpt)


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "vendor", "operation", "method", "status_code", "ok", "error_code", "duration_ms",
                    "job")
    list_filter = ("vendor", "ok", "error_code")
    search_fields = ("operation", "url", "error_code")
    date_hierarchy = "created_at"
    list_select_related = ("job",)
    fields = ("created_at", "vendor", "operation", "method", "url", "status_code", "ok", "error_code", "duration_ms",
              "api_used", "api_limit", "job", "checkout", "request", "response")
    readonly_fields = fields

    @admin.display(description="request excerpt")
    def request(self, attempt):
        return excerpt(attempt.request_excerpt)

    @admin.display(description="response excerpt")
    def response(self, attempt):
        return excerpt(attempt.response_excerpt)


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "email", "status", "response_status", "idempotency_key")
    list_filter = ("status",)
    search_fields = ("email", "idempotency_key")
    date_hierarchy = "created_at"
