"""Change history: every edit made in the console is kept as an `AuditEntry` (who, when, each
field's value before and after; written by `syncapp.console.edits`) and shown on the object's own
page; the audit log lists them all."""
from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from syncapp.admin.base import ReadOnlyAdmin
from syncapp.console import edits
from syncapp.models import AuditEntry

HISTORY_SHOWN = 50


def history_table(obj):
    """The object's audit entries, newest first, as an HTML table."""
    entries = list(AuditEntry.for_object(obj)[:HISTORY_SHOWN])
    return mark_safe(render_to_string("admin/console/history.html", {"entries": entries}))


class AuditedAdmin(admin.ModelAdmin):
    """A model admin whose every add, change and delete goes through `syncapp.console.edits` (its
    rules, its audit entry), and whose change page shows the object's history."""

    def get_readonly_fields(self, request, obj=None):
        extra = ("change_history",) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *extra)

    def save_model(self, request, obj, form, change):
        edits.save(obj, request.user)

    def delete_model(self, request, obj):
        edits.delete(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            edits.delete(obj, request.user)

    @admin.display(description="History")
    def change_history(self, obj):
        return history_table(obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "action", "outcome", "content_type", "object_repr")
    # Only the kinds of record staff acted on (the hub's), not every model Django knows.
    list_filter = ("action", "outcome", ("content_type", admin.RelatedOnlyFieldListFilter), "username")
    search_fields = ("object_repr", "object_id", "username")
    date_hierarchy = "at"
    readonly_fields = ("at", "username", "action", "outcome", "content_type", "object_id", "object_repr",
                       "changes_table", "details")
    fields = readonly_fields

    @admin.display(description="Changes")
    def changes_table(self, obj):
        return mark_safe(render_to_string("admin/console/history.html", {"entries": [obj], "bare": True}))
