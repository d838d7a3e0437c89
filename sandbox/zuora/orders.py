"""Orders: create (completed or draft), update a draft, activate, cancel, delete — each change
emitted as a webhook — and the order shapes the Orders API returns."""
from __future__ import annotations

import hashlib

from django.urls import reverse
from django.utils import timezone

from sandbox.webhooks.outbox import emit
from sandbox.zuora import accounts, errors, order_input
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Order

ZUORA_DATETIME = "%Y-%m-%d %H:%M:%S"


def get_order_or_error(order_number: str, status: int = 404) -> Order:
    order = Order.objects.select_related("account").filter(order_number=order_number).first()
    if order is None:
        raise errors.not_found(order_number, status=status)
    return order


def _emit(event: str, order: Order) -> None:
    emit("zuora", event, {"order_id": order.order_number,
                          "account_id": order.account.account_number})


def create_order(body: dict) -> Order:
    order_date = order_input.parse_order_date(body.get("orderDate"))
    new_account, existing = body.get("newAccount"), body.get("existingAccountNumber")
    if new_account and existing:
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION,
                         "You cannot specify both existingAccountNumber and newAccount")
    if not new_account and not existing:
        raise ZuoraError(errors.ORDER, errors.MISSING_FIELD,
                         "Either existingAccountNumber or newAccount is required")
    status = order_input.order_status(body.get("status"))
    custom = accounts.check_custom_fields(body.get("customFields") or {})
    account = None
    if existing:
        account = accounts.find_account(str(existing))
        if account is None:
            raise errors.not_found(str(existing), resource=errors.ACCOUNT)

    def create(seq: int) -> Order:
        # The new account is created in the same try: its customer.created event names the order.
        number = f"O-{seq:08d}"
        owner = account or accounts.create_account(
            new_account, order_number=number, default_day=order_date.day)
        subs = order_input.subscriptions(body.get("subscriptions"), owner.currency, order_date)
        return Order.objects.create(
            seq=seq, order_number=number, account=owner, status=status, order_date=order_date,
            description=str(body.get("description") or ""), custom_fields=custom,
            subscriptions=_numbered(subs, seq, owner.account_number))

    order = accounts.with_next_seq(Order, create)
    _emit("order.created", order)
    return order


def update_draft(order: Order, body: dict) -> Order:
    """`PUT /v1/orders/{orderNumber}`: the body replaces the draft's date, subscriptions, custom
    fields and description."""
    if order.status != Order.DRAFT:
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION,
                         f"Only orders in Draft status can be updated; order "
                         f"{order.order_number} is {order.status}")
    if body.get("newAccount"):
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION,
                         "newAccount cannot be specified when updating an order")
    existing = body.get("existingAccountNumber")
    if existing and existing not in (order.account.account_number, order.account.id):
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION,
                         "The account of a draft order cannot be changed")
    if order_input.order_status(body.get("status")) != Order.DRAFT and "status" in body:
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION,
                         "Use the Activate an order operation to activate a draft order")
    order.order_date = order_input.parse_order_date(body.get("orderDate"))
    order.subscriptions = _numbered(
        order_input.subscriptions(body.get("subscriptions"), order.account.currency,
                                  order.order_date), order.seq, order.account.account_number)
    order.custom_fields = accounts.check_custom_fields(body.get("customFields") or {})
    order.description = str(body.get("description") or "")
    order.updated_date = timezone.now()
    order.save()
    _emit("order.updated", order)
    return order


def activate(order: Order) -> Order:
    if order.status != Order.DRAFT:
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION, "Activate order is only available "
                         f"for draft orders; order {order.order_number} is {order.status}")
    order.status, order.updated_date = Order.COMPLETED, timezone.now()
    order.save(update_fields=["status", "updated_date"])
    _emit("order.activated", order)
    return order


def cancel(order: Order, reason: str = "") -> Order:
    if order.status != Order.DRAFT:
        raise ZuoraError(errors.ORDER, errors.RULE_VIOLATION, "Cancellation is only valid for "
                         f"draft or scheduled orders; order {order.order_number} is "
                         f"{order.status}")
    order.status, order.updated_date = Order.CANCELLED, timezone.now()
    if reason:
        order.description = f"{order.description}\nCancelled: {reason}".strip()
    order.save(update_fields=["status", "updated_date", "description"])
    _emit("order.canceled", order)
    return order


def delete(order: Order) -> None:
    _emit("order.deleted", order)
    order.delete()


def _numbered(subs: list[dict], seq: int, account_number: str) -> list[dict]:
    """Subscription numbers follow the subscription's position in its order, so a draft keeps
    them across updates."""
    return [{"subscriptionNumber": f"A-S{seq:06d}{n:02d}",
             "subscriptionOwnerAccountNumber": account_number, **sub}
            for n, sub in enumerate(subs, start=1)]


def checkout_url(request, order: Order) -> str:
    return request.build_absolute_uri(reverse("sandbox-zuora-checkout",
                                              args=[order.order_number]))


def summary_json(order: Order) -> dict:
    """The body Zuora answers to create and activate (`CreateOrderResponse`)."""
    numbers = [s["subscriptionNumber"] for s in order.subscriptions]
    sub_status = {"Draft": "Draft", "Completed": "Active", "Cancelled": "Cancelled"}[order.status]
    return {"success": True, "orderNumber": order.order_number,
            "accountNumber": order.account.account_number, "status": order.status,
            "subscriptionNumbers": numbers,
            "subscriptions": [{"subscriptionNumber": n, "status": sub_status} for n in numbers]}


def order_json(request, order: Order, *, account_details: bool = False) -> dict:
    """An order as `GET /v1/orders/{orderNumber}` and `GET /v1/orders` return it."""
    data = {
        "orderNumber": order.order_number, "orderDate": order.order_date.isoformat(),
        "status": order.status, "currency": order.account.currency,
        "description": order.description, "customFields": order.custom_fields,
        "existingAccountNumber": order.account.account_number,
        "createdDate": order.created_date.strftime(ZUORA_DATETIME),
        "updatedDate": order.updated_date.strftime(ZUORA_DATETIME),
        "createdBy": "sandbox", "updatedBy": "sandbox",
        "subscriptions": [{"baseVersion": None, "newVersion": 1,
                           **sub_json(sub, created=order.status != Order.DRAFT)}
                          for sub in order.subscriptions],
        # Not in Zuora's shape: the emulator's stand-in for a hosted payment page.
        "checkoutUrl": checkout_url(request, order),
    }
    if account_details:
        account = order.account
        data["existingAccountDetails"] = {
            "basicInfo": accounts.basic_info(account),
            "billToContact": accounts.contact_json(account.bill_to)}
    return data


def sub_json(sub: dict, *, created: bool = False) -> dict:
    """A stored subscription as an order read-back spells it: Zuora's `GetChargeOverride` names
    the charge `productRateplanChargeId` (lower-case "p"), where the request said
    `productRatePlanChargeId`. Once the subscription exists (`created`: the order is no longer a
    draft) each rate plan carries Zuora's id for it, `newRatePlanId`, as in Zuora's published
    order samples."""
    def charge(override: dict) -> dict:
        out = {k: v for k, v in override.items() if k != "productRatePlanChargeId"}
        return {"productRateplanChargeId": override["productRatePlanChargeId"], **out}

    def plan(entry: dict, n: int) -> dict:
        out = {**entry, "chargeOverrides": [charge(c) for c in entry["chargeOverrides"]]}
        if created:
            seed = f"{sub.get('subscriptionNumber')}/{n}".encode()
            out["newRatePlanId"] = hashlib.sha256(seed).hexdigest()[:32]
        return out

    def action(act: dict) -> dict:
        create = act["createSubscription"]
        return {**act, "createSubscription": {
            **create, "subscribeToRatePlans": [plan(p, n) for n, p in
                                               enumerate(create["subscribeToRatePlans"])]}}

    return {**sub, "orderActions": [action(a) for a in sub["orderActions"]]}
