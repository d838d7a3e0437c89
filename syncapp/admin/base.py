"""Shared pieces of the console's model admins."""
from django.contrib import admin
from django.utils.html import format_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and records nobody edits in the console: they can be looked at and acted on (through
    actions with their own permissions), never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def has_perm(codename: str):
    """A `has_<name>_permission` method for an action's `allowed_permissions`: the user must hold
    `syncapp.<codename>` (custom permissions declared in the models' Meta)."""

    def check(self, request, obj=None):
        return request.user.has_perm(f"syncapp.{codename}")

    check.__name__ = f"has_{codename}_permission"
    return check


def excerpt(text: str):
    """A request, response or error text as a scrollable block (escaped)."""
    return format_html('<pre class="console-excerpt">{}</pre>', text or "—")
