"""Zuora: Standard Webhooks deliveries, or a callout notification with Basic auth whose template
sends the hub's body shape (docs/vendor-assumptions.md, Zuora, "Callouts")."""
from syncapp import conf
from syncapp.webhooks.base import WebhookView


class ZuoraWebhookView(WebhookView):
    provider = "zuora"

    def post(self, request):
        response = super().post(request)
        # A Zuora callout set to Basic auth without "preemptive" sends its credentials only after
        # a 401 that carries a Basic challenge (RFC 7617).
        if response.status_code == 401 and conf.webhook_basic(self.provider):
            response["WWW-Authenticate"] = 'Basic realm="order-sync-hub", charset="UTF-8"'
        return response
