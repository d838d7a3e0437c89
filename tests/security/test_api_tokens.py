"""API tokens: they can expire, be revoked at once, and say when they were last used; the console
lists the clients without their secret."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from syncapp.models import ApiClient
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
ORDER_URL = "/api/v1/orders/O-NONE"  # scope read; 404 once authenticated


def create(*args) -> str:
    out = StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def get(client, token):
    return client.get(ORDER_URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_created_to_expire_stops_working_when_it_expires(client):
    token = create("partner", "--scope", "read", "--expires-in", "90d")
    partner = ApiClient.objects.get(name="partner")
    assert timedelta(days=89, hours=23) < partner.expires_at - timezone.now() <= timedelta(days=90)
    assert get(client, token).status_code == 404
    ApiClient.objects.filter(pk=partner.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = get(client, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_a_token_without_expiry_never_expires(client):
    token = create("site", "--scope", "read")
    assert ApiClient.objects.get(name="site").expires_at is None
    assert get(client, token).status_code == 404


@pytest.mark.parametrize("bad", ["90", "0d", "d", "-3d", "1y"])
def test_a_bad_lifetime_is_refused(bad):
    with pytest.raises(CommandError, match="expires-in"):
        create("x", "--expires-in", bad)
    assert not ApiClient.objects.exists()


def test_revoking_a_client_refuses_its_next_request(client):
    token = create("storefront", "--scope", "read")
    assert get(client, token).status_code == 404
    out = StringIO()
    call_command("revoke_api_client", "storefront", stdout=out)
    assert "Revoked API client 'storefront'" in out.getvalue()
    assert get(client, token).status_code == 401


def test_revoking_an_unknown_client_fails_loudly():
    with pytest.raises(CommandError, match="No API client named 'nobody'"):
        call_command("revoke_api_client", "nobody", stdout=StringIO())


def test_last_used_is_written_at_most_once_a_minute(client):
    token = create("reader", "--scope", "read")
    assert ApiClient.objects.get(name="reader").last_used_at is None
    get(client, token)
    first = ApiClient.objects.get(name="reader").last_used_at
    assert first is not None and timezone.now() - first < timedelta(minutes=1)
    get(client, token)
    assert ApiClient.objects.get(name="reader").last_used_at == first  # within the minute: not written
    ApiClient.objects.filter(name="reader").update(last_used_at=first - timedelta(minutes=2))
    get(client, token)
    assert ApiClient.objects.get(name="reader").last_used_at > first


def test_the_console_lists_clients_without_their_secret(client):
    token = create("storefront", "--scope", "checkout", "--expires-in", "30d")
    stored = ApiClient.objects.get(name="storefront")
    get(client, token)
    root = StaffFactory(role="superuser")
    client.force_login(root)
    page = client.get(reverse("admin:syncapp_apiclient_changelist")).content.decode()
    assert "storefront" in page and "checkout" in page
    detail = client.get(reverse("admin:syncapp_apiclient_change", args=[stored.pk])).content.decode()
    for secret in (token, stored.token_hash, stored.token_hint):
        assert secret not in page and secret not in detail
    for column in ("Created at", "Last used at", "Expires at"):
        assert column in page
