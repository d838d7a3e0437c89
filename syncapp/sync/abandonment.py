"""Cart abandonment: a self-service draft left unactivated past the threshold becomes one
Salesforce Task for the Account owner — never two for one order."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from syncapp.connectors.http import Recorder
from syncapp.connectors.salesforce.follow_ups import FollowUpTask
from syncapp.connectors.vendors import Vendors
from syncapp.domain.records import DraftOrder, OrderStatus
from syncapp.jobs import engine, kinds
from syncapp.models import OrderLink, SyncJob, SyncSettings

SUBJECT_PREFIX = "Abandoned cart"


def find_abandoned_carts(now: datetime | None = None) -> int:
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
def follow_up(job: SyncJob, recorder: Recorder) -> dict:
    """Job handler: the one Task for the Account owner of an abandoned draft."""
    link = OrderLink.objects.get(billing_provider=job.provider, billing_order_id=job.subject)
    if link.abandonment_task_id:
        return {"skipped": "a Task exists", "task_id": link.abandonment_task_id}
    vendors = Vendors.from_settings(recorder, provider=job.provider)
    order = vendors.billing.get_order(job.subject)
    if order.status != OrderStatus.DRAFT:
        return {"skipped": f"no longer a draft ({order.status})"}
    sf = vendors.salesforce
    # A Task created by an earlier run that died before recording it is found, not made again.
    task_id = sf.find_task(link.salesforce_order_id, SUBJECT_PREFIX)
    if task_id is None:
        owner = sf.order_account_owner(link.salesforce_order_id)
        task_id = sf.create_task(FollowUpTask(
            subject=f"{SUBJECT_PREFIX}: {owner.account_name} — {order.total:.2f} {order.currency}",
            what_id=link.salesforce_order_id, owner_id=owner.owner_id, due=timezone.localdate(),
            description=describe(order)))
    link.abandonment_task_id = task_id
    link.save(update_fields=["abandonment_task_id", "updated_at"])
    return {"task_id": task_id}
