"""The `billing` fixture: every billing connector whose module is importable, against its live
emulator, so conformance tests run once per vendor."""
import importlib

import pytest
from django.utils.module_loading import import_string

# provider -> harness class; a provider is tested only when its connector module exists.
PROVIDERS = {
    "zuora": "tests.connectors.harness.ZuoraHarness",
    "nue": "tests.connectors.harness_nue.NueHarness",
}


def available_providers() -> list[str]:
    found = []
    for provider, harness in PROVIDERS.items():
        try:
            importlib.import_module(f"syncapp.connectors.billing.{provider}")
            import_string(harness)
        except ImportError:
            continue
        found.append(provider)
    return found


@pytest.fixture(params=available_providers())
def billing_harness(request, hub_url):
    return import_string(PROVIDERS[request.param])(hub_url)


@pytest.fixture
def billing(billing_harness):
    """A connector for one vendor, built from settings, pointed at the live emulator."""
    return billing_harness.connector()
