"""The emulated org's objects and fields, and their describe output.

Only what the hub meets is modelled; field names, types, lengths and createable/updateable flags
follow Salesforce's standard objects. Custom fields are those the hub's metadata in salesforce/ ships.
"""
from contextvars import ContextVar
from dataclasses import dataclass, replace

from .ids import KEY_PREFIXES

NUMBER_TYPES = {"currency", "double", "percent", "int"}
TEXT_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "combobox"}
# Standard objects' Text Areas hold up to 4,000 characters (Product2.Description) and stay
# filterable; their Long Text Areas (Description on Account, Contact, Order, Task) hold 32,000.
LONG_TEXT_FROM = 4000


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    length: int = 0
    required: bool = False  # must be given on create (not nillable, no default)
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: tuple = ()
    picklist: tuple = ()
    restricted: bool = False
    default: object = None
    label: str = ""

    @property
    def relationship_name(self) -> str | None:
        if self.type != "reference":
            return None
        return self.name[:-2] if self.name.endswith("Id") else None

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def long_text(self) -> bool:
        """A Long Text Area: Salesforce can neither filter nor sort on it in SOQL."""
        return self.type == "textarea" and self.length > LONG_TEXT_FROM


def text(name, length=255, **kw):
    return Field(name, "string", length, **kw)


def ref(name, *targets, **kw):
    return Field(name, "reference", 18, reference_to=targets, **kw)


def readonly(name, type_="string", length=0, **kw):
    return Field(name, type_, length, createable=False, updateable=False, **kw)


def boolean(name, **kw):
    return Field(name, "boolean", nillable=False, default=kw.pop("default", False), **kw)


def picklist(name, values, **kw):
    return Field(name, "picklist", 255, picklist=tuple(values), **kw)


def address(prefix):
    return [Field(f"{prefix}Street", "textarea", 255), text(f"{prefix}City", 40),
            text(f"{prefix}State", 80), text(f"{prefix}PostalCode", 20),
            text(f"{prefix}Country", 80)]


SYSTEM_FIELDS = [
    Field("Id", "id", 18, createable=False, updateable=False, nillable=False),
    readonly("CreatedDate", "datetime", nillable=False),
    readonly("LastModifiedDate", "datetime", nillable=False),
    readonly("SystemModstamp", "datetime", nillable=False),
    ref("CreatedById", "User", createable=False, updateable=False, nillable=False),
    ref("LastModifiedById", "User", createable=False, updateable=False, nillable=False),
]
IS_DELETED = readonly("IsDeleted", "boolean", nillable=False)
OWNER = ref("OwnerId", "User", nillable=False, default="$owner")

OBJECTS = {
    "Account": [
        text("Name", required=True, nillable=False), picklist("Type", [
            "Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]),
        Field("Website", "url", 255), Field("Phone", "phone", 40), *address("Billing"),
        Field("Description", "textarea", 32000), text("Industry", 40), OWNER, IS_DELETED,
        text("Hub_Match_Key__c", 80, external_id=True, unique=True),
    ],
    "Contact": [
        text("FirstName", 40), text("LastName", 80, required=True, nillable=False),
        readonly("Name", "string", 121, nillable=False), Field("Email", "email", 80),
        Field("Phone", "phone", 40), text("Title", 128), ref("AccountId", "Account"),
        *address("Mailing"), Field("Description", "textarea", 32000), OWNER, IS_DELETED,
        text("Hub_Contact_Key__c", 80, external_id=True, unique=True),
    ],
    "Order": [
        ref("AccountId", "Account", required=True, nillable=False),
        Field("EffectiveDate", "date", required=True, nillable=False), Field("EndDate", "date"),
        picklist("Status", ["Draft", "Activated", "Canceled"], restricted=True, nillable=False,
                 default="Draft"),
        readonly("StatusCode", "picklist", 40, nillable=False, picklist=("Draft", "Activated"),
                 restricted=True),
        ref("Pricebook2Id", "Pricebook2"), ref("BillToContactId", "Contact"),
        ref("ShipToContactId", "Contact"), text("Name", 80),
        Field("Description", "textarea", 32000),
        readonly("OrderNumber", "string", 30, nillable=False), readonly("TotalAmount", "currency"),
        picklist("Type", ["New", "Renewal", "Upgrade"]), readonly("ActivatedDate", "datetime"),
        OWNER, IS_DELETED,
        text("Billing_Order_Id__c", 80, external_id=True, unique=True),
        picklist("Sync_Origin__c", ["Billing", "Salesforce"], restricted=True),
        Field("Billing_Checkout_URL__c", "url", 255), text("Billing_Period__c"),
        text("Payment_Term__c"),
    ],
    "OrderItem": [
        ref("OrderId", "Order", required=True, nillable=False, updateable=False),
        ref("PricebookEntryId", "PricebookEntry", required=True, nillable=False, updateable=False),
        ref("Product2Id", "Product2", updateable=False),
        Field("Quantity", "double", required=True, nillable=False),
        Field("UnitPrice", "currency", required=True, nillable=False),
        readonly("ListPrice", "currency"), readonly("TotalPrice", "currency"),
        text("Description"), Field("ServiceDate", "date"), Field("EndDate", "date"),
        readonly("OrderItemNumber", "string", 30, nillable=False), IS_DELETED,
        text("Billing_Line_Id__c", 80, external_id=True, unique=True),
        Field("Discount_Percent__c", "percent"),
    ],
    "Product2": [
        text("Name", required=True, nillable=False), text("ProductCode"), boolean("IsActive"),
        Field("Description", "textarea", 4000), picklist("Family", ["None"]), IS_DELETED,
        # Standard, an external id but not unique: upserts through it can match several (300).
        text("ExternalId", external_id=True),
    ],
    "Pricebook2": [
        text("Name", required=True, nillable=False), boolean("IsActive"),
        readonly("IsStandard", "boolean", nillable=False), Field("Description", "textarea", 255),
        IS_DELETED,
    ],
    "PricebookEntry": [
        ref("Pricebook2Id", "Pricebook2", required=True, nillable=False, updateable=False),
        ref("Product2Id", "Product2", required=True, nillable=False, updateable=False),
        Field("UnitPrice", "currency", required=True, nillable=False), boolean("IsActive"),
        boolean("UseStandardPrice"), readonly("ProductCode", "string", 255),
        readonly("Name", "string", 255), IS_DELETED,
    ],
    "Task": [
        text("Subject", required=True, nillable=False),
        ref("WhatId", "Account", "Order", "Product2"), ref("WhoId", "Contact"),
        Field("ActivityDate", "date"),
        picklist("Status", ["Not Started", "In Progress", "Completed", "Waiting on someone else",
                            "Deferred"], restricted=True, nillable=False, default="Not Started"),
        picklist("Priority", ["High", "Normal", "Low"], restricted=True, nillable=False,
                 default="Normal"),
        Field("Description", "textarea", 32000), readonly("IsClosed", "boolean", nillable=False),
        OWNER, IS_DELETED,
    ],
    "User": [
        text("Username", 80, required=True, nillable=False, unique=True),
        Field("Email", "email", 128, required=True, nillable=False), text("FirstName", 40),
        text("LastName", 80, required=True, nillable=False), readonly("Name", "string", 121),
        text("Alias", 8), boolean("IsActive", default=True),
    ],
}

# Child relationships that a SOQL subquery may name: parent -> {relationship: (child, field)}.
CHILD_RELATIONSHIPS = {
    "Account": {"Contacts": ("Contact", "AccountId"), "Orders": ("Order", "AccountId")},
    "Order": {"OrderItems": ("OrderItem", "OrderId")},
    "Pricebook2": {"PricebookEntries": ("PricebookEntry", "Pricebook2Id")},
    "Product2": {"PricebookEntries": ("PricebookEntry", "Product2Id")},
}


# A multi-currency org: records of these objects carry a currency. The switch is the org's
# (`_control`), set for each request the emulator serves, so describe, SOQL and saves see the field
# only in such an org, as in Salesforce.
MULTI_CURRENCY: ContextVar[bool] = ContextVar("multi_currency", default=False)
CORPORATE_CURRENCY = "USD"
CURRENCIES = ("USD", "EUR", "GBP")


def currency(createable=True, updateable=True) -> Field:
    return Field("CurrencyIsoCode", "picklist", 3, picklist=CURRENCIES, restricted=True,
                 nillable=False, default=CORPORATE_CURRENCY, createable=createable,
                 updateable=updateable, label="Currency ISO Code")


CURRENCY_FIELDS = {
    "Account": currency(), "Order": currency(),
    # An order product has its order's currency; a price book entry keeps the one it was made in.
    "OrderItem": currency(createable=False, updateable=False),
    "PricebookEntry": currency(updateable=False),
}


def _index():
    schema = {}
    for sobject, fields in OBJECTS.items():
        by_name = {}
        for fld in SYSTEM_FIELDS + fields:
            by_name[fld.name.lower()] = fld
        schema[sobject] = by_name
    return schema


FIELDS = _index()
SOBJECT_NAMES = {name.lower(): name for name in OBJECTS}


def canonical_sobject(name: str) -> str | None:
    return SOBJECT_NAMES.get((name or "").lower())


# What an org's admin may have done to a custom field the hub relies on (`_control`
# `field_changes`, {"Account.Hub_Match_Key__c": change}), set for each request like the currency
# switch: "hidden" (the integration user has no field-level access, so describe, SOQL and saves do
# not know the field), "read_only" (read access only: neither createable nor updateable) and
# "not_external_id" (the External ID attribute unchecked: no upsert by it).
FIELD_CHANGES: ContextVar[dict | None] = ContextVar("field_changes", default=None)
CHANGES = ("hidden", "read_only", "not_external_id")


def _as_changed(sobject: str, fld: Field | None) -> Field | None:
    change = (FIELD_CHANGES.get() or {}).get(f"{sobject}.{fld.name}") if fld is not None else None
    if change == "hidden":
        return None
    if change == "read_only":
        return replace(fld, createable=False, updateable=False)
    if change == "not_external_id":
        return replace(fld, external_id=False)
    return fld


def get_field(sobject: str, name: str) -> Field | None:
    if (name or "").lower() == "currencyisocode":
        return CURRENCY_FIELDS.get(sobject) if MULTI_CURRENCY.get() else None
    return _as_changed(sobject, FIELDS[sobject].get((name or "").lower()))


def fields_of(sobject: str):
    extra = [CURRENCY_FIELDS[sobject]] if MULTI_CURRENCY.get() and sobject in CURRENCY_FIELDS else []
    changed = (_as_changed(sobject, fld) for fld in FIELDS[sobject].values())
    return [fld for fld in changed if fld is not None] + extra


def relationship(sobject: str, name: str) -> Field | None:
    """The reference field behind a relationship name (`Account` → AccountId) on sobject."""
    for fld in FIELDS[sobject].values():
        if fld.relationship_name and fld.relationship_name.lower() == name.lower():
            return fld
    return None


def external_id_field(sobject: str) -> Field | None:
    for fld in FIELDS[sobject].values():
        if fld.external_id:
            return fld
    return None


def _label(name: str) -> str:
    base = name[:-3] if name.endswith("__c") else name
    base = base[:-2] + " ID" if base.endswith("Id") and len(base) > 2 else base
    return base.replace("_", " ")


def describe_field(fld: Field) -> dict:
    return {
        "name": fld.name, "label": fld.label or _label(fld.name), "type": fld.type,
        "length": fld.length if fld.type in TEXT_TYPES | {"reference", "id"} else 0,
        "createable": fld.createable, "updateable": fld.updateable, "nillable": fld.nillable,
        "defaultedOnCreate": fld.default is not None or fld.type == "boolean" or not fld.createable,
        "externalId": fld.external_id, "unique": fld.unique, "idLookup": fld.external_id
        or fld.name == "Id", "custom": fld.custom, "calculated": False,
        "filterable": not fld.long_text, "sortable": not fld.long_text,
        "referenceTo": list(fld.reference_to),
        "relationshipName": fld.relationship_name,
        "precision": 18 if fld.type in ("currency", "double", "percent") else 0,
        "scale": 2 if fld.type in ("currency", "double", "percent") else 0,
        "restrictedPicklist": fld.restricted,
        "picklistValues": [{"value": v, "label": v, "active": True, "validFor": None,
                            "defaultValue": v == fld.default} for v in fld.picklist],
    }


def describe(sobject: str, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{sobject}"
    return {
        "name": sobject, "label": sobject, "keyPrefix": KEY_PREFIXES[sobject], "custom": False,
        "createable": True, "updateable": True, "deletable": True, "queryable": True,
        "retrieveable": True, "searchable": True, "layoutable": True,
        "fields": [describe_field(f) for f in fields_of(sobject)],
        "childRelationships": [
            {"childSObject": child, "field": fk, "relationshipName": rel, "cascadeDelete": False}
            for rel, (child, fk) in CHILD_RELATIONSHIPS.get(sobject, {}).items()],
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def describe_global_entry(sobject: str, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{sobject}"
    return {"name": sobject, "label": sobject, "keyPrefix": KEY_PREFIXES[sobject],
            "custom": False, "createable": True, "updateable": True, "deletable": True,
            "queryable": True, "urls": {"sobject": base, "describe": f"{base}/describe",
                                        "rowTemplate": f"{base}/{{ID}}"}}
