"""`Vendors`: the outside systems one job, request or command talks to, built once at its entry
point and handed down to the flows, which never build a connector themselves.

    vendors = Vendors.from_settings(recorder=SyncAttempt.recorder(job=job), provider=job.provider)
    sync_order(job.provider, job.subject, vendors)

Each connector is built from settings the first time a flow uses it, so a flow that needs only
Salesforce works while billing is not configured (and the `doctor` checks each side on its own),
and a bundle nobody uses costs nothing. Connectors hold a session and are not thread-safe: a
thread of its own takes `fresh()`.
"""
from __future__ import annotations

from syncapp import conf
from syncapp.connectors.billing import billing_connector
from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.http import Recorder, Timeout
from syncapp.connectors.salesforce import SalesforceConnector


class Vendors:
    """Salesforce and billing — the configured billing provider's connector, or `provider`'s —
    each call reported to `recorder`."""

    def __init__(self, *, salesforce: SalesforceConnector | None = None, billing: BillingConnector | None = None,
                 recorder: Recorder | None = None, provider: str | None = None, timeout: Timeout | None = None):
        self._salesforce = salesforce
        self._billing: dict[str, BillingConnector] = {}
        self._provider = provider
        if billing is not None:
            self._provider = provider or billing.provider
            self._billing[self._provider] = billing
        self._recorder = recorder
        self._timeout = timeout

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None, *, provider: str | None = None,
                      timeout: Timeout | None = None) -> Vendors:
        """The configured vendors (`syncapp.conf`); billing is `provider`'s when given, else
        `BILLING_PROVIDER`'s. `timeout` is (connect, read) seconds for every call."""
        return cls(recorder=recorder, provider=provider, timeout=timeout)

    @property
    def salesforce(self) -> SalesforceConnector:
        if self._salesforce is None:
            options = {"timeout": self._timeout} if self._timeout is not None else {}
            self._salesforce = SalesforceConnector.from_settings(recorder=self._recorder, **options)
        return self._salesforce

    @property
    def provider(self) -> str:
        """The billing provider `billing` talks to."""
        return self._provider or conf.billing_provider()

    @property
    def billing(self) -> BillingConnector:
        return self.billing_for(self.provider)

    def billing_for(self, provider: str) -> BillingConnector:
        """The connector of this billing provider (an order linked under another provider than the
        configured one is still read and deleted there), one per provider."""
        if provider not in self._billing:
            options = {"timeout": self._timeout} if self._timeout is not None else {}
            self._billing[provider] = billing_connector(recorder=self._recorder, provider=provider, **options)
        return self._billing[provider]

    @property
    def recorder(self) -> Recorder | None:
        return self._recorder

    @recorder.setter
    def recorder(self, recorder: Recorder | None) -> None:
        """Report every later call, of the connectors built and those to come, to `recorder`."""
        self._recorder = recorder
        for connector in (self._salesforce, *self._billing.values()):
            if connector is not None:
                connector.recorder = recorder

    def fresh(self) -> Vendors:
        """A bundle of new connectors to the same systems, without a recorder: for another thread."""
        return Vendors(provider=self._provider, timeout=self._timeout)
