from django.urls import path

from sandbox.storefront import views

urlpatterns = [path("", views.store, name="sandbox-store")]
