from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from syncapp.api import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("syncapp.api.urls")),
    path("metrics", metrics.export, name="metrics"),
]

if settings.HUB_SANDBOX:
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]

# Under /api/, a path no endpoint matches and an unexpected crash still answer JSON (CONTRACT §2).
handler404 = "syncapp.api.errors.not_found"
handler500 = "syncapp.api.errors.server_error"
