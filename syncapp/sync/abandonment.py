"""Cart abandonment: a self-service draft left unactivated past the threshold becomes one
Salesforce Task for the Account owner — never two for one order."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.domain.records import DraftOrder, OrderStatus
from syncapp.jobs import engine, kinds
from syncapp.models import OrderLink, SyncJob, SyncSettings

SUBJECT_PREFIX = "Abandoned cart"


def find_abandoned_carts(now=None) -> int:
    """Queue a follow-up for every billing-origin draft older than the threshold."""
    now = now or timezone.now()
    hours = SyncSettings.load().abandonment_threshold_hours
    links = OrderLink.objects.filter(
        origin=OrderLink.Origin.BILLING, status=OrderStatus.DRAFT, abandonment_task_id="",
        deleted_in_billing_at__isnull=True, created_at__lte=now - timedelta(hours=hours),
    ).exclude(salesforce_order_id="")
    count = 0
    for link in links.iterator():
        engine.enqueue(SyncJob.Kind.ABANDONED_CART, link.billing_provider, link.billing_order_id)
        count += 1
    return count


def describe(order: DraftOrder) -> str:
    lines = "\n".join(f"- {line.quantity.normalize():f} × {line.sku} at {line.net_price:.2f} {order.currency}"
                      for line in order.lines)
    return (f"The customer saved this cart but did not check out.\n\n{lines}\n\n"
            f"Value: {order.total:.2f} {order.currency}\nCheckout link: {order.checkout_url or '—'}")


@kinds.handles(SyncJob.Kind.ABANDONED_CART)
def follow_up(job, recorder) -> dict:
    link = OrderLink.objects.get(billing_provider=job.provider, billing_order_id=job.subject)
    if link.abandonment_task_id:
        return {"skipped": "a Task exists", "task_id": link.abandonment_task_id}
    order = billing_connector(recorder=recorder, provider=job.provider).get_order(job.subject)
    if order.status != OrderStatus.DRAFT:
        return {"skipped": f"no longer a draft ({order.status})"}
    sf = SalesforceConnector.from_settings(recorder=recorder)
    # A Task created by an earlier run that died before recording it is found, not made again.
    existing = sf.query(soql("SELECT Id FROM Task WHERE WhatId = {} AND Subject LIKE '{:like}%' LIMIT 1",
                             link.salesforce_order_id, SUBJECT_PREFIX))
    if existing:
        task_id = existing[0]["Id"]
    else:
        owner = sf.query(soql("SELECT Account.OwnerId, Account.Name FROM Order WHERE Id = {}",
                              link.salesforce_order_id))[0]["Account"]
        task_id = sf.create("Task", {
            "Subject": f"{SUBJECT_PREFIX}: {owner['Name']} — {order.total:.2f} {order.currency}",
            "WhatId": link.salesforce_order_id, "OwnerId": owner["OwnerId"],
            "ActivityDate": timezone.localdate().isoformat(), "Status": "Not Started", "Priority": "High",
            "Description": describe(order)})
    link.abandonment_task_id = task_id
    link.save(update_fields=["abandonment_task_id", "updated_at"])
    return {"task_id": task_id}
