"""Billing → Salesforce draft-order sync (ARCHITECTURE "How work flows", step 2).

The billing platform's current order is the truth: each run fetches it, skips it when Salesforce
already shows exactly that (echo suppression), makes sure the customer's Account exists, and
writes the Order and its items in one composite graph call.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.connectors.salesforce.orders import SalesforceSide, order_graph, written_ids
from syncapp.domain.fingerprints import fingerprint
from syncapp.domain.matching import match_key
from syncapp.domain.records import Contact, DraftOrder, OrderStatus
from syncapp.exceptions import NotFoundError, PermanentError
from syncapp.models import AccountLink, FieldMapping, LineLink, OrderLink, ProductMapping, SyncSettings
from syncapp.services.accounts import Buyer, resolve
from syncapp.services.conflicts import activate_in_salesforce
from syncapp.services.locks import lease

# Errors that mean the hub's picture of the Salesforce order is stale: reload it and try again.
STALE_STATE_CODES = {"INVALID_FIELD_FOR_INSERT_UPDATE", "ENTITY_IS_DELETED", "NOT_FOUND",
                     "FIELD_INTEGRITY_EXCEPTION", "INVALID_CROSS_REFERENCE_KEY"}


def sync_billing_order(job, recorder) -> dict:
    """Job handler for webhook-triggered syncs; honours the switches in SyncSettings."""
    config = SyncSettings.load()
    if not (config.sync_draft_orders and config.auto_sync):
        return {"skipped": "sync turned off in settings"}
    return sync_order(job.provider, job.subject, recorder=recorder)


def sync_order(provider: str, order_id: str, *, recorder=None, sf=None, billing=None) -> dict:
    billing = billing or billing_connector(recorder=recorder, provider=provider)
    link = OrderLink.objects.filter(billing_provider=provider, billing_order_id=order_id).first()
    try:
        order = billing.get_order(order_id)
    except NotFoundError:
        if link and not link.deleted_in_billing_at:
            link.deleted_in_billing_at = timezone.now()
            link.save(update_fields=["deleted_in_billing_at", "updated_at"])
        return {"skipped": "deleted in billing; not synced (staff delete from the console)"}
    digest = fingerprint(order)
    if link and link.billing_fingerprint == digest:
        return {"skipped": "Salesforce already shows this state", "salesforce_order_id": link.salesforce_order_id}
    if link is None and order.status == OrderStatus.CANCELED:
        return {"skipped": "canceled before it reached Salesforce"}
    if link and link.status == order.status == OrderStatus.ACTIVATED:
        _remember(link, order, digest, link.salesforce_order_id, None)
        return {"skipped": "activated on both sides", "salesforce_order_id": link.salesforce_order_id}

    sf = sf or SalesforceConnector.from_settings(recorder=recorder)
    if link and link.origin == OrderLink.Origin.SALESFORCE and order.status == OrderStatus.ACTIVATED:
        # Paid in the billing portal: activation happens in Salesforce, the origin, first.
        activate_in_salesforce(sf, link)
        _remember(link, order, digest, link.salesforce_order_id, None)
        return {"salesforce_order_id": link.salesforce_order_id, "activated": "in Salesforce, its origin"}
    account_id = ensure_account(sf, billing, provider, order)
    link = link or OrderLink(billing_provider=provider, billing_order_id=order_id, origin=OrderLink.Origin.BILLING)
    side = _salesforce_side(sf, link, order, account_id)
    try:
        sf_order_id, items = _write(sf, order, side)
    except PermanentError as err:
        if err.code not in STALE_STATE_CODES:
            raise
        side = _salesforce_side(sf, link, order, account_id, reload=True)
        sf_order_id, items = _write(sf, order, side)
    _remember(link, order, digest, sf_order_id, {**side.items, **items})
    return {"salesforce_order_id": sf_order_id, "lines": len(order.lines), "status": str(order.status)}


def _write(sf, order: DraftOrder, side: SalesforceSide) -> tuple[str, dict]:
    graph = order_graph(f"g{uuid.uuid4().hex[:12]}", order, side, sf.data_path)
    return written_ids(order, sf.graph([graph])[0])


def _remember(link: OrderLink, order: DraftOrder, digest: str, sf_order_id: str, items: dict | None) -> None:
    with transaction.atomic():
        link.salesforce_order_id = sf_order_id
        link.status = order.status.value
        link.billing_fingerprint = digest
        link.last_synced_at = timezone.now()
        link.last_error = ""
        link.save()
        if items is not None:
            current = {line.line_id for line in order.lines}
            link.lines.exclude(billing_line_id__in=current).delete()
            for line_id in current:
                LineLink.objects.update_or_create(order_link=link, billing_line_id=line_id,
                                                  defaults={"salesforce_item_id": items.get(line_id, "")})


def _salesforce_side(sf, link: OrderLink, order: DraftOrder, account_id: str, reload: bool = False) -> SalesforceSide:
    pricebook_id, entries = pricebook_entries(sf, {line.sku for line in order.lines}, order.currency)
    side = SalesforceSide(
        account_id=account_id, pricebook_id=pricebook_id, entries=entries, origin=link.origin,
        custom_fields=dict(FieldMapping.objects.filter(active=True).values_list("billing_field", "salesforce_field")))
    if reload:
        rows = sf.query(soql("SELECT Id, Status FROM Order WHERE Billing_Order_Id__c = {}", order.order_id))
        if rows:
            side.status = rows[0]["Status"]
            side.items = {r["Billing_Line_Id__c"]: r["Id"] for r in sf.query(soql(
                "SELECT Id, Billing_Line_Id__c FROM OrderItem WHERE OrderId = {}", rows[0]["Id"]))
                if r.get("Billing_Line_Id__c")}
    elif link.pk:
        side.status = link.status if link.salesforce_order_id else ""
        side.items = {ll.billing_line_id: ll.salesforce_item_id for ll in link.lines.all() if ll.salesforce_item_id}
    return side


def pricebook_entries(sf, skus: set[str], currency: str) -> tuple[str, dict[str, str]]:
    """The standard price book and its entry for each SKU, from `ProductMapping` or, once, from
    Salesforce (`Product2.ProductCode` = SKU)."""
    known = {m.sku: m for m in ProductMapping.objects.filter(sku__in=skus, currency=currency)}
    missing = skus - known.keys()
    if missing:
        standard = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1")
        if not standard:
            raise PermanentError("Salesforce has no standard price book.", code="no_standard_pricebook")
        pricebook_id = standard[0]["Id"]
        rows = sf.query(soql("SELECT Id, Product2Id, ProductCode FROM PricebookEntry WHERE Pricebook2Id = {} "
                             "AND ProductCode IN {} AND IsActive = true", pricebook_id, sorted(missing)))
        for r in rows:
            known[r["ProductCode"]], _ = ProductMapping.objects.update_or_create(
                sku=r["ProductCode"], currency=currency,
                defaults={"product2_id": r["Product2Id"], "pricebook_entry_id": r["Id"], "pricebook2_id": pricebook_id})
        unmapped = skus - known.keys()
        if unmapped:
            raise PermanentError(f"No active Salesforce product for SKU {', '.join(sorted(unmapped))}",
                                 code="unmapped_sku", details={"skus": sorted(unmapped)})
    pricebook_id = next(iter(known.values())).pricebook2_id if known else ""
    return pricebook_id, {sku: m.pricebook_entry_id for sku, m in known.items()}


def ensure_account(sf, billing, provider: str, order: DraftOrder) -> str:
    """The Salesforce Account of the order's billing account: its CRM id, else the link the hub
    made, else the checkout matching rules (then the CRM id is written back to billing)."""
    customer = order.customer or billing.get_account(order.account_id)
    if customer.crm_id:
        return customer.crm_id
    known = AccountLink.objects.filter(billing_provider=provider, billing_account_id=customer.account_id).first()
    if known:
        billing.set_account_crm_id(customer.account_id, known.salesforce_account_id)
        return known.salesforce_account_id
    contact = customer.bill_to or Contact(email=customer.email)
    buyer = Buyer(contact=contact, company=customer.name)
    public = SyncSettings.load().public_domains
    key = match_key(buyer.email, public)
    with lease(f"match:{key}", ttl=timedelta(seconds=60), wait=60):
        result = resolve(sf, buyer, public)
    billing.set_account_crm_id(customer.account_id, result.account_id)
    AccountLink.objects.update_or_create(
        billing_provider=provider, billing_account_id=customer.account_id,
        defaults={"salesforce_account_id": result.account_id, "email": buyer.email, "match_key": key,
                  "matched_by": result.account_match})
    return result.account_id
