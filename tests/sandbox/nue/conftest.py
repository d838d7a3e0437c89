import pytest

from sandbox.webhooks.models import Switches
from tests.sandbox.nue.client import NueApi


@pytest.fixture
def nue(hub_url):
    return NueApi(f"{hub_url}/sandbox/nue")


@pytest.fixture(autouse=True)
def held_webhooks(transactional_db):
    """Keep emitted webhooks queued (no background sending) so tests can read them."""
    Switches.objects.update_or_create(pk=1, defaults={"auto_deliver": False})
