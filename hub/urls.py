from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from syncapp.api import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("syncapp.api.urls")),
    path("api/v1/webhooks/", include("syncapp.webhooks.urls")),  # plain Django views, beside the API
    path("metrics", metrics.export, name="metrics"),
]

if settings.HUB["sandbox"]:
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]

# Under /api/, an unreadable or over-size body, a path no endpoint matches and an unexpected crash
# still answer JSON: API clients never get an HTML page.
handler400 = "syncapp.api.errors.bad_request"
handler404 = "syncapp.api.errors.not_found"
handler500 = "syncapp.api.errors.server_error"
