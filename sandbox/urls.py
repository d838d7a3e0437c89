from django.urls import include, path

urlpatterns = [
    path("salesforce/", include("sandbox.salesforce.urls")),
    path("zuora/", include("sandbox.zuora.urls")),
    path("nue/", include("sandbox.nue.urls")),
    path("webhooks/", include("sandbox.webhooks.urls")),
    path("store/", include("sandbox.storefront.urls")),
]
