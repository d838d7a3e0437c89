"""Change history: every edit made in the console is kept as an `AuditEntry` (who, when, each
field's value before and after) and shown on the object's own page; the audit log lists them all."""
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from syncapp.admin.base import ReadOnlyAdmin
from syncapp.models import AuditEntry

# Bookkeeping the database keeps by itself; a change to it is not a change anyone made.
UNTRACKED = {"id", "created_at", "updated_at"}
HISTORY_SHOWN = 50


def snapshot(obj) -> dict:
    """The object's own field values, as JSON-ready values (a foreign key as its id)."""
    if obj is None:
        return {}
    encoder = DjangoJSONEncoder()
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in UNTRACKED:
            continue
        value = field.value_from_object(obj)
        plain = isinstance(value, (str, int, float, bool, dict, list, type(None)))
        values[field.name] = value if plain else encoder.default(value)
    return values


def diff(before: dict, after: dict) -> dict:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def history_table(obj):
    """The object's audit entries, newest first, as an HTML table."""
    entries = list(AuditEntry.for_object(obj)[:HISTORY_SHOWN])
    return mark_safe(render_to_string("admin/console/history.html", {"entries": entries}))


class AuditedAdmin(admin.ModelAdmin):
    """A model admin whose every add, change and delete leaves an audit entry, and whose change page
    shows the object's history."""

    def get_readonly_fields(self, request, obj=None):
        extra = ("change_history",) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *extra)

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj)._default_manager.filter(pk=obj.pk).first()) if change else {}
        super().save_model(request, obj, form, change)
        changes = diff(before, snapshot(obj))
        if changes:
            action = AuditEntry.Action.CHANGED if change else AuditEntry.Action.ADDED
            AuditEntry.record(request.user, obj, action, changes=changes)

    def delete_model(self, request, obj):
        self._record_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record_deleted(request, obj)
        super().delete_queryset(request, queryset)

    @staticmethod
    def _record_deleted(request, obj):
        AuditEntry.record(request.user, obj, AuditEntry.Action.DELETED, changes=diff({}, snapshot(obj)))

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
