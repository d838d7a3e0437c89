from django.urls import path

from syncapp.api import health

urlpatterns = [
    path("health", health.health, name="health"),
]
