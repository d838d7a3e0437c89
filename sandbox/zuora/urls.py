from django.urls import path

from sandbox.zuora import checkout, control, query, views

urlpatterns = [
    path("oauth/token", views.oauth_token, name="sandbox-zuora-token"),
    path("v1/orders", views.orders_collection),
    path("v1/orders/<str:order_number>", views.order_resource),
    path("v1/orders/<str:order_number>/activate", views.order_activate),
    path("v1/orders/<str:order_number>/cancel", views.order_cancel),
    path("v1/accounts", views.accounts_collection),
    path("v1/accounts/<str:account_key>", views.account_resource),
    path("v1/catalog/products", views.catalog_products),
    path("object-query/accounts", query.accounts),
    path("object-query/contacts", query.contacts),
    path("v1/action/query", query.action_query),
    path("checkout/<str:order_number>", checkout.checkout, name="sandbox-zuora-checkout"),
    path("_control", control.control, name="sandbox-zuora-control"),
]
