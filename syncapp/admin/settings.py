"""The switches staff flip: one `SyncSettings` row, edited in place and audited."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from syncapp.admin.history import AuditedAdmin
from syncapp.models import SyncSettings


@admin.register(SyncSettings)
class SyncSettingsAdmin(AuditedAdmin):
    fieldsets = [
        ("Sync", {"fields": ("sync_draft_orders", "auto_sync", "sync_salesforce_edits", "max_attempts")}),
        ("Abandoned carts", {"fields": ("abandonment_threshold_hours",)}),
        ("Account matching", {"fields": ("public_email_domains", "share_billing_account")}),
        ("Retention", {"fields": ("retention_processed_days", "retention_rejected_days")}),
    ]
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SyncSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """There is one row: go straight to it (created with its defaults on first use)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:syncapp_syncsettings_change", SyncSettings.load().pk)
