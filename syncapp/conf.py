"""The one place the hub reads its settings — when used, never at import time."""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


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
    return SalesforceConfig(
        instance_url=settings.SALESFORCE_INSTANCE_URL,
        username=settings.SALESFORCE_USERNAME,
        password=settings.SALESFORCE_PASSWORD,
        security_token=settings.SALESFORCE_SECURITY_TOKEN,
        domain=settings.SALESFORCE_DOMAIN,
        consumer_key=settings.SALESFORCE_CONSUMER_KEY,
        consumer_secret=settings.SALESFORCE_CONSUMER_SECRET,
        api_version=settings.SALESFORCE_API_VERSION,
        sandbox=settings.HUB_SANDBOX,
        read_timeout=settings.SALESFORCE_READ_TIMEOUT,
        private_key_file=settings.SALESFORCE_PRIVATE_KEY_FILE,
        session_seconds=settings.SALESFORCE_SESSION_SECONDS,
    )


def salesforce_pause_seconds() -> float:
    """How long Salesforce work pauses after REQUEST_LIMIT_EXCEEDED before jobs probe again."""
    return settings.SALESFORCE_LIMIT_PAUSE_SECONDS


def salesforce_currency() -> str:
    """The org's currency for Orders that carry none (an org without multi-currency)."""
    return settings.SALESFORCE_CURRENCY


def salesforce_multi_currency() -> bool:
    """Whether the org has multi-currency on: Orders and PricebookEntries then carry a currency."""
    return settings.SALESFORCE_MULTI_CURRENCY


def billing_provider() -> str:
    return settings.BILLING_PROVIDER


def webhook_secret(provider: str) -> str:
    return getattr(settings, f"{provider.upper()}_WEBHOOK_SECRET", "")


def webhook_basic(provider: str) -> str:
    return getattr(settings, f"{provider.upper()}_WEBHOOK_BASIC", "")


def queue_stale_after() -> timedelta:
    """Health: how long without a worker running the sweeper before the queue counts as down."""
    return timedelta(seconds=settings.HUB_QUEUE_STALE_SECONDS)


def queue_startup_grace() -> timedelta:
    """Health: how long after a web process starts a missing heartbeat means "starting", not down."""
    return timedelta(seconds=settings.HUB_QUEUE_GRACE_SECONDS)


def checkout_match_wait() -> float:
    """Seconds a checkout waits for another checkout of the same organisation (its match key)
    before answering 503 with Retry-After: waiting longer would hold a web thread."""
    return settings.HUB_CHECKOUT_MATCH_WAIT
