"""Rotating a webhook secret without losing events: while the setting holds the new and the old
secret, deliveries signed with either are accepted (docs/deploy.md, "Rotating webhook secrets")."""
import base64
import json
import secrets

import pytest

from syncapp.models import WebhookEvent
from tests.webhooks.test_intake_security import order_event, signed_headers

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("provider", ["zuora", "nue"])]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def deliver(client, provider, secret, order_id):
    body = order_event(order_id=order_id)
    return client.post(f"/api/v1/webhooks/{provider}", data=body, content_type="application/json",
                       **signed_headers(secret, body))


def test_old_and_new_secret_both_verify_during_the_rotation(client, hub_settings, provider):
    old, new, stranger = new_secret(), new_secret(), new_secret()
    setting = f"{provider}_webhook_secret"
    hub_settings[setting] = old
    assert deliver(client, provider, old, "O-before").status_code == 202

    hub_settings[setting] = f"{new} {old}"  # step 1: the hub accepts both
    assert deliver(client, provider, old, "O-in-flight").status_code == 202  # sender not switched yet
    assert deliver(client, provider, new, "O-switched").status_code == 202  # sender switched
    forged = deliver(client, provider, stranger, "O-forged")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_signature")

    hub_settings[setting] = new  # step 3: the old secret is retired
    assert deliver(client, provider, new, "O-after").status_code == 202
    assert deliver(client, provider, old, "O-late").status_code == 401

    accepted = WebhookEvent.objects.filter(verified=True).order_by("id").values_list("order_id", flat=True)
    assert list(accepted) == ["O-before", "O-in-flight", "O-switched", "O-after"]


def test_secrets_may_be_separated_by_any_whitespace(client, hub_settings, provider):
    first, second = new_secret(), new_secret()
    hub_settings[f"{provider}_webhook_secret"] = f"  {first}\n\t{second} "
    assert deliver(client, provider, first, "O-1").status_code == 202
    assert deliver(client, provider, second, "O-2").status_code == 202


def test_no_secret_configured_refuses_every_signed_delivery(client, hub_settings, provider):
    hub_settings[f"{provider}_webhook_secret"] = ""
    response = deliver(client, provider, new_secret(), "O-1")
    assert response.status_code == 401
    assert json.loads(response.content)["error"]["message"] == f"No {provider} webhook secret is configured."
    assert WebhookEvent.objects.get().verified is False


def test_basic_credentials_rotate_the_same_way(client, hub_settings, provider):
    """Senders that cannot sign (a Zuora callout with Basic auth) rotate their password alike."""
    setting = f"{provider}_webhook_basic"

    def deliver_basic(credentials: str, event_id: str):
        body = json.dumps({"id": event_id, "type": "order.updated", "data": {"order_id": "O-9"}})
        auth = "Basic " + base64.b64encode(credentials.encode()).decode()
        return client.post(f"/api/v1/webhooks/{provider}", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=auth)

    hub_settings[setting] = "hub:new-password hub:old-password"
    assert deliver_basic("hub:old-password", "evt-1").status_code == 202
    assert deliver_basic("hub:new-password", "evt-2").status_code == 202
    assert deliver_basic("hub:other", "evt-3").status_code == 401
    hub_settings[setting] = "hub:new-password"
    assert deliver_basic("hub:old-password", "evt-4").status_code == 401
