"""The Salesforce metadata customers deploy (salesforce/, DX source format) against what the hub
writes and reads, the documented custom fields and the Salesforce emulator's schema.

A field the hub writes but the metadata does not ship fails every sync in a real org with
INVALID_FIELD; the emulator would not notice, because it has the fields built in.
"""
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import resolve

from sandbox.salesforce import schema as emulator
from syncapp.api.salesforce import SyncOrderView
from syncapp.connectors.salesforce import orders
from syncapp.domain.records import Discount, DraftOrder, OrderLine, OrderStatus

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "salesforce"
SOURCE = PROJECT / "force-app" / "main" / "default"
MD = "{http://soap.sforce.com/2006/04/metadata}"
CUSTOM_NAME = re.compile(r"\b[A-Za-z][A-Za-z0-9_]*__c\b")

# The custom fields shipped with the project (README, docs/deploy.md).
CONTRACT_FIELDS = {
    ("Order", "Billing_Order_Id__c"): {"type": "Text", "length": 80, "external_id": True, "unique": True},
    ("Order", "Sync_Origin__c"): {"type": "Picklist", "values": ["Billing", "Salesforce"]},
    ("Order", "Billing_Checkout_URL__c"): {"type": "Url"},
    ("Order", "Billing_Period__c"): {"type": "Text"},
    ("Order", "Payment_Term__c"): {"type": "Text"},
    ("OrderItem", "Billing_Line_Id__c"): {"type": "Text", "length": 80, "external_id": True, "unique": True},
    ("OrderItem", "Discount_Percent__c"): {"type": "Percent"},
    # The keys checkout upserts the Accounts and Contacts it creates by (one per buyer, whatever the timing).
    ("Account", "Hub_Match_Key__c"): {"type": "Text", "length": 80, "external_id": True, "unique": True},
    ("Contact", "Hub_Contact_Key__c"): {"type": "Text", "length": 80, "external_id": True, "unique": True},
}
# Metadata API field types as the REST describe (and so the emulator) names them.
DESCRIBE_TYPES = {"Text": "string", "Url": "url", "Picklist": "picklist", "Percent": "percent"}


def _text(element, tag: str) -> str | None:
    found = element.find(MD + tag)
    return None if found is None else (found.text or "")


def _parse(relative: str) -> ET.Element:
    return ET.parse(SOURCE / relative).getroot()


def shipped_fields() -> dict[tuple[str, str], dict]:
    """(object, field) → the custom field's definition in the metadata."""
    shipped = {}
    for path in sorted(SOURCE.glob("objects/*/fields/*.field-meta.xml")):
        root = ET.parse(path).getroot()
        name = _text(root, "fullName")
        assert path.name == f"{name}.field-meta.xml", f"{path}: file name and fullName differ"
        values = [_text(v, "fullName") for v in root.iterfind(f"{MD}valueSet/{MD}valueSetDefinition/{MD}value")]
        shipped[(path.parent.parent.name, name)] = {
            "type": _text(root, "type"), "length": int(_text(root, "length") or 0) or None,
            "external_id": _text(root, "externalId") == "true", "unique": _text(root, "unique") == "true",
            "values": values, "restricted": root.findtext(f"{MD}valueSet/{MD}restricted") == "true"}
    return shipped


def fields_the_connector_writes() -> set[tuple[str, str]]:
    """Run the connector's own order graph for a full draft and collect every custom field it
    sends: upsert keys in the URLs and the fields in the bodies."""
    line = OrderLine(sku="PRO-MONTHLY", quantity=Decimal(3), list_price=Decimal(50), net_price=Decimal(45),
                     line_id="L-1", discount=Discount(percent=Decimal(10)), description="Pro")
    order = DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), lines=(line,),
                       status=OrderStatus.CANCELED, order_id="O-1", checkout_url="https://pay.example.com/O-1")
    side = orders.SalesforceSide(account_id="001000000000001AAA", pricebook_id="01s000000000001AAA",
                                 entries={"PRO-MONTHLY": "01u000000000001AAA"})
    graph = orders.order_graph("g1", order, side, lambda p: f"/services/data/v62.0/{p}")
    written = set()
    for node in graph["compositeRequest"]:
        sobject, *rest = node["url"].split("/sobjects/")[1].split("/")
        if rest and rest[0].endswith("__c"):  # upsert by external id
            written.add((sobject, rest[0]))
        written |= {(sobject, name) for name in node.get("body", {}) if name.endswith("__c")}
    return written


def custom_names_in_hub_code() -> dict[str, set[str]]:
    """Custom field names mentioned anywhere in the code that talks to Salesforce (queries,
    write-backs), by file."""
    files = [*(REPO / "syncapp/connectors/salesforce").glob("*.py"), *(REPO / "syncapp/sync").glob("*.py"), *(REPO / "syncapp/jobs").glob("*.py"), *(REPO / "syncapp/console").glob("*.py")]
    return {str(f.relative_to(REPO)): set(CUSTOM_NAME.findall(f.read_text())) for f in files}


def test_every_metadata_file_is_well_formed():
    files = sorted(PROJECT.rglob("*.xml"))
    assert len(files) >= 15, files
    for path in files:
        root = ET.parse(path).getroot()  # raises on malformed XML (e.g. "--" inside a comment)
        assert root.tag.startswith(MD), f"{path}: not in the Metadata API namespace"
    project = json.loads((PROJECT / "sfdx-project.json").read_text())
    assert [d["path"] for d in project["packageDirectories"]] == ["force-app"]
    assert re.fullmatch(r"\d+\.0", project["sourceApiVersion"])


def test_custom_fields_are_those_of_the_contract():
    shipped = shipped_fields()
    assert set(shipped) == set(CONTRACT_FIELDS)
    for key, spec in CONTRACT_FIELDS.items():
        got = shipped[key]
        assert got["type"] == spec["type"], key
        if "length" in spec:
            assert got["length"] == spec["length"], key
        assert got["external_id"] == spec.get("external_id", False), key
        assert got["unique"] == spec.get("unique", False), key
        if spec["type"] == "Picklist":
            assert got["values"] == spec["values"] and got["restricted"], key


def test_every_field_the_connector_writes_is_shipped():
    written = fields_the_connector_writes()
    # The graph of a full draft writes every order and line field: upsert keys, order and line fields.
    assert written == {key for key in CONTRACT_FIELDS if key[0] in ("Order", "OrderItem")}
    assert written <= set(shipped_fields())


def test_every_custom_field_the_hub_names_is_shipped():
    shipped_names = {name for _, name in shipped_fields()}
    mentioned = custom_names_in_hub_code()
    assert mentioned["syncapp/connectors/salesforce/orders.py"], "the write-back names its fields"
    for path, names in mentioned.items():
        assert names <= shipped_names, f"{path} uses {sorted(names - shipped_names)}, not in salesforce/"
    order_read = set(CUSTOM_NAME.findall(orders._ORDER_FIELDS))
    item_read = set(CUSTOM_NAME.findall(orders._ITEM_FIELDS))
    assert {("Order", n) for n in order_read} | {("OrderItem", n) for n in item_read} <= set(shipped_fields())


def test_the_emulator_has_the_same_custom_fields():
    shipped = shipped_fields()
    for sobject in ("Account", "Contact", "Order", "OrderItem"):
        emulated = {f.name for f in emulator.fields_of(sobject) if f.custom}
        assert emulated == {name for obj, name in shipped if obj == sobject}, sobject
    for (sobject, name), got in shipped.items():
        fld = emulator.get_field(sobject, name)
        assert fld.type == DESCRIBE_TYPES[got["type"]], (sobject, name)
        assert fld.external_id == got["external_id"] and fld.unique == got["unique"], (sobject, name)
        if got["length"]:
            assert fld.length == got["length"], (sobject, name)
        if got["type"] == "Picklist":
            assert list(fld.picklist) == got["values"] and fld.restricted == got["restricted"]


def test_order_status_values_cover_what_the_hub_writes():
    root = _parse("standardValueSets/OrderStatus.standardValueSet-meta.xml")
    assert _text(root, "groupingStringEnum") == "OrderStatusCode"
    values = {_text(v, "fullName"): _text(v, "groupingString") for v in root.iterfind(MD + "standardValue")}
    assert set(values) == {s.value for s in OrderStatus}
    # Salesforce offers Orders only these two status categories.
    assert values == {"Draft": "Draft", "Activated": "Activated", "Canceled": "Draft"}
    assert set(emulator.get_field("Order", "Status").picklist) == set(values)


def _apex(name: str) -> str:
    return (SOURCE / "classes" / f"{name}.cls").read_text()


def test_sync_order_callout_posts_to_the_contract_endpoint_through_the_named_credential():
    apex = _apex("OrderSyncHubCallout")
    credential = re.search(r"NAMED_CREDENTIAL = '(\w+)'", apex).group(1)
    path = re.search(r"SYNC_PATH = '([^']+)'", apex).group(1)
    assert "'callout:' + NAMED_CREDENTIAL" in apex and "setMethod('POST')" in apex
    # The path the Apex builds reaches the hub's Sync Order view.
    match = resolve(path.replace("{0}", "801000000000001AAA"))
    assert match.func.view_class is SyncOrderView and match.kwargs == {"sf_order_id": "801000000000001AAA"}

    named = _parse(f"namedCredentials/{credential}.namedCredential-meta.xml")
    params = {_text(p, "parameterName"): p for p in named.iterfind(MD + "namedCredentialParameters")}
    assert re.fullmatch(r"https://[^/]+", _text(params["Url"], "parameterValue"))
    external = _text(params["ExternalCredential"], "externalCredential")
    ext = _parse(f"externalCredentials/{external}.externalCredential-meta.xml")
    ext_params = {_text(p, "parameterType"): p for p in ext.iterfind(MD + "externalCredentialParameters")}
    header = ext_params["AuthHeader"]
    assert _text(header, "parameterName") == "Authorization"
    assert re.fullmatch(rf"\{{!'Bearer ' & \$Credential\.{external}\.\w+\}}", _text(header, "parameterValue"))
    principal = f"{external}-{_text(ext_params['NamedPrincipal'], 'parameterName')}"

    rep = _parse("permissionsets/Order_Sync_Hub_Sync_Order.permissionset-meta.xml")
    assert [_text(a, "externalCredentialPrincipal") for a in rep.iterfind(MD + "externalCredentialPrincipalAccesses")] \
        == [principal]
    assert [_text(a, "apexClass") for a in rep.iterfind(MD + "classAccesses")] == ["OrderSyncHubCallout"]


def test_sync_order_action_runs_the_callout():
    action = _parse("quickActions/Order.Sync_Order.quickAction-meta.xml")
    assert (_text(action, "type"), _text(action, "actionSubtype")) == ("LightningWebComponent", "Action")
    component = _text(action, "lightningWebComponent")
    bundle = SOURCE / "lwc" / component
    meta = ET.parse(bundle / f"{component}.js-meta.xml").getroot()
    assert [t.text for t in meta.iterfind(f"{MD}targets/{MD}target")] == ["lightning__RecordAction"]
    js = (bundle / f"{component}.js").read_text()
    method = re.search(r"@salesforce/apex/OrderSyncHubCallout\.(\w+)'", js).group(1)
    assert re.search(rf"@AuraEnabled\s+public static SyncResult {method}\(Id orderId\)", _apex("OrderSyncHubCallout"))
    assert "@api async invoke()" in js and "checkoutUrl" in js


def test_apex_test_source_declares_a_callout_mock_and_names_the_sync_endpoint():
    """A read of the Apex test's source (and both classes ship Active), not a run of it: Apex tests
    run only in a Salesforce org."""
    test = _apex("OrderSyncHubCalloutTest")
    assert test.lstrip().startswith("@IsTest") and "implements HttpCalloutMock" in test
    assert "Test.setMock(HttpCalloutMock.class" in test
    assert "'callout:Order_Sync_Hub/api/v1/salesforce/orders/' + ORDER_ID + '/sync'" in test
    for name in ("OrderSyncHubCallout", "OrderSyncHubCalloutTest"):
        meta = ET.parse(SOURCE / "classes" / f"{name}.cls-meta.xml").getroot()
        assert _text(meta, "status") == "Active"


@pytest.mark.parametrize("permission_set, editable", [
    ("Order_Sync_Hub_Integration", True), ("Order_Sync_Hub_Sync_Order", False)])
def test_permission_sets_cover_every_shipped_field(permission_set, editable):
    # Without field permissions a deployed custom field is invisible to the API user.
    root = _parse(f"permissionsets/{permission_set}.permissionset-meta.xml")
    granted = {_text(p, "field"): (_text(p, "readable"), _text(p, "editable"))
               for p in root.iterfind(MD + "fieldPermissions")}
    assert granted == {f"{o}.{n}": ("true", str(editable).lower()) for o, n in shipped_fields()}
