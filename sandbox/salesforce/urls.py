from django.urls import path, re_path

from . import views
from .record_page import record_view

urlpatterns = [
    path("", views.root, name="sandbox-salesforce-root"),
    path("lightning/r/<str:sobject>/<str:record_id>/view", record_view, name="sandbox-salesforce-record"),
    path("_control", views.control, name="sandbox-salesforce-control"),
    path("services/oauth2/token", views.token, name="sandbox-salesforce-token"),
    re_path(r"^services/Soap/u/(?P<version>\d+\.\d)(?:/(?P<org_id>\w+))?/?$", views.soap_login),
    path("services/data/", views.versions),
    path("services/data", views.versions),
    re_path(r"^services/data/v(?P<version>\d+\.\d)/?(?P<rest>.*)$", views.data),
]
