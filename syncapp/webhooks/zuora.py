"""Zuora: Standard Webhooks deliveries, or a callout notification with Basic auth whose template
sends the hub's body shape (README, "Webhooks from Zuora")."""
from syncapp.webhooks.base import WebhookView


class ZuoraWebhookView(WebhookView):
    provider = "zuora"
