from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from syncapp.api import health
from syncapp.api.checkout import CheckoutView
from syncapp.api.orders import OrderStateView
from syncapp.api.salesforce import ActivateOrderView, SyncOrderView

urlpatterns = [
    path("health", health.health, name="health"),
    path("checkout", CheckoutView.as_view(), name="checkout"),
    path("salesforce/orders/<str:sf_order_id>/sync", SyncOrderView.as_view(), name="salesforce-order-sync"),
    path("salesforce/orders/<str:sf_order_id>/activate", ActivateOrderView.as_view(),
         name="salesforce-order-activate"),
    path("orders/<str:billing_order_id>", OrderStateView.as_view(), name="order-state"),
    path("schema/", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
