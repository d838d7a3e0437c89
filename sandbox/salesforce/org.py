"""The org row and its seed data, created lazily and idempotently on first use (tests flush
every table between tests, so no data migration could keep it)."""
from django.db import IntegrityError, transaction

from . import ids, schema
from .models import CallCount, Org, QueryCursor, Record
from .store import insert

OWNER = {"Username": "owner@sandbox.example", "Email": "owner@sandbox.example",
         "FirstName": "Sandbox", "LastName": "Owner", "Name": "Sandbox Owner", "Alias": "sowner",
         "IsActive": True}
API_USER = {"Username": "hub@sandbox.example", "Email": "hub@sandbox.example",
            "FirstName": "Hub", "LastName": "Integration", "Name": "Hub Integration",
            "Alias": "hub", "IsActive": True}
PRODUCTS = [("PRO-MONTHLY", "Pro Monthly", 49.00), ("TEAM-ANNUAL", "Team Annual", 990.00),
            ("ADDON-SEATS", "Extra Seats", 10.00)]


def get_org() -> Org:
    org = Org.objects.filter(pk=1).first()
    if org is not None:
        return org
    try:
        with transaction.atomic():
            return _seed()
    except IntegrityError:  # another process seeded it first
        return Org.objects.get(pk=1)


def _seed() -> Org:
    org = Org.objects.create(pk=1, org_id=ids.make_id("Organization", 1))
    owner = insert("User", dict(OWNER), org)
    org.owner_id = owner.sf_id
    owner.data.update(CreatedById=owner.sf_id, LastModifiedById=owner.sf_id)
    owner.save(update_fields=["data"])
    insert("User", dict(API_USER), org)
    pricebook = insert("Pricebook2", {"Name": "Standard Price Book", "IsActive": True,
                                      "IsStandard": True, "Description": None}, org)
    org.standard_pricebook_id = pricebook.sf_id
    org.save()
    for code, name, price in PRODUCTS:
        product = insert("Product2", {"Name": name, "ProductCode": code, "IsActive": True,
                                      "Description": None, "Family": None}, org)
        insert("PricebookEntry", {"Pricebook2Id": pricebook.sf_id, "Product2Id": product.sf_id,
                                  "UnitPrice": price, "IsActive": True, "UseStandardPrice": False,
                                  "ProductCode": code, "Name": name}, org)
    return org


def enable_multi_currency(org: Org) -> None:
    """Turn the org into a multi-currency one, as Salesforce does when an admin enables it: every
    record takes the corporate currency, and the products get standard prices in EUR too."""
    schema.MULTI_CURRENCY.set(True)
    org.multi_currency = True
    org.save(update_fields=["multi_currency"])
    for record in Record.objects.filter(sobject__in=list(schema.CURRENCY_FIELDS)):
        if "CurrencyIsoCode" not in record.data:
            record.data["CurrencyIsoCode"] = schema.CORPORATE_CURRENCY
            record.save(update_fields=["data"])
    entries = Record.objects.filter(sobject="PricebookEntry", is_deleted=False,
                                    data__Pricebook2Id=org.standard_pricebook_id)
    if any(e.data.get("CurrencyIsoCode") == "EUR" for e in entries):
        return
    for entry in list(entries):
        insert("PricebookEntry", {**{k: v for k, v in entry.data.items() if k not in (
            "CreatedDate", "LastModifiedDate", "SystemModstamp", "CreatedById", "LastModifiedById",
            "IsDeleted")}, "CurrencyIsoCode": "EUR"}, org)


def api_user_id() -> str:
    user = Record.objects.filter(sobject="User", external_key=API_USER["Username"]).first()
    return user.sf_id if user else get_org().owner_id


def reset_org() -> Org:
    """Wipe every record and reseed, keeping the control switches."""
    with transaction.atomic():
        org = Org.objects.filter(pk=1).first()
        switches = {}
        if org is not None:
            switches = {f: getattr(org, f) for f in (
                "latency_ms", "fault_rates", "timeout_seconds", "fail_next", "daily_limit",
                "duplicate_rules", "api_usage", "usage_day", "multi_currency", "field_changes")}
        for model in (Record, QueryCursor, Org):  # sessions survive: clients stay logged in
            model.objects.all().delete()
        org = _seed()
        for name, value in switches.items():
            setattr(org, name, value)
        org.save()
        if org.multi_currency:
            enable_multi_currency(org)
        return org


def reset_counts():
    CallCount.objects.all().delete()
    Org.objects.filter(pk=1).update(api_usage=0)
