"""The id and field mappings between billing and Salesforce, editable by staff.

A changed Salesforce id is checked against Salesforce before it is saved (it must exist and be the
right object); saving applies the rules of `syncapp.console.edits` and keeps every change in the
object's history.
"""
import threading

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from syncapp.admin.base import has_perm
from syncapp.admin.deletion import delete_on_both_sides
from syncapp.admin.history import AuditedAdmin
from syncapp.admin.records import ORDER_SEARCH, SEARCH_HELP, billing_order_url, record_link, salesforce_url
from syncapp.connectors.vendors import Vendors
from syncapp.console import mapping_checks, side_by_side
from syncapp.models import AccountLink, FieldMapping, LineLink, OrderLink, ProductMapping, SyncAttempt


class SalesforceCheckedForm(forms.ModelForm):
    """Refuses a Salesforce id or field name that Salesforce does not confirm. Only changed values
    are checked: saving an untouched mapping costs no call."""

    checked: dict | None = None  # field → problem, found for this same request before the save began

    def clean(self):
        cleaned = super().clean()
        model = self._meta.model
        changed = {name: cleaned.get(name) for name in self.changed_data
                   if name in mapping_checks.checked_fields(model) and name not in self.errors}
        if not changed:
            return cleaned
        if self.checked is None:
            sf = Vendors.from_settings(SyncAttempt.recorder()).salesforce
            self.checked = mapping_checks.problems(model, changed, sf, current=cleaned)
        for name, problem in self.checked.items():
            self.add_error(name, problem)
        return cleaned


class MappingAdmin(AuditedAdmin):
    form = SalesforceCheckedForm

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Django saves inside a transaction; the Salesforce checks run before it opens, so no
        outside call holds the database (on SQLite, its one write lock — which the sandbox
        emulator answering the call needs too)."""
        if request.method == "POST":
            request.salesforce_checked = self._check_before_saving(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _check_before_saving(self, request, object_id) -> dict | None:
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        allowed = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if not allowed or (object_id and obj is None):
            return None  # Django refuses it next, before any check
        form = self.get_form(request, obj, change=obj is not None)(request.POST, request.FILES, instance=obj)
        form.is_valid()
        return form.checked

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.checked = getattr(request, "salesforce_checked", None)
        return form


@admin.register(AccountLink)
class AccountLinkAdmin(MappingAdmin):
    list_display = ("salesforce_account_id", "billing_provider", "billing_account_id", "email", "company",
                    "matched_by", "updated_at")
    list_filter = ("billing_provider", "matched_by")
    search_fields = ("salesforce_account_id", "billing_account_id", "email", "company", "match_key")
    readonly_fields = ("created_at", "updated_at")


class LineLinkInline(admin.TabularInline):
    """The order's lines, to look at; each is edited on its own page (where it is checked and audited)."""
    model = LineLink
    fields = ("billing_line_id", "salesforce_item_id", "edit")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def edit(self, line):
        return format_html('<a href="{}">open</a>', reverse("admin:syncapp_linelink_change", args=[line.pk]))


class AbandonedFilter(admin.SimpleListFilter):
    title, parameter_name = "abandoned cart", "abandoned"

    def lookups(self, request, model_admin):
        return [("yes", "follow-up Task created"), ("no", "no")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(abandonment_task_id="")
        if self.value() == "no":
            return queryset.filter(abandonment_task_id="")
        return queryset


@admin.register(OrderLink)
class OrderLinkAdmin(MappingAdmin):
    list_display = ("billing_order", "salesforce_order", "customer", "origin", "status", "synced", "abandoned",
                    "problem")
    list_display_links = ("billing_order",)
    list_select_related = ("account_link",)
    list_filter = ("billing_provider", "origin", "status", AbandonedFilter)
    search_fields = ORDER_SEARCH
    search_help_text = SEARCH_HELP
    raw_id_fields = ("account_link",)
    readonly_fields = ("both_sides", "in_each_system", "billing_fingerprint", "salesforce_fingerprint",
                       "last_synced_at", "conflict",
                       "deleted_in_billing_at", "created_at", "updated_at")
    inlines = [LineLinkInline]
    actions = [delete_on_both_sides]
    change_form_template = "admin/console/orderlink_change_form.html"
    has_delete_on_both_sides_permission = has_perm("delete_on_both_sides")
    has_sync_permission = has_perm("retry_syncjob")

    def get_fieldsets(self, request, obj=None):
        """The order as both systems have it now comes first on its page."""
        fieldsets = super().get_fieldsets(request, obj)
        rest = [name for name in fieldsets[0][1]["fields"] if name != "both_sides"]
        if obj is None:
            return [(None, {"fields": rest})]
        return [("Both sides, now", {"fields": ["both_sides"]}), (None, {"fields": rest})]

    @admin.display(description="billing and Salesforce")
    def both_sides(self, link):
        return render_to_string("admin/console/side_by_side.html",
                                {"link": link, "comparison": side_by_side.compare(
                                    link, Vendors.from_settings(SyncAttempt.recorder()))})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url,
                                   {"can_sync": self.has_sync_permission(request), **(extra_context or {})})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("<path:object_id>/sync-now/<str:side>/", self.admin_site.admin_view(self.sync_now_view),
                     name="{}_{}_sync_now".format(*info))] + super().get_urls()

    def sync_now_view(self, request, object_id, side):
        """POST: write the order from `side` to the other side now (a job, queued at once)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_sync_permission(request):
            raise PermissionDenied
        link = get_object_or_404(OrderLink, pk=object_id)
        try:
            side_by_side.sync_now(link, side, by=request.user)
        except side_by_side.NotOffered:  # the page offers only the sides it may; a hand-made POST too
            raise PermissionDenied from None
        self.message_user(request, f"Queued a sync of {link} from {side} now.", messages.SUCCESS)
        return redirect("admin:syncapp_orderlink_change", link.pk)

    @admin.display(description="in each system")
    def in_each_system(self, link):
        account = link.account_link
        return format_html(
            "{} order {} · Salesforce Order {}<br>customer {} · {} · Salesforce Account {}", link.billing_provider,
            record_link(billing_order_url(link.billing_provider, link.billing_order_id), link.billing_order_id),
            record_link(salesforce_url("Order", link.salesforce_order_id), link.salesforce_order_id),
            account.email if account else "—", account.company if account else "—",
            record_link(salesforce_url("Account", account.salesforce_account_id) if account else "",
                        account.salesforce_account_id if account else ""))

    @admin.display(description="billing order", ordering="billing_order_id")
    def billing_order(self, link):
        return link.billing_order_id or "—"

    @admin.display(description="Salesforce order", ordering="salesforce_order_id")
    def salesforce_order(self, link):
        return link.salesforce_order_id or "—"

    @admin.display(description="last synced", ordering="last_synced_at")
    def synced(self, link):
        return f"{timesince(link.last_synced_at, depth=1)} ago" if link.last_synced_at else "—"

    @admin.display(description="customer", ordering="account_link__email")
    def customer(self, link):
        return link.account_link.email if link.account_link else "—"

    @admin.display(boolean=True, description="abandoned")
    def abandoned(self, link):
        return bool(link.abandonment_task_id)

    @admin.display(description="problem")
    def problem(self, link):
        if link.deleted_in_billing_at:
            return "deleted in billing"
        return link.last_error[:80]


@admin.register(LineLink)
class LineLinkAdmin(MappingAdmin):
    list_display = ("billing_line_id", "salesforce_item_id", "order_link")
    search_fields = ("billing_line_id", "salesforce_item_id", "order_link__billing_order_id")
    raw_id_fields = ("order_link",)


@admin.register(ProductMapping)
class ProductMappingAdmin(MappingAdmin):
    """The list reads, in one Salesforce call, whether each mapped PricebookEntry is still active:
    an entry deactivated in Salesforce fails every sync of its SKU until it is fixed."""
    list_display = ("sku", "currency", "product2_id", "pricebook_entry_id", "entry_state", "updated_at")
    list_filter = ("currency",)
    search_fields = ("sku", "product2_id", "pricebook_entry_id")
    readonly_fields = ("updated_at",)
    _entries = threading.local()  # this request's answer: entry id → IsActive (None: could not read)

    def changelist_view(self, request, extra_context=None):
        self._entries.active = mapping_checks.entries_active(
            ProductMapping.objects.values_list("pricebook_entry_id", flat=True),
            Vendors.from_settings(SyncAttempt.recorder()).salesforce)
        try:
            response = super().changelist_view(request, extra_context)
            return response.render() if hasattr(response, "render") else response  # while the answer is known
        finally:
            self._entries.active = None

    @admin.display(description="price book entry in Salesforce")
    def entry_state(self, mapping):
        known = getattr(self._entries, "active", None)
        if known is None:
            return "—"
        state = known.get(mapping.pricebook_entry_id)
        if state is None:
            return format_html('<span class="console-flag">missing: fix the mapping</span>')
        return "active" if state else format_html(
            '<span class="console-flag">inactive: syncs of {} fail</span>', mapping.sku)


@admin.register(FieldMapping)
class FieldMappingAdmin(MappingAdmin):
    list_display = ("billing_field", "salesforce_field", "active")
    list_filter = ("active",)
    search_fields = ("billing_field", "salesforce_field")
