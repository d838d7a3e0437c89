from django.urls import include, path

from syncapp.api import health
from syncapp.api.checkout import CheckoutView

urlpatterns = [
    path("health", health.health, name="health"),
    path("checkout", CheckoutView.as_view(), name="checkout"),
    path("webhooks/", include("syncapp.webhooks.urls")),
]
