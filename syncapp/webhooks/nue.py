"""Nue: Standard Webhooks deliveries, or Basic auth for a workspace without signing."""
from syncapp.webhooks.base import WebhookView


class NueWebhookView(WebhookView):
    provider = "nue"
