"""The integration user's permission set grants what the hub's work needs beyond its custom
fields: the objects it writes, and activating orders and cancelling activated ones."""
import xml.etree.ElementTree as ET
from pathlib import Path

MD = "{http://soap.sforce.com/2006/04/metadata}"
PERMISSION_SET = (Path(__file__).resolve().parent.parent / "salesforce/force-app/main/default/permissionsets"
                  / "Order_Sync_Hub_Integration.permissionset-meta.xml")


def test_the_integration_user_may_write_orders_and_activate_them():
    root = ET.parse(PERMISSION_SET).getroot()
    users = {p.findtext(MD + "name") for p in root.iterfind(MD + "userPermissions")
             if p.findtext(MD + "enabled") == "true"}
    assert {"ApiEnabled", "ActivateOrder", "EditActivatedOrders"} <= users
    objects = {p.findtext(MD + "object"): {k: p.findtext(MD + k) == "true" for k in (
        "allowRead", "allowCreate", "allowEdit", "allowDelete")} for p in root.iterfind(MD + "objectPermissions")}
    assert all(objects["Order"].values())
    for written in ("Account", "Contact", "Task"):
        assert objects[written]["allowCreate"] and objects[written]["allowEdit"]
    assert objects["Product2"]["allowRead"] and objects["Pricebook2"]["allowRead"]
