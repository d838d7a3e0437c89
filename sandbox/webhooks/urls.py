from django.urls import path

from sandbox.webhooks import views

urlpatterns = [
    path("_control", views.control, name="sandbox-webhooks-control"),
]
