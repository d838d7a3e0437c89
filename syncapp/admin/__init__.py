"""The ops console: Django's admin, built around failure.

- the front page (`index` below): what is failing now, and syncs per hour and per day, from
  `syncapp.console.dashboard`;
- `jobs`: sync jobs, and failed syncs as their own list, with retry and resolve;
- `webhooks`: the read-only webhook log, with replay;
- `mappings`: id and field mappings, checked against Salesforce and audited;
- `deletion`: "delete on both sides", behind a confirmation page;
- `settings`: the `SyncSettings` switches; `history`: the audit log; `logs`: outside calls, checkouts;
- `reconcile`: the reports of reconcile runs, linked from the dashboard;
- `roles`: the Ops, Support and Viewer groups; `task_queue`: django-q2's pages, permission-checked;
- `api_clients`: the systems holding API tokens (never the tokens).
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.functional import lazy

from syncapp import conf
from syncapp.admin import api_clients, history, jobs, logs, mappings, reconcile, settings, task_queue, webhooks  # noqa: F401 (registers)
from syncapp.console import dashboard

admin.site.site_header = "Order Sync Hub"
admin.site.site_title = "Order Sync Hub console"
admin.site.index_title = "Ops console"
admin.site.index_template = "admin/console/dashboard.html"
# The lists need the width (their key columns fit 1280 px without scrolling sideways); the
# dashboard lists every model, and the breadcrumbs lead back to it.
admin.site.enable_nav_sidebar = False


def _view_site() -> str:
    """Where "View site" leads: the sandbox storefront (try a checkout), else the API's docs."""
    return "/sandbox/store/" if conf.sandbox() else reverse("api-docs")


admin.site.site_url = lazy(_view_site, str)()  # read when a page is shown, not at import


_django_index = admin.site.index


def index(request, extra_context=None):
    """The front page: Django's index (the models' list, in the sidebar) with the dashboard's
    figures, for staff who may see the hub's records (None for others: the template shows none)."""
    board = dashboard.build() if request.user.has_module_perms("syncapp") else None
    return _django_index(request, {"board": board, **(extra_context or {})})


admin.site.index = index  # type: ignore[method-assign]  # the default site's own view, with the figures; its URL is made from it
