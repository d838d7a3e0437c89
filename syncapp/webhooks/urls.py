"""One route per billing provider, `…/webhooks/<provider>`, named `webhook-<provider>` (the API
schema finds them by that name)."""
from django.urls import path

from syncapp.webhooks.nue import NueWebhookView
from syncapp.webhooks.zuora import ZuoraWebhookView

urlpatterns = [path(view.provider, view.as_view(), name=f"webhook-{view.provider}")
               for view in (ZuoraWebhookView, NueWebhookView)]
