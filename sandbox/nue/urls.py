from django.urls import path

from sandbox.nue import catalog, customers, orders
from sandbox.nue.checkout import checkout_view
from sandbox.nue.control import control_view
from sandbox.nue.http import api_view, no_route

app_name = "sandbox_nue"

urlpatterns = [
    path("_control", control_view, name="control"),
    path("checkout/<str:order_id>", checkout_view, name="checkout"),
    path("catalog/products", api_view("catalog/products", GET=catalog.list_products)),
    path("customers", api_view("customers", GET=customers.list_customers,
                               POST=customers.create_customers)),
    path("customers/<str:customer_id>", api_view("customers/{id}", GET=customers.get_customer,
                                                 PATCH=customers.update_customer)),
    path("customers/<str:customer_id>/contacts",
         api_view("customers/{id}/contacts", GET=customers.list_contacts,
                  POST=customers.create_contacts)),
    path("orders", api_view("orders", GET=orders.list_orders, POST=orders.create_order)),
    path("orders/<str:order_id>", api_view("orders/{id}", GET=orders.get_order,
                                           POST=orders.activate_order, PATCH=orders.update_order,
                                           DELETE=orders.delete_order)),
    path("orders/<str:order_id>/activate", api_view("orders/{id}/activate",
                                                    POST=orders.activate_order)),
    path("orders/<str:order_id>/cancel", api_view("orders/{id}/cancel", POST=orders.cancel_order)),
    path("<path:unknown>", no_route),
]
