"""Billing connectors: one package per vendor behind `BillingConnector` (docs/architecture.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from syncapp import conf
from syncapp.connectors.http import CONNECT_TIMEOUT, Recorder, Timeout

if TYPE_CHECKING:
    from syncapp.connectors.billing.base import BillingConnector

CONNECTORS = {
    "zuora": "syncapp.connectors.billing.zuora.ZuoraConnector",
    "nue": "syncapp.connectors.billing.nue.NueConnector",
}


def billing_connector(recorder: Recorder | None = None, provider: str | None = None,
                      **options: Timeout) -> BillingConnector:
    """The configured vendor's connector (`BILLING_PROVIDER`), built from settings; `options`
    go to its `from_settings` (e.g. `timeout`, else `BILLING_READ_TIMEOUT` for answers)."""
    provider = provider or conf.billing_provider()
    try:
        path = CONNECTORS[provider]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown BILLING_PROVIDER {provider!r}") from None
    options.setdefault("timeout", (CONNECT_TIMEOUT, conf.billing_read_timeout()))
    return import_string(path).from_settings(recorder=recorder, **options)
