"""Sync jobs, and failed syncs as their own list: every attempt of a job with its request and
response excerpts, "retry now" and "mark resolved" from the list and from the job's page (what
those do to a job, and the audit entry each leaves, is `syncapp.jobs.by_hand`'s).
"""
import json
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from syncapp.admin.base import ReadOnlyAdmin, excerpt, has_perm
from syncapp.admin.history import history_table
from syncapp.admin.logs import AttemptInline
from syncapp.admin.records import JOB_SEARCH_HELP, billing_order_url, orders_matching, record_link, salesforce_url
from syncapp.admin.remedies import remedy
from syncapp.jobs import by_hand
from syncapp.models import FailedSync, OrderLink, SyncJob
from syncapp.models.failed_syncs import FAILED_STATUSES


class FailedStatusFilter(admin.SimpleListFilter):
    title, parameter_name = "status", "status__exact"

    def lookups(self, request, model_admin):
        return [(SyncJob.Status.FAILED, "failed (a permanent error)"),
                (SyncJob.Status.DEAD, "dead (gave up after retries)")]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class FailedAgeFilter(admin.SimpleListFilter):
    title, parameter_name = "failed", "age"
    AGES = {"1h": ("in the last hour", timedelta(hours=1)), "24h": ("in the last 24 hours", timedelta(days=1)),
            "7d": ("in the last 7 days", timedelta(days=7)), "older": ("more than 7 days ago", timedelta(days=7))}

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.AGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.AGES:
            return queryset
        since = timezone.now() - self.AGES[self.value()][1]
        return queryset.filter(finished_at__lt=since) if self.value() == "older" else queryset.filter(
            finished_at__gte=since)


@admin.action(description="Retry now", permissions=["retry"])
def retry_now(modeladmin, request, queryset):
    jobs = list(queryset)
    queued = sum(by_hand.retry(job, request.user) for job in jobs)
    skipped = len(jobs) - queued
    modeladmin.message_user(request, f"Queued {queued} job(s) to run again now."
                            + (f" {skipped} running job(s) left alone." if skipped else ""), messages.SUCCESS)


@admin.action(description="Mark resolved…", permissions=["resolve"])
def mark_resolved(modeladmin, request, queryset):
    """Close failed jobs without a retry, with a note saying why (kept in the audit log): first a
    page asking for the note, then the jobs are closed."""
    chosen = list(queryset.filter(status__in=FAILED_STATUSES))
    note = request.POST.get("note", "")
    if not note.strip():
        return TemplateResponse(request, "admin/console/resolve_note.html", {
            **modeladmin.admin_site.each_context(request), "title": "Mark failed syncs resolved",
            "opts": modeladmin.opts, "jobs": chosen, "asked": "post" in request.POST,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "media": modeladmin.media})
    resolved = sum(by_hand.resolve(job, request.user, note) for job in chosen)
    modeladmin.message_user(request, f"Marked {resolved} failed job(s) resolved.", messages.SUCCESS)
    return None


class JobAdminBase(ReadOnlyAdmin):
    list_display_links = ("order_id",)
    list_display: tuple[str, ...] = ("order_id", "direction", "provider", "status", "last_error_code", "attempts",
                                     "finished_at")
    list_filter: ClassVar[tuple[Any, ...]] = ("kind", "provider", "status", "last_error_code")
    search_fields = ("subject", "last_error")
    search_help_text = JOB_SEARCH_HELP
    actions = [retry_now, mark_resolved]
    inlines = [AttemptInline]
    change_form_template = "admin/console/job_change_form.html"
    fieldsets = [
        ("Order", {"fields": ("customer", "account", "orders", "subject", "kind", "provider", "order", "events")}),
        ("Outcome", {"fields": ("status", "attempts", "last_error_code", "error", "result_json", "staff_actions")}),
        ("Timing", {"fields": ("created_at", "next_attempt", "finished_at", "changed_while_running")}),
    ]
    readonly_fields = ("what_to_do", "customer", "account", "orders", "subject", "kind", "provider", "order",
                       "events", "status", "attempts", "last_error_code", "error", "result_json", "staff_actions",
                       "created_at", "next_attempt", "finished_at", "changed_while_running")

    def get_fieldsets(self, request, obj=None):
        """A failed job's page starts with what to do about it; "next attempt" shows only while one
        is scheduled, and "changed while running" only while the job runs."""
        fieldsets = [(name, {**options, "fields": tuple(
            f for f in options["fields"]
            if not (f == "next_attempt" and getattr(obj, "status", None) != SyncJob.Status.PENDING)
            and not (f == "changed_while_running" and not getattr(obj, "rerun", False)))})
            for name, options in self.fieldsets]
        if obj is not None and obj.status in FAILED_STATUSES:
            fieldsets.insert(0, ("What to do", {"fields": ("what_to_do",)}))
        return fieldsets

    @admin.display(description="what to change")
    def what_to_do(self, job):
        found = remedy(job)
        return render_to_string("admin/console/remedy.html", {"remedy": found}) if found else "—"

    @admin.display(description="next attempt at")
    def next_attempt(self, job):
        return job.next_attempt_at if job.status == SyncJob.Status.PENDING else "—"

    @admin.display(description="runs again")
    def changed_while_running(self, job):
        return ("Yes: the order changed while this job was running, so it runs once more when this run ends."
                if job.rerun else "No")

    has_retry_permission = has_perm("retry_syncjob")
    has_resolve_permission = has_perm("resolve_syncjob")

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            orders = orders_matching(search_term)
            found |= queryset.filter(Q(subject__in=orders.exclude(billing_order_id="").values("billing_order_id"))
                                     | Q(subject__in=orders.exclude(salesforce_order_id="").values(
                                         "salesforce_order_id")))
        return found, duplicates

    @admin.display(description="order", ordering="subject")
    def order_id(self, job):
        return job.subject

    @admin.display(description="kind", ordering="kind")
    def direction(self, job):
        return job.kind.replace("_to_", " → ").replace("_", " ")

    # --- the job's page ----------------------------------------------------------------------
    def _link(self, job):
        if not hasattr(job, "_order_link"):
            job._order_link = OrderLink.objects.filter(
                Q(billing_provider=job.provider, billing_order_id=job.subject)
                | Q(salesforce_order_id=job.subject)).select_related("account_link").first()
        return job._order_link

    @admin.display(description="order link")
    def order(self, job):
        link = self._link(job)
        if link is None:
            return "— (the order has not reached the other side yet)"
        return format_html('<a href="{}">{}</a>', reverse("admin:syncapp_orderlink_change", args=[link.pk]), link)

    @admin.display(description="customer")
    def customer(self, job):
        account = getattr(self._link(job), "account_link", None)
        if account is None:
            return "—"
        return format_html("{} · {}", account.email or "(no email)", account.company or "(no company)")

    @admin.display(description="account")
    def account(self, job):
        account = getattr(self._link(job), "account_link", None)
        if account is None:
            return "—"
        return format_html(
            'Salesforce Account {} · {} billing account {} · <a href="{}">account link</a>',
            record_link(salesforce_url("Account", account.salesforce_account_id), account.salesforce_account_id),
            account.billing_provider, record_link("", account.billing_account_id),
            reverse("admin:syncapp_accountlink_change", args=[account.pk]))

    @admin.display(description="order in each system")
    def orders(self, job):
        link = self._link(job)
        billing_id = link.billing_order_id if link else (job.subject if job.kind != SyncJob.Kind.SALESFORCE_TO_BILLING
                                                          else "")
        salesforce_id = link.salesforce_order_id if link else (
            job.subject if job.kind == SyncJob.Kind.SALESFORCE_TO_BILLING else "")
        return format_html("{} order {} · Salesforce Order {}", job.provider,
                           record_link(billing_order_url(job.provider, billing_id), billing_id),
                           record_link(salesforce_url("Order", salesforce_id), salesforce_id))

    @admin.display(description="last error")
    def error(self, job):
        return excerpt(job.last_error)

    @admin.display(description="result")
    def result_json(self, job):
        return format_html("<pre>{}</pre>", json.dumps(job.result, indent=2)) if job.result else "—"

    @admin.display(description="webhook events")
    def events(self, job):
        rows = job.events.order_by("-received_at")[:20]
        return format_html_join(", ", '<a href="{}">{} {}</a>', (
            (reverse("admin:syncapp_webhookevent_change", args=[e.pk]), e.event_type, e.event_id) for e in rows)) or "—"

    @admin.display(description="staff actions")
    def staff_actions(self, job):
        return history_table(job)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_retry": self.has_retry_permission(request),
                 "can_resolve": self.has_resolve_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    # --- the buttons on the job's page -------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/retry/", self.admin_site.admin_view(self.retry_view), name="{}_{}_retry".format(*info)),
            path("<path:object_id>/resolve/", self.admin_site.admin_view(self.resolve_view),
                 name="{}_{}_resolve".format(*info)),
        ] + super().get_urls()

    def retry_view(self, request, object_id):
        return self._button(request, object_id, self.has_retry_permission, retry_now)

    def resolve_view(self, request, object_id):
        return self._button(request, object_id, self.has_resolve_permission, mark_resolved)

    def _button(self, request, object_id, allowed, action):
        """Run `action` on one job from its page (POST only), then show the job with its new status
        (or the page the action asks something on, such as the note for "mark resolved")."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not allowed(request):
            raise PermissionDenied
        job = get_object_or_404(SyncJob, pk=object_id)
        return action(self, request, SyncJob.objects.filter(pk=job.pk)) or redirect(
            "admin:syncapp_syncjob_change", job.pk)


@admin.register(SyncJob)
class SyncJobAdmin(JobAdminBase):
    list_display = (*JobAdminBase.list_display, "next_attempt")


@admin.register(FailedSync)
class FailedSyncAdmin(JobAdminBase):
    """Jobs that need a person: failed (permanent error) or dead (transient errors past the limit)."""
    list_display = ("order_id", "status", "short_error", "direction", "provider", "attempts", "failed_ago")
    list_filter = ("kind", "provider", "last_error_code", FailedAgeFilter, FailedStatusFilter)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Failed syncs: jobs that need a person",
                                                 **(extra_context or {})})

    @admin.display(description="error")
    def short_error(self, job):
        text = job.last_error.splitlines()[0] if job.last_error else ""
        return text[:110] + ("…" if len(text) > 110 else "")

    @admin.display(description="failed", ordering="finished_at")
    def failed_ago(self, job):
        return f"{timesince(job.finished_at, depth=1)} ago" if job.finished_at else "—"
