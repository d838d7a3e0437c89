"""The URLconf of an emulators-only server (`Hub(emulators="separate")`): the sandbox and nothing
of the hub, so the hub's own processes do none of the emulators' work."""
from django.urls import include, path

urlpatterns = [path("sandbox/", include("sandbox.urls"))]
