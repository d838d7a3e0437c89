"""Per-vendor test harnesses for the billing connector conformance tests.

A harness builds its vendor's connector against the live emulator and drives the emulator's
control endpoint (injected failures, credential expiry). The conformance tests only talk to the
`BillingConnector` and to this small interface, so the same test bodies run for every vendor.
To add a vendor: subclass `BillingHarness` in `tests/connectors/harness_<vendor>.py` and list it
in `PROVIDERS` in `tests/connectors/conftest.py`.
"""
from __future__ import annotations

import requests

from syncapp.connectors.billing.base import BillingConnector


class BillingHarness:
    provider = ""
    # What the vendor supports beyond the base contract (tests for the rest are skipped).
    capabilities: frozenset[str] = frozenset()
    custom_field = "Channel"  # a custom field name the vendor accepts on orders

    def __init__(self, hub_url: str):
        self.hub_url = hub_url
        # Deliveries are tested in tests/sandbox/webhooks; here they would only be noise.
        requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False},
                      timeout=5).raise_for_status()

    def connector(self, recorder=None, timeout=None) -> BillingConnector:
        raise NotImplementedError

    def fail_next(self, *failures: str) -> None:
        """Make the next calls fail: "500", "429" (HTTP status) or "timeout" (the call is
        carried out but its answer comes too late for a connector built with a short timeout)."""
        raise NotImplementedError

    def expire_credentials(self) -> None:
        """Invalidate every issued token (capability "token_expiry")."""
        raise NotImplementedError


class ZuoraHarness(BillingHarness):
    provider = "zuora"
    capabilities = frozenset({"token_expiry"})
    custom_field = "Channel__c"

    def __init__(self, hub_url: str):
        super().__init__(hub_url)
        self.control_url = f"{hub_url}/sandbox/zuora/_control"
        # A tenant with Flexible Billing Attributes, where an order carries its own payment term
        # as the contract expects; test_zuora_connector.py covers tenants without.
        self.control(flexible_billing=True)

    def connector(self, recorder=None, timeout=None):
        from syncapp.connectors.billing.zuora import ZuoraConnector

        return ZuoraConnector(f"{self.hub_url}/sandbox/zuora", "sandbox", "sandbox",
                              recorder=recorder, flexible_billing=True,
                              **({} if timeout is None else {"timeout": timeout}))

    def control(self, **switches) -> dict:
        if switches:
            response = requests.post(self.control_url, json=switches, timeout=5)
        else:
            response = requests.get(self.control_url, timeout=5)
        response.raise_for_status()
        return response.json()

    def fail_next(self, *failures: str) -> None:
        self.control(fail_next=list(failures), timeout_seconds=1.5)

    def expire_credentials(self) -> None:
        self.control(expire_tokens=True)

    def calls(self, endpoint: str) -> int:
        return self.control()["call_counts"].get(endpoint, 0)
