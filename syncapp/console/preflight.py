"""`manage.py doctor`: a read-only preflight of what the environment configures — the Salesforce
org, the billing tenant, the webhook secrets and the workers — before the hub's first real sync.

Each check is one line of the answer: what was checked, whether it holds, and for each failure
what to do about it. Nothing is written anywhere: the checks log in, describe, query and read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils import timezone

from syncapp import conf
from syncapp.connectors.salesforce.accounts import ACCOUNT_KEY_FIELD, CONTACT_KEY_FIELD
from syncapp.connectors.salesforce.orders import EXTERNAL_IDS as ORDER_EXTERNAL_IDS
from syncapp.connectors.salesforce.orders import WRITTEN_FIELDS as ORDER_FIELDS
from syncapp.connectors.vendors import Vendors
from syncapp.exceptions import SyncError
from syncapp.jobs import heartbeat

FLOW_NAMES = {"jwt": "OAuth 2.0 JWT bearer flow", "client_credentials": "OAuth client-credentials flow",
              "oauth_password": "OAuth username-password flow (legacy)",
              "soap": "SOAP username-password login (legacy)"}
DEPLOY = "deploy the metadata in salesforce/ (sf project deploy start --source-dir salesforce/force-app)"
ASSIGN = "assign the Order_Sync_Hub_Integration permission set to the integration user"
DEPLOY_FIX = f"{DEPLOY} and {ASSIGN}"
# The custom fields the hub writes (salesforce/force-app/main/default/objects), as the port names them.
WRITTEN_FIELDS = {"Account": (ACCOUNT_KEY_FIELD,), "Contact": (CONTACT_KEY_FIELD,), **ORDER_FIELDS}
# Upserts key on them: a checkout's Account and Contact, an order and its lines.
EXTERNAL_IDS = {ACCOUNT_KEY_FIELD, CONTACT_KEY_FIELD, *ORDER_EXTERNAL_IDS}
CANCELED = "Canceled"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def run(vendors: Vendors) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks = _salesforce(vendors)
    checks += _billing(vendors)
    checks.append(_webhook_auth())
    checks.append(_workers())
    return checks


def as_json(checks: list[Check]) -> dict:
    """The checks as the `doctor --json` answer."""
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}


# --- Salesforce ------------------------------------------------------------------------------------

def _login_fix(flow: str) -> str:
    return {
        "jwt": "check SALESFORCE_CONSUMER_KEY (the app's consumer key), SALESFORCE_PRIVATE_KEY_FILE (the key "
               "of the certificate uploaded to the app), SALESFORCE_USERNAME (pre-authorized for the app: "
               "'Admin approved users are pre-authorized' and the user's profile or permission set) and "
               "SALESFORCE_DOMAIN (login, test or your My Domain)",
        "client_credentials": "check SALESFORCE_CONSUMER_KEY/SECRET, that the app enables the client "
                              "credentials flow with a 'Run As' user, and SALESFORCE_DOMAIN = your My Domain",
        "oauth_password": "the OAuth password flow is blocked by default in orgs created since Summer '23: "
                          "prefer the JWT bearer flow (SALESFORCE_PRIVATE_KEY_FILE)",
        "soap": "SOAP login is disabled by default in orgs created since Winter '26 and retired from API "
                "65.0: prefer the JWT bearer flow (SALESFORCE_CONSUMER_KEY, SALESFORCE_PRIVATE_KEY_FILE)",
    }.get(flow, "set SALESFORCE_CONSUMER_KEY, SALESFORCE_PRIVATE_KEY_FILE and SALESFORCE_USERNAME "
                "(JWT bearer flow)")


def _salesforce(vendors: Vendors) -> list[Check]:
    sf = vendors.salesforce
    config = sf.config
    flow = FLOW_NAMES.get(config.flow, "no login configured")
    try:
        sf.login()
        served = [v["version"] for v in sf.api_versions()]
    except Exception as err:  # a refused login, or none configured (ImproperlyConfigured)
        return [Check(f"Salesforce login ({flow})", False, _reason(err), _login_fix(config.flow))]
    checks = [Check(f"Salesforce login ({flow})", True, config.instance_url or config.domain)]
    version = config.api_version
    checks.append(Check(f"Salesforce API version {version} served", version in served,
                        f"the org serves {served[0]}–{served[-1]}" if served else "the org lists no version",
                        "" if version in served else f"set SALESFORCE_API_VERSION to one the org serves "
                                                      f"(newest: {served[-1] if served else '?'})"))
    if version not in served:
        return checks
    describes = {}
    for sobject in (*WRITTEN_FIELDS, "PricebookEntry"):
        try:
            describes[sobject] = {f["name"]: f for f in sf.describe(sobject)["fields"]}
        except SyncError as err:
            checks.append(Check(f"{sobject} readable", False, _reason(err), DEPLOY_FIX))
    for sobject, names in WRITTEN_FIELDS.items():
        fields = describes.get(sobject)
        if fields is None:
            continue
        for name in names:
            checks.append(_field_check(sobject, name, fields.get(name)))
    if "Order" in describes:
        statuses = [v["value"] for v in (describes["Order"].get("Status") or {}).get("picklistValues", [])
                    if v.get("active", True)]
        checks.append(Check(f"Order status {CANCELED} exists", CANCELED in statuses,
                            ", ".join(statuses),
                            "" if CANCELED in statuses else "add the Canceled value (status category "
                            "Canceled) to Order Status: deploy salesforce/ (standardValueSets/OrderStatus)"))
    if "Order" in describes:
        org_multi, set_multi = "CurrencyIsoCode" in describes["Order"], conf.salesforce_multi_currency()
        checks.append(Check("Salesforce currencies match SALESFORCE_MULTI_CURRENCY", org_multi == set_multi,
                            "the org has multi-currency on" if org_multi else
                            f"the org has one currency ({conf.salesforce_currency()})",
                            "" if org_multi == set_multi else
                            f"set SALESFORCE_MULTI_CURRENCY={'1' if org_multi else '0'}"))
    if "PricebookEntry" in describes:
        checks += _price_book(vendors, multi_currency="CurrencyIsoCode" in describes["PricebookEntry"])
    return checks


def _field_check(sobject: str, name: str, field: dict | None) -> Check:
    label = f"{sobject}.{name} writable"
    if field is None:
        return Check(label, False, "missing, or not visible to the integration user", DEPLOY_FIX)
    not_external = name in EXTERNAL_IDS and not field.get("externalId")
    read_only = not (field.get("createable") and field.get("updateable"))
    problems = [what for what, bad in (("not createable", not field.get("createable")),
                                       ("not updateable", not field.get("updateable")),
                                       ("not an external id", not_external)) if bad]
    fixes = ([f"{DEPLOY} (it defines the field as a unique External ID)"] if not_external else []) + \
        ([f"{ASSIGN} (it grants edit access to the field)"] if read_only else [])
    return Check(label, not problems, "; ".join(problems) or field.get("type", ""), "; ".join(fixes))


def _price_book(vendors: Vendors, multi_currency: bool) -> list[Check]:
    """Each billing SKU has an active standard PricebookEntry in each currency it is sold in."""
    try:
        catalog = vendors.billing.catalog()
    except Exception:
        return []  # the billing check says why
    wanted = {(item.sku, item.currency.upper()) for item in catalog.values()}
    sf = vendors.salesforce
    try:
        standard = sf.standard_pricebook_id()
        if not standard:
            return [Check("Standard price book", False, "none found", "activate the Standard Price Book")]
        entries = sf.price_entries(standard, {sku for sku, _ in wanted}, with_currency=multi_currency)
    except SyncError as err:
        return [Check("Price book entries", False, _reason(err), DEPLOY_FIX)]
    org_currency = conf.salesforce_currency()
    have = {(e.sku, (e.currency or org_currency).upper()) for e in entries}
    return [Check(f"PricebookEntry for {sku} in {cur}", (sku, cur) in have,
                  "active in the standard price book" if (sku, cur) in have else "missing or inactive",
                  "" if (sku, cur) in have else
                  f"create a Product2 with ProductCode {sku} and an active standard PricebookEntry in {cur}"
                  + ("" if multi_currency or cur == org_currency else
                     f" (the org has one currency, {org_currency}: turn on multi-currency or set "
                     "SALESFORCE_CURRENCY)"))
            for sku, cur in sorted(wanted)]


# --- billing, webhooks, workers ------------------------------------------------------------------

def _billing(vendors: Vendors) -> list[Check]:
    provider = conf.billing_provider()
    label = f"Billing ({provider}) credentials and catalog"
    try:
        catalog = vendors.billing.catalog()
    except Exception as err:
        return [Check(label, False, _reason(err), f"check the {provider.upper()}_* settings (base URL and "
                                                   "credentials) against the tenant")]
    return [Check(label, bool(catalog), f"{len(catalog)} SKUs",
                  "" if catalog else "add the plans the hub sells to the billing catalog")]


def _webhook_auth() -> Check:
    provider = conf.billing_provider()
    secret, basic = conf.webhook_secret(provider), conf.webhook_basic(provider)
    how = "signing secret and Basic credentials" if secret and basic else \
        "signing secret" if secret else "Basic credentials" if basic else ""
    return Check(f"Webhook authentication ({provider})", bool(how), how or "neither is set",
                 "" if how else f"set {provider.upper()}_WEBHOOK_SECRET (or {provider.upper()}_WEBHOOK_BASIC "
                                "for senders that cannot sign)")


def _workers() -> Check:
    seen = heartbeat.last_beat()
    alive = seen is not None and timezone.now() - seen <= conf.queue_stale_after()
    detail = f"last seen {seen.isoformat(timespec='seconds')}" if seen else "never seen"
    return Check("Workers alive", alive, detail,
                 "" if alive else "start the worker cluster and its scheduler (make run, or the "
                                  "services in docs/deploy.md)")


def _reason(err: Exception) -> str:
    code = getattr(err, "code", "") or err.__class__.__name__
    return f"{code}: {err}"[:300]
