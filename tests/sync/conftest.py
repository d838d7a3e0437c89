"""The connectors the service tests drive, pointed at the live sandbox (`hub_url`) and the
provider the test's own `provider` fixture picked."""
import pytest

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector


@pytest.fixture
def billing():
    return billing_connector()


@pytest.fixture
def sf():
    return SalesforceConnector.from_settings()
