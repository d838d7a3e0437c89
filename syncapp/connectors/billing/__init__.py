"""Billing connectors: one module per vendor behind `BillingConnector` (docs/architecture.md)."""
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from syncapp import conf
from syncapp.connectors.http import CONNECT_TIMEOUT

CONNECTORS = {
    "zuora": "syncapp.connectors.billing.zuora.ZuoraConnector",
    "nue": "syncapp.connectors.billing.nue.NueConnector",
}


def billing_connector(recorder=None, provider: str | None = None, **options):
    """The configured vendor's connector (`BILLING_PROVIDER`), built from settings; `options`
    go to its `from_settings` (e.g. `timeout`, else `BILLING_READ_TIMEOUT` for answers)."""
    provider = provider or conf.billing_provider()
    try:
        path = CONNECTORS[provider]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown BILLING_PROVIDER {provider!r}") from None
    options.setdefault("timeout", (CONNECT_TIMEOUT, conf.billing_read_timeout()))
    return import_string(path).from_settings(recorder=recorder, **options)
