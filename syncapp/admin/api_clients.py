"""The systems that call the hub's API, to look at: never their token (only its hash is stored, and
that is not shown either). Clients are created and revoked with `manage.py create_api_client` and
`revoke_api_client`, which print and log what they did."""
from django.contrib import admin

from syncapp.admin.base import ReadOnlyAdmin
from syncapp.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdmin):
    list_display = ("name", "scopes", "is_active", "created_at", "last_used_at", "expires_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = list_display
    readonly_fields = fields
