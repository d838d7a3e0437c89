"""The webhook log: every inbound delivery as it was stored, read-only, and "replay"."""
import json

from django.contrib import admin, messages
from django.utils.html import format_html

from syncapp.admin.base import ReadOnlyAdmin, excerpt, has_perm
from syncapp.models import WebhookEvent
from syncapp.sync.webhook_replay import replay


@admin.action(description="Replay (queue the order's sync again)", permissions=["replay"])
def replay_events(modeladmin, request, queryset):
    queued, skipped = replay(queryset, by=request.user)
    level = messages.SUCCESS if queued else messages.WARNING
    modeladmin.message_user(request, f"Queued the sync of {queued} order(s); skipped {skipped} event(s) that were "
                                     "not verified or not about an order.", level)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "event_type", "order_id", "verified", "status", "short_error")
    list_filter = ("provider", "event_type", "verified", "status")
    search_fields = ("event_id", "order_id", "account_id")
    date_hierarchy = "received_at"
    actions = [replay_events]
    fields = ("provider", "event_id", "event_type", "order_id", "account_id", "received_at", "remote_addr",
              "verified", "status", "error", "job", "headers_json", "body_json")
    readonly_fields = fields
    has_replay_permission = has_perm("replay_webhookevent")

    @admin.display(description="error")
    def short_error(self, event):
        return event.error[:100]

    @admin.display(description="headers (secrets redacted)")
    def headers_json(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.headers, indent=2, sort_keys=True))

    @admin.display(description="body")
    def body_json(self, event):
        try:
            text = json.dumps(json.loads(event.body), indent=2)
        except ValueError:
            text = event.body
        return excerpt(text)
