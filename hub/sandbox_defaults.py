"""The sandbox's defaults, in one place: with HUB_SANDBOX on, the connectors talk over HTTP to the
vendors' emulators the hub serves itself (as to the real vendors), with the emulators' demo
credentials. Whatever the environment sets wins over these.

`overlay` only computes (hub/settings.py applies it at import); `prepare` makes what the sandbox
needs on disk, at start-up (hub/startup.py): the key pair of its Salesforce connected app and the
storefront's API token.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.keypair import data_keypair
from hub.secrets import data_secret

# The sandbox Salesforce connected app ("sandbox") trusts the certificate of this key pair, which
# is generated into HUB_DATA_DIR: the hub logs in with the recommended JWT bearer flow.
KEYPAIR = "salesforce_jwt"
STOREFRONT_TOKEN = "SANDBOX_STOREFRONT_TOKEN"


def overlay(hub: dict[str, Any]) -> dict[str, Any]:
    """`hub` (the HUB settings) with every vendor setting the environment left empty pointed at the
    emulators."""
    sandbox_url = hub["sandbox_url"]
    data_dir: Path = hub["data_dir"]
    defaults: dict[str, Any] = {
        "salesforce_instance_url": f"{sandbox_url}/salesforce",
        "salesforce_username": "hub@sandbox.example",
        "salesforce_password": "sandbox",
        "zuora_base_url": f"{sandbox_url}/zuora",
        "zuora_client_id": "sandbox",
        "zuora_client_secret": "sandbox",
        "nue_base_url": f"{sandbox_url}/nue",
        "nue_api_key": "sandbox",
    }
    merged = {**hub, **{name: value for name, value in defaults.items() if not hub[name]}}
    merged["sandbox_salesforce_key_file"] = data_dir / f"{KEYPAIR}.key"
    merged["sandbox_salesforce_certificate"] = data_dir / f"{KEYPAIR}.crt"
    if not hub["salesforce_consumer_key"]:
        merged["salesforce_consumer_key"] = "sandbox"
        merged["salesforce_private_key_file"] = str(merged["sandbox_salesforce_key_file"])
    return merged


def prepare(hub: dict[str, Any]) -> dict[str, Any]:
    """Make the connected app's key pair (when missing) and return `hub` with the storefront's
    token: given in the environment, or generated once into HUB_DATA_DIR/secrets.json."""
    data_dir: Path = hub["data_dir"]
    data_keypair(data_dir, KEYPAIR)
    return {**hub, "sandbox_storefront_token": hub["sandbox_storefront_token"]
            or data_secret(data_dir, STOREFRONT_TOKEN)}
