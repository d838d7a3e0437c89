import pytest

from sandbox.webhooks.models import Switches
from tests.sandbox.webhooks.receiver import Receiver


@pytest.fixture
def receiver(hub_settings):
    """A receiver standing in for the hub: deliveries emitted now go to it."""
    rec = Receiver()
    hub_settings["public_url"] = rec.url
    yield rec
    rec.close()


@pytest.fixture
def manual_delivery(db):
    """Switch the background sender off so the test decides when `deliver_due()` runs."""
    switches = Switches.load()
    switches.auto_deliver = False
    switches.save()
    return switches
