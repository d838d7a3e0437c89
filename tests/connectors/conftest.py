"""The `billing` fixture: every billing connector against its live emulator, so conformance tests
run once per vendor. A connector or harness that fails to import fails that vendor's tests: a
vendor silently left out would pass for one that was tested."""
import importlib

import pytest
from django.utils.module_loading import import_string

# provider -> harness class
PROVIDERS = {
    "zuora": "tests.connectors.harness.ZuoraHarness",
    "nue": "tests.connectors.harness_nue.NueHarness",
}


@pytest.fixture(params=list(PROVIDERS))
def billing_harness(request, hub_url):
    importlib.import_module(f"syncapp.connectors.billing.{request.param}")
    return import_string(PROVIDERS[request.param])(hub_url)


@pytest.fixture
def billing(billing_harness):
    """A connector for one vendor, built from settings, pointed at the live emulator."""
    return billing_harness.connector()
