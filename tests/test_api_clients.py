from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from syncapp.models import ApiClient

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_a_working_token_as_last_line():
    out = StringIO()
    call_command("create_api_client", "storefront", "--scope", "checkout", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]

    client = ApiClient.objects.authenticate(token)
    assert client is not None and client.name == "storefront"
    assert client.scopes == ["checkout"]
    # Only a hash is stored: the token itself appears nowhere in the row.
    assert token not in {client.token_hash, client.token_hint, client.name}


def test_default_scopes_are_all_and_duplicates_are_refused():
    out = StringIO()
    call_command("create_api_client", "ops", stdout=out)
    assert ApiClient.objects.get(name="ops").scopes == ["checkout", "read", "salesforce"]
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_api_client", "ops", stdout=StringIO())


def test_unknown_or_inactive_tokens_do_not_authenticate():
    client, token = ApiClient.issue("site", ["checkout"])
    assert ApiClient.objects.authenticate(token + "x") is None
    assert ApiClient.objects.authenticate("") is None
    client.is_active = False
    client.save()
    assert ApiClient.objects.authenticate(token) is None


def test_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="unknown scopes"):
        ApiClient.issue("x", ["checkout", "admin"])
