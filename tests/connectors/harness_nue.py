"""The Nue harness for the billing connector conformance tests (see `harness.py`)."""
from __future__ import annotations

import requests

from syncapp.connectors.billing.nue import NueConnector
from tests.connectors.harness import BillingHarness


class NueHarness(BillingHarness):
    provider = "nue"
    capabilities = frozenset()  # an API key, no tokens to expire
    custom_field = "Channel__c"  # Nue's custom fields are API names ending in __c

    def __init__(self, hub_url: str):
        super().__init__(hub_url)
        self.control_url = f"{hub_url}/sandbox/nue/_control"

    def connector(self, recorder=None, timeout=None):
        if timeout is None:
            return NueConnector.from_settings(recorder=recorder)
        return NueConnector(f"{self.hub_url}/sandbox/nue", "sandbox", recorder=recorder,
                            timeout=timeout)

    def control(self, **switches) -> dict:
        if switches:
            response = requests.post(self.control_url, json=switches, timeout=5)
        else:
            response = requests.get(self.control_url, timeout=5)
        response.raise_for_status()
        return response.json()

    def fail_next(self, *failures: str) -> None:
        self.control(fail_next=list(failures), timeout_seconds=1.5)

    def calls(self, endpoint: str) -> int:
        """Calls counted by the emulator, keyed like "POST orders" or "GET orders/{id}"."""
        return self.control()["calls"].get(endpoint, 0)
