"""Read-only records support looks things up in: every outside call (also shown on its job's page),
and every checkout."""
from urllib.parse import unquote_plus, urlsplit

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from syncapp.admin.base import ReadOnlyAdmin, excerpt
from syncapp.models import CheckoutSession, SyncAttempt


def what_failed(attempt: SyncAttempt):
    """A failed call's first real failure in full (code, message, fields, node), or "—"."""
    if attempt.ok:
        return "—"
    failure = attempt.failure or {"errorCode": attempt.error_code or "failed",
                                  "message": "(see the response excerpt)"}
    return mark_safe(render_to_string("admin/console/failure.html", {"failure": failure}))


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
        summary = format_html("HTTP {} · {} ms", attempt.status_code or "—", f"{attempt.duration_ms:.1f}")
        if attempt.ok:
            return format_html('<span class="console-ok">ok</span><br>{}', summary)
        return format_html("{}{}", what_failed(attempt), summary)

    @admin.display(description="request excerpt")
    def request(self, attempt):
        return excerpt(attempt.request_excerpt)

    @admin.display(description="response excerpt")
    def response(self, attempt):
        return excerpt(attempt.response_excerpt)


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "vendor", "operation", "status_code", "ok", "error_code", "duration", "job_order")
    list_filter = ("vendor", "ok", "error_code")
    search_fields = ("operation", "url", "error_code")
    date_hierarchy = "created_at"
    list_select_related = ("job",)
    fieldsets = [
        (None, {"fields": ("what_failed",)}),
        ("Call", {"fields": ("created_at", "vendor", "operation", "method", "url", "status_code", "ok", "error_code",
                             "duration", "api_used", "api_limit", "job", "checkout", "request", "response")}),
    ]
    readonly_fields = ("what_failed", "created_at", "vendor", "operation", "method", "url", "status_code", "ok",
                       "error_code", "duration", "api_used", "api_limit", "job", "checkout", "request", "response")

    @admin.display(description="what failed")
    def what_failed(self, attempt):
        return what_failed(attempt)

    @admin.display(description="job's order", ordering="job__subject")
    def job_order(self, attempt):
        return attempt.job.subject if attempt.job else "—"

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, attempt):
        return f"{attempt.duration_ms:.1f} ms"

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
