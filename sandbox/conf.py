"""What the emulators read of the hub's settings (`HUB` in hub/settings.py): where the hub that
serves them is, and the secrets and certificate it shares with them. The sandbox never imports
`syncapp`, so it keeps this small reader of its own."""
from pathlib import Path

from django.conf import settings


def hub_url() -> str:
    """The hub's address as the emulators reach it (HUB_PUBLIC_URL), without a trailing slash."""
    return str(settings.HUB["public_url"]).rstrip("/")


def storefront_token() -> str:
    """The API token the storefront checks out with (generated at the hub's start-up)."""
    return str(settings.HUB["sandbox_storefront_token"])


def webhook_secret(provider: str) -> str:
    """The secret the emulator of `provider` signs its webhooks with: the one the hub verifies."""
    return str(settings.HUB[f"{provider}_webhook_secret"])


def salesforce_certificate() -> Path:
    """The certificate the emulated connected app trusts for JWT bearer logins."""
    return Path(settings.HUB["sandbox_salesforce_certificate"])
