"""Test data made in bulk in the Salesforce emulator. The hub never creates records by the hundred,
so its connector has no call for it; the tests make it here, through the connector's session."""
from syncapp.connectors.salesforce import SalesforceConnector


def create_records(sf: SalesforceConnector, records: list[dict]) -> list[str]:
    """Create up to 200 records, each with `"attributes": {"type": sObject}`, in one sObject
    Collections call (all or none); their ids, in order."""
    return [r["id"] for r in sf._collection("POST", "collection create", records, all_or_none=True)]
