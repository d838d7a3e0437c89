"""Self-service checkout: resolve the Salesforce Account, then create the billing order with its
Id as the billing account's CRM Account ID (`POST /api/v1/checkout`).

Exactly once: a `CheckoutSession` per idempotency key records each finished step, so the same
key replays the stored answer and a retry after a failure resumes where it stopped.

The flow knows nothing of HTTP: it ends in a `Completed` result or raises one of the hub's errors
(`syncapp/exceptions.py`). Its caller's `respond` turns either into the `Answer` given, which the
session keeps (staff read it) and replays for the same key.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from syncapp import conf
from syncapp.connectors.billing.base import billing_account_id
from syncapp.connectors.vendors import Vendors
from syncapp.domain.matching import match_key
from syncapp.domain.records import Address, BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.exceptions import (
    Busy,
    HubError,
    IdempotencyConflict,
    Interrupted,
    RequestRefused,
    StillRunning,
    SyncError,
    TransientError,
)
from syncapp.jobs.leases import Held, LeaseLost, lease
from syncapp.models import AccountLink, ApiClient, CheckoutSession, SyncAttempt, SyncSettings
from syncapp.sync.accounts import AccountChoice, Buyer, ensure_contact, match_or_create_account

# A match lease's life; its holder renews it on every answer from Salesforce or billing, so only
# a holder that stopped (a crashed process) lets it run out.
MATCH_LEASE = timedelta(seconds=60)
# A burst for one organisation may not hold every web thread: one request per process waits for
# the match key, the others are told at once to come back (`Busy`, with a time to retry after).
MATCH_WAITERS = 1
BUSY = ("lock_busy", LeaseLost.default_code)
BUSY_RETRY_AFTER = 1  # seconds: about what a checkout holds its match key for


@dataclass(frozen=True)
class Completed:
    """A finished checkout: the buyer's Salesforce Account and Contact and the billing order."""
    checkout_id: str
    salesforce_account_id: str
    salesforce_contact_id: str
    account_match: str
    billing_account_number: str
    billing_order_number: str


@dataclass(frozen=True)
class Answer:
    """The answer the caller gave, made by its `respond`; the session keeps it and replays it."""
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


Respond = Callable[[Completed | HubError], Answer]


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def buyer_from(payload: dict) -> Buyer:
    c = payload["customer"]
    address = Address(**c["address"]) if c.get("address") else None
    contact = Contact(email=c["email"], first_name=c.get("first_name", ""), last_name=c.get("last_name", ""),
                      phone=c.get("phone", ""), address=address)
    return Buyer(contact=contact, company=c.get("company", ""))


def checkout(idempotency_key: str, payload: dict, vendors: Vendors, *, respond: Respond,
             client: ApiClient | None = None) -> Answer:
    """Run (or replay, or resume) the checkout for this key of this API client. `payload` is
    already validated. Every ending is answered by `respond` and recorded on the session, except
    `IdempotencyConflict` and `StillRunning`, which are raised (the session is not this request's).
    Every call `vendors` make is recorded against the session."""
    digest = fingerprint(payload)
    session, _ = CheckoutSession.objects.get_or_create(
        client=client, idempotency_key=idempotency_key,
        defaults={"request_fingerprint": digest, "request": payload, "email": payload["customer"]["email"]})
    if session.request_fingerprint != digest:
        raise IdempotencyConflict("This Idempotency-Key was used with a different request.")
    if session.status in (CheckoutSession.Status.COMPLETED, CheckoutSession.Status.REJECTED):
        return _replay(session)  # a replay needs no lease
    with ExitStack() as held:
        # No waiting for a same-key request that is still running: it may take a while (each
        # outside call has a 30 s read timeout), so the caller is told to retry instead.
        try:
            held.enter_context(lease(f"checkout:{session.pk}", ttl=MATCH_LEASE * 2, wait=0))
        except TransientError:
            raise StillRunning("A request with this Idempotency-Key is still running; retry shortly to get "
                               "its result.") from None
        session.refresh_from_db()
        if session.status in (CheckoutSession.Status.COMPLETED, CheckoutSession.Status.REJECTED):
            return _replay(session)
        run = _Run(session, vendors)
        try:
            result = run.execute()
        except RequestRefused as refused:
            session.status, session.last_error = CheckoutSession.Status.REJECTED, None
            answer = respond(refused)
        except SyncError as err:
            session.status = CheckoutSession.Status.FAILED
            session.last_error = {"vendor": err.vendor, "code": err.code, "message": err.message,
                                  "retryable": err.retryable}
            answer = respond(_stopped(err))
        else:
            session.status, session.last_error = CheckoutSession.Status.COMPLETED, None
            answer = respond(result)
        session.response, session.response_status = answer.body, answer.status
        session.save()
        return answer


def _replay(session: CheckoutSession) -> Answer:
    """The answer a finished session gave (saved together with its final status)."""
    assert session.response_status is not None and session.response is not None
    return Answer(session.response_status, session.response)


def _stopped(err: SyncError) -> HubError:
    """A checkout stopped part-way; the same key again resumes it."""
    if not err.vendor and err.code in BUSY:  # the hub's own lease, not an outside system
        return Busy("Another checkout for the same customer is running; retry shortly.", code="checkout_busy",
                    retry_after=BUSY_RETRY_AFTER)
    return Interrupted(err)


class _Run:
    """The steps of one checkout; each finished step is saved on the session before the next."""

    def __init__(self, session: CheckoutSession, vendors: Vendors):
        self.session = session
        self.payload = session.request
        self.buyer = buyer_from(self.payload)
        self.steps = session.steps
        self.settings = SyncSettings.load()  # read once: the switches hold for the whole checkout
        self.match: Held | None = None
        self._record = SyncAttempt.recorder(checkout=session)
        vendors.recorder = self.record
        self.sf, self.billing = vendors.salesforce, vendors.billing

    def record(self, call) -> None:
        """Store the outside call; and, while the match lease is held, every answer renews it,
        so a holder slowed by timeouts and retries keeps it for as long as it works."""
        self._record(call)
        if self.match is not None:
            self.match.renew()

    def _done(self, step: str, result: dict) -> dict:
        self.steps[step] = result
        self.session.save(update_fields=["steps", "updated_at"])
        return result

    def execute(self) -> Completed:
        catalog = self.billing.catalog()
        self._refuse_what_billing_would(catalog)
        account = self.steps.get("salesforce") or self._resolve_account()
        billing_account = self.steps.get("billing_account") or self._returning_account(account["account_id"])
        order = self.steps.get("billing_order") or self._create_order(account, billing_account, catalog)
        self._link(account, order["account_id"])
        return Completed(
            checkout_id=str(self.session.id),
            salesforce_account_id=account["account_id"], salesforce_contact_id=account["contact_id"],
            account_match=account["account_match"],
            billing_account_number=order["account_id"], billing_order_number=order["order_id"])

    def _refuse_what_billing_would(self, catalog) -> None:
        """What billing would refuse, found before Salesforce is touched (nothing is made for a
        checkout that cannot end in an order): unknown SKUs, a currency a SKU is not priced in.
        Quantities billing takes are whole and positive, as the request's own rules already are."""
        items, currency = self.payload["items"], self.payload["currency"]
        unknown = [i["sku"] for i in items if i["sku"] not in catalog]
        if unknown:
            raise RequestRefused(f"Unknown SKU: {', '.join(unknown)}", code="unknown_sku", details={"skus": unknown})
        priced = sorted({f"{i['sku']} is priced in {catalog[i['sku']].currency}" for i in items
                         if catalog[i["sku"]].currency != currency})
        if priced:
            raise RequestRefused("The request has invalid fields.", details={
                "currency": [f"Not sold in {currency}: {'; '.join(priced)}."]})

    def _resolve_account(self) -> dict:
        """Rules 1-2. The Account is a step of its own, saved before the Contact is created, so a
        retry after a failure in between resumes at the Contact instead of matching again (which
        would find nothing for a public-domain buyer and create a second Account)."""
        public = self.settings.public_domains
        key = f"match:{match_key(self.buyer.email, public)}"
        with lease(key, ttl=MATCH_LEASE, wait=conf.checkout_match_wait(), waiters=MATCH_WAITERS) as self.match:
            try:
                saved = self.steps.get("salesforce_account")
                choice = AccountChoice(**saved) if saved else self._choose_account(public, self.match.fence)
                contact_id, created_contact = ensure_contact(self.sf, self.buyer, choice, self.match.fence)
            finally:
                self.match = None
        return self._done("salesforce", {
            "account_id": choice.account_id, "contact_id": contact_id,
            "account_match": choice.account_match, "created_account": choice.created_account,
            "created_contact": created_contact})

    def _choose_account(self, public_domains, fence: Callable[[], None]) -> AccountChoice:
        choice = match_or_create_account(self.sf, self.buyer, public_domains, fence)
        self.session.other_matches = choice.other_account_ids
        self.steps["salesforce_account"] = asdict(choice)
        self.session.save(update_fields=["other_matches", "steps", "updated_at"])
        return choice

    def _returning_account(self, crm_id: str) -> dict:
        """The buyer's own billing account (by email); else, when staff chose to share them, the
        billing account of the Salesforce Account the buyer was matched to; else none (a new one)."""
        existing = self.billing.find_account_by_email(self.buyer.email)
        if existing is None and self.settings.share_billing_account:
            existing = self.billing.find_account_by_crm_id(crm_id)
        if existing is None:
            return self._done("billing_account", {"account_id": None})
        account_id = billing_account_id(existing, self.billing.provider)
        note = {"account_id": account_id}
        if not existing.crm_id:
            self.billing.set_account_crm_id(account_id, crm_id)
        elif existing.crm_id != crm_id:
            note["crm_id_differs"] = existing.crm_id  # kept as is; staff decide
        return self._done("billing_account", note)

    def _create_order(self, account: dict, billing_account: dict, catalog) -> dict:
        p = self.payload
        lines = tuple(OrderLine(sku=i["sku"], quantity=Decimal(i["quantity"]), list_price=catalog[i["sku"]].list_price,
                                net_price=catalog[i["sku"]].list_price) for i in p["items"])
        customer = None
        if not billing_account["account_id"]:
            customer = Customer(name=self.buyer.account_name, email=self.buyer.email, currency=p["currency"],
                                crm_id=account["account_id"], bill_to=self.buyer.contact)
        # One billing period per order in the domain model: the catalog's, when the cart agrees on one.
        periods = {catalog[i["sku"]].billing_period for i in p["items"]}
        terms = BillingTerms(billing_period=periods.pop() if len(periods) == 1 else BillingTerms.billing_period)
        order = DraftOrder(currency=p["currency"], lines=lines, status=OrderStatus.ACTIVATED, terms=terms,
                           order_date=dt.date.fromisoformat(p["order_date"]) if p.get("order_date")
                           else timezone.localdate(),
                           account_id=billing_account["account_id"], customer=customer)
        created = self.billing.create_order(order, idempotency_key=f"checkout-{self.session.id}-order")
        return self._done("billing_order", {"order_id": created.order_id, "account_id": created.account_id})

    def _link(self, account: dict, billing_account_id: str) -> None:
        AccountLink.objects.update_or_create(
            billing_provider=conf.billing_provider(), billing_account_id=billing_account_id,
            defaults={"salesforce_account_id": account["account_id"], "email": self.buyer.email,
                      "match_key": match_key(self.buyer.email, self.settings.public_domains),
                      "matched_by": account["account_match"]})
