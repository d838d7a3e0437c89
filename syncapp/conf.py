"""The one place the hub reads its settings — when used, never at import time.

The hub's own settings are the dict `HUB` of hub/settings.py (its keys are the environment
variables' names in lower case, without HUB_); Django's own settings (Q_CLUSTER, DATA_UPLOAD_MAX_
MEMORY_SIZE) the hub depends on are read here too, so nothing else reads `django.conf.settings`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings


def _hub() -> dict[str, Any]:
    return settings.HUB


@dataclass(frozen=True)
class SalesforceConfig:
    instance_url: str
    username: str
    password: str
    security_token: str
    domain: str
    consumer_key: str
    consumer_secret: str
    api_version: str
    sandbox: bool
    read_timeout: float = 30.0
    private_key_file: str = ""
    session_seconds: float = 900.0  # how long an OAuth session is reused (Salesforce gives no expiry)

    @property
    def flow(self) -> str:
        """The login flow the configuration selects: `jwt` (recommended), `client_credentials`,
        `oauth_password` or `soap` (legacy), or "" when nothing can log in."""
        if self.consumer_key and self.private_key_file and self.username:
            return "jwt"
        if self.consumer_key and self.consumer_secret:
            return "oauth_password" if self.username else "client_credentials"
        if self.username and self.password:
            return "soap"
        return ""


def salesforce() -> SalesforceConfig:
    hub = _hub()
    return SalesforceConfig(
        instance_url=hub["salesforce_instance_url"],
        username=hub["salesforce_username"],
        password=hub["salesforce_password"],
        security_token=hub["salesforce_security_token"],
        domain=hub["salesforce_domain"],
        consumer_key=hub["salesforce_consumer_key"],
        consumer_secret=hub["salesforce_consumer_secret"],
        api_version=hub["salesforce_api_version"],
        sandbox=hub["sandbox"],
        read_timeout=hub["salesforce_read_timeout"],
        private_key_file=hub["salesforce_private_key_file"],
        session_seconds=hub["salesforce_session_seconds"],
    )


def salesforce_pause_seconds() -> float:
    """How long Salesforce work pauses after REQUEST_LIMIT_EXCEEDED before jobs probe again."""
    return float(_hub()["salesforce_limit_pause_seconds"])


def salesforce_currency() -> str:
    """The org's currency for Orders that carry none (an org without multi-currency)."""
    return str(_hub()["salesforce_currency"])


def salesforce_multi_currency() -> bool:
    """Whether the org has multi-currency on: Orders and PricebookEntries then carry a currency."""
    return bool(_hub()["salesforce_multi_currency"])


# --- Billing ---------------------------------------------------------------------------------------
BILLING_PROVIDERS = ("zuora", "nue")


@dataclass(frozen=True)
class ZuoraConfig:
    base_url: str
    client_id: str
    client_secret: str
    flexible_billing: bool  # the tenant has Flexible Billing Attributes (ZUORA_FLEXIBLE_BILLING)


@dataclass(frozen=True)
class NueConfig:
    base_url: str
    api_key: str


def billing_provider() -> str:
    """`zuora` or `nue` (BILLING_PROVIDER; a system check refuses anything else)."""
    return str(_hub()["billing_provider"])


def zuora() -> ZuoraConfig:
    hub = _hub()
    return ZuoraConfig(base_url=hub["zuora_base_url"], client_id=hub["zuora_client_id"],
                       client_secret=hub["zuora_client_secret"], flexible_billing=hub["zuora_flexible_billing"])


def nue() -> NueConfig:
    hub = _hub()
    return NueConfig(base_url=hub["nue_base_url"], api_key=hub["nue_api_key"])


def billing_base_url(provider: str) -> str:
    """The API address of billing provider `provider`, or "" for an unknown one."""
    return str(_hub().get(f"{provider}_base_url", "")) if provider in BILLING_PROVIDERS else ""


def billing_order_url(provider: str) -> str:
    """ZUORA_ORDER_URL / NUE_ORDER_URL: the billing app's page of an order, `{order}` standing for
    its number or id; "" when not configured."""
    return str(_hub().get(f"{provider}_order_url", "")) if provider in BILLING_PROVIDERS else ""


def billing_read_timeout() -> float:
    """Seconds to wait for a billing answer; past it the outcome is unknown and the call is retried."""
    return float(_hub()["billing_read_timeout"])


def webhook_secret(provider: str) -> str:
    """The Standard Webhooks secret `provider`'s webhooks are signed with; "" refuses signatures."""
    return str(_hub().get(f"{provider}_webhook_secret", "")) if provider in BILLING_PROVIDERS else ""


def webhook_basic(provider: str) -> str:
    """`user:password` of HTTP Basic authentication on `provider`'s webhooks, or ""."""
    return str(_hub().get(f"{provider}_webhook_basic", "")) if provider in BILLING_PROVIDERS else ""



# --- This hub --------------------------------------------------------------------------------------
def data_dir() -> Path:
    """HUB_DATA_DIR: the SQLite database, generated secrets, the logs and the admin password."""
    return Path(_hub()["data_dir"])


def metrics_dir() -> Path:
    """Where every process of this machine writes its metrics samples (HUB_METRICS_DIR)."""
    return Path(_hub()["metrics_dir"])


def public_url() -> str:
    """The hub's address as other systems reach it (HUB_PUBLIC_URL), without a trailing slash."""
    return str(_hub()["public_url"]).rstrip("/")


def bind_address() -> str:
    """`host:port` the web server listens on (HUB_BIND, HUB_PORT)."""
    hub = _hub()
    return f"{hub['bind']}:{hub['port']}"


def port() -> int:
    return int(_hub()["port"])


def web_workers() -> int:
    """`make run`'s web server processes (HUB_WEB_WORKERS)."""
    return int(_hub()["web_workers"])


def web_threads() -> int:
    """Threads in each web server process (HUB_WEB_THREADS)."""
    return int(_hub()["web_threads"])


def queue_stale_after() -> timedelta:
    """Health: how long without a worker running the sweeper before the queue counts as down."""
    return timedelta(seconds=_hub()["queue_stale_seconds"])


def queue_startup_grace() -> timedelta:
    """Health: how long after a web process starts a missing heartbeat means "starting", not down."""
    return timedelta(seconds=_hub()["queue_grace_seconds"])


def checkout_match_wait() -> float:
    """Seconds a checkout waits for another checkout of the same organisation (its match key)
    before answering 503 with Retry-After: waiting longer would hold a web thread."""
    return float(_hub()["checkout_match_wait"])


def upload_limit_bytes() -> int:
    """The largest request body Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


@dataclass(frozen=True)
class TaskQueueConfig:
    """What the hub depends on of django-q2's Q_CLUSTER."""
    timeout: float  # seconds a task may run
    retry: float  # seconds before the broker offers an unacknowledged task again
    max_attempts: int
    on_database: bool  # the broker is the database (ORM): enqueueing is part of the transaction


def task_queue() -> TaskQueueConfig:
    q = settings.Q_CLUSTER
    return TaskQueueConfig(timeout=q.get("timeout", 0), retry=q.get("retry", 0),
                           max_attempts=q.get("max_attempts", 0), on_database="orm" in q)


# --- Sandbox ---------------------------------------------------------------------------------------
def sandbox() -> bool:
    """Whether the hub serves the vendors' emulators and its connectors talk to them (HUB_SANDBOX)."""
    return bool(_hub()["sandbox"])


def sandbox_url() -> str:
    """Where the hub serves the emulators: HUB_PUBLIC_URL/sandbox."""
    return str(_hub()["sandbox_url"])


def sandbox_storefront_token() -> str:
    """The API token the sandbox storefront checks out with (generated at start-up)."""
    return str(_hub()["sandbox_storefront_token"])

