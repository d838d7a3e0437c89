from django.urls import path

from syncapp.webhooks.nue import NueWebhookView
from syncapp.webhooks.zuora import ZuoraWebhookView

urlpatterns = [
    path("zuora", ZuoraWebhookView.as_view(), name="webhook-zuora"),
    path("nue", NueWebhookView.as_view(), name="webhook-nue"),
]
