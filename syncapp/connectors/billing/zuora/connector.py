"""`ZuoraConnector`: the `BillingConnector` contract on Zuora's Orders API (see the package)."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import requests
from django.core.exceptions import ImproperlyConfigured

from syncapp import conf
from syncapp.connectors import shared
from syncapp.connectors.billing.base import BillingConnector, billing_order_id
from syncapp.connectors.billing.zuora.client import VENDOR, ZuoraClient, cache_key
from syncapp.connectors.billing.zuora.errors import query_unavailable
from syncapp.connectors.billing.zuora.mapping import (
    BILLING_PERIODS,
    CENT,
    PERIODS_FROM_ZUORA,
    STATUS_FROM_ZUORA,
    STATUS_TO_ZUORA,
    Plan,
    account_body,
    customer_of,
    discount_of,
    json_number,
    line_tokens,
    plans_of,
    rate_plan_tokens,
    subscription_payment_term,
    updated_at,
    url_path,
    zoql_string,
)
from syncapp.connectors.http import DEFAULT_TIMEOUT, Recorder, Timeout
from syncapp.domain.records import BillingTerms, CatalogItem, Customer, DraftOrder, OrderLine, OrderStatus
from syncapp.exceptions import NotFoundError, PermanentError

CATALOG_TTL = 300  # seconds


class ZuoraConnector(ZuoraClient, BillingConnector):
    provider = VENDOR

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 recorder: Recorder | None = None, timeout: Timeout = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None, flexible_billing: bool | None = None):
        super().__init__(base_url, client_id, client_secret, recorder=recorder, timeout=timeout,
                         session=session)
        self._plans: dict[str, Plan] | None = None
        self._read_catalog = False  # this connector's copy came from Zuora, not from the cache
        self._flexible_billing = flexible_billing

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None,
                      timeout: Timeout = DEFAULT_TIMEOUT) -> ZuoraConnector:
        zuora = conf.zuora()
        if not (zuora.base_url and zuora.client_id and zuora.client_secret):
            raise ImproperlyConfigured("ZUORA_BASE_URL, ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET "
                                       "must be set to use Zuora")
        return cls(zuora.base_url, zuora.client_id, zuora.client_secret, recorder=recorder,
                   timeout=timeout)

    @property
    def flexible_billing(self) -> bool:
        """Whether the tenant has Flexible Billing Attributes (`ZUORA_FLEXIBLE_BILLING`;
        docs/vendor-assumptions.md, Zuora)."""
        if self._flexible_billing is None:
            return conf.zuora().flexible_billing
        return self._flexible_billing

    # --- catalog ---------------------------------------------------------------------------
    def catalog(self) -> dict[str, CatalogItem]:
        return {sku: plan.item for sku, plan in self._catalog_plans().items()}

    def _catalog_plans(self, *, reload: bool = False) -> dict[str, Plan]:
        """The catalog: this connector's copy, else the shared one, else read from Zuora. No
        `zuora-version` header, so rate plans come inline
        (assumed: docs/vendor-assumptions.md, Zuora)."""
        key = cache_key("catalog", self.base_url)
        if self._plans is None and not reload:
            self._plans = shared.get(key)
        if self._plans is None or reload:
            plans: dict[str, Plan] = {}
            url: str | None = "/v1/catalog/products"
            while url:
                data = self._call("catalog", "GET", url)
                for product in data.get("products", []):
                    plans.update(plans_of(product))
                url = data.get("nextPage")
            shared.set(key, plans, CATALOG_TTL)
            self._plans, self._read_catalog = plans, True
        return self._plans

    def _plan_for(self, sku: str) -> Plan:
        plan = self._catalog_plans().get(sku)
        if plan is None:  # perhaps added to the catalog since it was cached
            plan = self._catalog_plans(reload=True).get(sku)
        if plan is None:
            raise PermanentError(f"SKU {sku!r} is not sold in Zuora", code="unknown_sku",
                                 vendor=VENDOR, details={"sku": sku})
        return plan

    def _sku_of(self, rate_plan_id: str, fallback: str) -> str:
        """The SKU of a rate plan an order names; a rate plan the cached catalog lacks (added to
        the catalog since) reads the catalog again, unless this connector just read it."""
        for reload in (False,) if self._read_catalog else (False, True):
            for plan in self._catalog_plans(reload=reload).values():
                if plan.rate_plan_id == rate_plan_id:
                    return plan.sku
        return fallback

    # --- accounts --------------------------------------------------------------------------
    def find_account_by_email(self, email: str) -> Customer | None:
        """Zuora compares emails exactly (assumed: docs/vendor-assumptions.md, Zuora), so the hub
        writes them in lower case and asks for the spelling given and its lower case."""
        spellings = sorted({email.strip(), email.strip().lower()})
        try:
            contacts = self._call("find_account_by_email", "GET", "/object-query/contacts", params={
                "filter[]": f"workEmail.IN:[{','.join(spellings)}]", "pageSize": 99})["data"]
        except (NotFoundError, PermanentError) as err:
            if not query_unavailable(err):
                raise
            contacts = [{"id": row["Id"]} for row in self._zoql(
                "find_account_by_email", "select Id from Contact where " + " or ".join(
                    f"WorkEmail = {zoql_string(value)}" for value in spellings))]
        if not contacts:
            return None
        ids = [contact["id"] for contact in contacts]
        return self._first_account("find_account_by_email", "billToId", ids)

    def find_account_by_crm_id(self, crm_id: str) -> Customer | None:
        return self._first_account("find_account_by_crm_id", "crmId", [crm_id.strip()])

    def _first_account(self, operation: str, field: str, values: list[str]) -> Customer | None:
        """The oldest account whose `field` is one of `values`: Object Query, or ZOQL on a tenant
        without it (ZOQL cannot sort, so the oldest is picked here)."""
        condition = (f"{field}.EQ:{values[0]}" if len(values) == 1
                     else f"{field}.IN:[{','.join(values)}]")
        try:
            rows = self._call(operation, "GET", "/object-query/accounts", params={
                "filter[]": condition, "sort[]": "createdDate.ASC", "pageSize": 1})["data"]
        except (NotFoundError, PermanentError) as err:
            if not query_unavailable(err):
                raise
            zoql_field = field[0].upper() + field[1:]
            rows = sorted(self._zoql(operation, "select AccountNumber, CreatedDate from Account "
                                     "where " + " or ".join(f"{zoql_field} = {zoql_string(v)}"
                                                            for v in values)),
                          key=lambda row: row["CreatedDate"])
            rows = [{"accountNumber": row["AccountNumber"]} for row in rows]
        return self.get_account(rows[0]["accountNumber"]) if rows else None

    def get_account(self, account_id: str) -> Customer:
        raw = self._call("get_account", "GET", url_path("/v1/accounts/{}", account_id))
        self._remember_term(raw)
        return customer_of(raw)

    def create_account(self, customer: Customer, *, idempotency_key: str) -> Customer:
        def find_created() -> dict | None:
            found = self.find_account_by_crm_id(customer.crm_id) if customer.crm_id else None
            return {"accountNumber": found.account_id} if found else None

        data = self._keyed("create_account", "POST", "/v1/accounts",
                           account_body(customer, customer.currency, postal="zipCode"),
                           idempotency_key, find_created if customer.crm_id else None)
        return self.get_account(data["accountNumber"])

    def set_account_crm_id(self, account_id: str, crm_id: str) -> None:
        self._call("set_account_crm_id", "PUT", url_path("/v1/accounts/{}", account_id),
                   json={"crmId": crm_id})

    # --- orders ----------------------------------------------------------------------------
    def create_order(self, order: DraftOrder, *, idempotency_key: str) -> DraftOrder:
        if not order.account_id and order.customer is None:
            raise PermanentError("An order needs an account_id or a customer",
                                 code="invalid_order", vendor=VENDOR)

        def send() -> dict:
            body = self._order_body(order, idempotency_key)
            if order.status == OrderStatus.DRAFT:
                body["status"] = "Draft"
            if order.account_id:
                body["existingAccountNumber"] = order.account_id
            elif order.customer is not None:  # one of the two, checked above
                body["newAccount"] = account_body(order.customer, order.currency, order.terms,
                                                   postal="postalCode")
            return self._keyed("create_order", "POST", "/v1/orders", body, idempotency_key,
                               lambda: self._order_with_tokens(body, order.order_date))

        data = self._with_fresh_catalog(send)
        return self.get_order(data["orderNumber"])

    def _order_with_tokens(self, body: dict, order_date: dt.date) -> dict | None:
        """The order a lost attempt may have created: one changed since the day before the order
        date whose rate plans carry this body's uniqueTokens (derived from the idempotency key,
        so every attempt sends the same)."""
        tokens = rate_plan_tokens(body)
        since = min(order_date, dt.date.today()) - dt.timedelta(days=1)
        for raw in self._raw_orders("find_created_order", {
                "pageSize": 40, "dateFilterOption": "updatedDate",
                "startDate": since.isoformat()}):
            if tokens & rate_plan_tokens(raw):
                return {"orderNumber": raw["orderNumber"]}
        return None

    def _raw_orders(self, operation: str, params: dict | None) -> Iterator[dict]:
        """`GET /v1/orders`, every page."""
        url: str | None = "/v1/orders"
        while url:
            data = self._call(operation, "GET", url, params=params)
            params = None  # nextPage carries them
            yield from data.get("orders", [])
            url = data.get("nextPage")

    def _with_fresh_catalog(self, send):
        """`send()`, once more with the catalog read again if Zuora no longer knows a rate plan
        of the cached one (the catalog changed since it was cached)."""
        try:
            return send()
        except PermanentError as err:
            cached = self._catalog_plans()
            if err.code != "unknown_sku" or self._catalog_plans(reload=True) == cached:
                raise
            return send()

    def get_order(self, order_id: str) -> DraftOrder:
        """One call: the order with its account's basic details and bill-to contact (no sold-to
        contact: assumed, docs/vendor-assumptions.md, Zuora)."""
        raw = self._call("get_order", "GET", url_path("/v1/orders/{}", order_id),
                         params={"getAccountDetails": "true"})["order"]
        details = raw.get("existingAccountDetails") or {}
        order = self._with_account_term(raw, self._draft_order(raw), self._account_payment_term,
                                        (details.get("basicInfo") or {}).get("id"))
        return replace(order, customer=customer_of({
            **details, "billingAndPayment": {"currency": order.currency}}))

    @staticmethod
    def _with_account_term(raw: dict, order: DraftOrder, term_of, account_key) -> DraftOrder:
        """Without Flexible Billing Attributes an order's payment term is its account's."""
        if subscription_payment_term(raw):
            return order
        term = term_of(account_key or order.account_id)
        return replace(order, terms=replace(order.terms,
                                            payment_term=term or order.terms.payment_term))

    def _order(self, order_id: str) -> DraftOrder:
        data = self._call("get_order", "GET", url_path("/v1/orders/{}", order_id))
        return self._draft_order(data["order"])

    def update_order(self, order: DraftOrder) -> DraftOrder:
        order_id = billing_order_id(order, VENDOR)

        def send() -> None:
            body = self._order_body(order, order_id)
            if order.account_id:
                body["existingAccountNumber"] = order.account_id
            self._change(order_id, "update_order", "PUT", "/v1/orders/{}", body)

        self._with_fresh_catalog(send)
        return self.get_order(order_id)

    def activate_order(self, order_id: str) -> DraftOrder:
        self._change(order_id, "activate_order", "PUT", "/v1/orders/{}/activate",
                     already=OrderStatus.ACTIVATED)
        return self.get_order(order_id)

    def cancel_order(self, order_id: str) -> DraftOrder:
        self._change(order_id, "cancel_order", "PUT", "/v1/orders/{}/cancel", {},
                     already=OrderStatus.CANCELED)
        return self.get_order(order_id)

    def _change(self, order_id: str, operation: str, method: str, path: str, body=None, *,
                already: OrderStatus | None = None) -> None:
        """A change Zuora allows only on drafts. Refused because the order already is where the
        change leads (`already`): done. Refused because it is no longer a draft:
        `order_not_draft`."""
        try:
            self._call(operation, method, url_path(path, order_id), json=body)
        except PermanentError as err:
            if err.code != "rule_violation":
                raise
            status = self._order(order_id).status
            if status == already:
                return
            if status != OrderStatus.DRAFT:
                raise PermanentError(f"Order {order_id} is {status}, not a draft",
                                     code="order_not_draft", vendor=VENDOR, status=err.status,
                                     details=err.details) from err
            raise

    def delete_order(self, order_id: str) -> None:
        try:
            self._call("delete_order", "DELETE", url_path("/v1/orders/{}", order_id))
        except NotFoundError:
            pass  # already gone: what the caller wanted

    def list_orders(self, *, status: str | None = None, updated_since: dt.datetime | None = None
                    ) -> Iterator[DraftOrder]:
        params: dict[str, Any] = {"pageSize": 40}
        if status:
            params["status"] = STATUS_TO_ZUORA.get(OrderStatus(status), status)
        if updated_since:
            params.update(dateFilterOption="updatedDate",
                          startDate=updated_since.astimezone(dt.UTC).date().isoformat())
        term_of = functools.cache(self._read_payment_term)  # each account read once per listing
        for raw in self._raw_orders("list_orders", params):
            if updated_since is not None and updated_at(raw) < updated_since:
                continue
            try:
                order = self._draft_order(raw)
            except PermanentError as err:
                if err.code != "unsupported_order":
                    raise
                continue  # an order that changes subscriptions is not one the hub syncs
            yield self._with_account_term(raw, order, term_of, None)

    def _account_payment_term(self, account_key: str) -> str | None:
        """The account's payment term, shared through the cache for `CATALOG_TTL` (it changes
        about as rarely as the catalog), by account id: ids are never reused."""
        term = shared.get(cache_key("term", self.base_url, account_key))
        return self._read_payment_term(account_key) if term is None else term or None

    def _read_payment_term(self, account_key: str) -> str | None:
        return self._remember_term(self._call("get_account", "GET",
                                              url_path("/v1/accounts/{}", account_key)))

    def _remember_term(self, account: dict) -> str | None:
        term = (account.get("billingAndPayment") or {}).get("paymentTerm") or ""
        shared.set(cache_key("term", self.base_url, account["basicInfo"]["id"]), term, CATALOG_TTL)
        return term or None

    # --- translation -----------------------------------------------------------------------
    def _order_body(self, order: DraftOrder, seed: str) -> dict:
        tokens = line_tokens(order.lines, seed)
        plans = [self._rate_plan_entry(line, order.terms, token)
                 for line, token in zip(order.lines, tokens)]
        create = {"terms": {"initialTerm": {"termType": "EVERGREEN"}},
                  "subscribeToRatePlans": plans}
        if self.flexible_billing:
            create["paymentTerm"] = order.terms.payment_term
        return {
            "orderDate": order.order_date.isoformat(),
            "customFields": dict(order.custom_fields),
            "subscriptions": [{"orderActions": [{
                "type": "CreateSubscription",
                "triggerDates": [{"name": name, "triggerDate": order.order_date.isoformat()}
                                 for name in ("ContractEffective", "ServiceActivation",
                                              "CustomerAcceptance")],
                "createSubscription": create,
            }]}],
        }

    def _rate_plan_entry(self, line: OrderLine, terms: BillingTerms, token: str) -> dict:
        plan = self._plan_for(line.sku)
        # The net unit price overrides the per-unit charge's price (Zuora's discount override is
        # for discount charges); the list price stays the catalog's.
        pricing = {"recurringPerUnit": {"listPrice": json_number(line.net_price),
                                        "quantity": json_number(line.quantity)}}
        billing: dict[str, Any] = {"billingPeriod": BILLING_PERIODS.get(terms.billing_period,
                                                        terms.billing_period)}
        if terms.bill_cycle_day:
            billing.update(billCycleType="SpecificDayofMonth", billCycleDay=terms.bill_cycle_day)
        return {"productRatePlanId": plan.rate_plan_id, "uniqueToken": token, "chargeOverrides": [{
            "productRatePlanChargeId": plan.charge_id, "billing": billing, "pricing": pricing}]}

    def _draft_order(self, raw: dict) -> DraftOrder:
        lines: list[OrderLine] = []
        terms = BillingTerms()
        other_actions: set[str] = set()
        for sub in raw.get("subscriptions", []):
            for action in sub.get("orderActions", []):
                create = action.get("createSubscription")
                if not create:
                    other_actions.add(str(action.get("type") or "?"))
                    continue
                for entry in create.get("subscribeToRatePlans", []):
                    line, billing = self._line(entry)
                    if not lines:
                        period = billing.get("billingPeriod") or terms.billing_period
                        terms = BillingTerms(
                            billing_period=PERIODS_FROM_ZUORA.get(period, period),
                            payment_term=create.get("paymentTerm") or terms.payment_term,
                            bill_cycle_day=billing.get("billCycleDay"))
                    lines.append(line)
        if not lines and other_actions:
            raise PermanentError(
                f"Zuora order {raw.get('orderNumber')} creates no subscription (its actions: "
                f"{', '.join(sorted(other_actions))}); the hub syncs orders that create one",
                code="unsupported_order", vendor=VENDOR,
                details={"order": raw.get("orderNumber"), "actions": sorted(other_actions)})
        return DraftOrder(
            currency=raw.get("currency") or "USD",
            order_date=dt.date.fromisoformat(raw["orderDate"]), lines=tuple(lines),
            status=STATUS_FROM_ZUORA.get(raw.get("status") or "", OrderStatus.DRAFT),
            order_id=raw["orderNumber"], account_id=raw.get("existingAccountNumber"),
            terms=terms, checkout_url=raw.get("checkoutUrl"),
            custom_fields=tuple(sorted((str(k), str(v)) for k, v in
                                       (raw.get("customFields") or {}).items() if v is not None)),
            updated_at=updated_at(raw) if raw.get("updatedDate") else None)

    def _line(self, entry: dict) -> tuple[OrderLine, dict]:
        """One rate plan of an order read-back (`RatePlanOverride`, its charge a
        `GetChargeOverride`). What the charge does not override (Zuora answers null) is the
        catalog's: the list price, and the billing period. The quantity is the one of whichever
        pricing model the charge has (per unit, volume, tiered). A rate plan the hub did not send
        has no `uniqueToken`; its line is then known by Zuora's id for it (`newRatePlanId`)."""
        charge = (entry.get("chargeOverrides") or [{}])[0]
        pricing = charge.get("pricing") or {}
        per_unit = pricing.get("recurringPerUnit") or {}
        priced = per_unit if per_unit.get("quantity") is not None else next(
            (model for model in pricing.values()
             if isinstance(model, dict) and model.get("quantity") is not None), {})
        quantity = Decimal(str(priced.get("quantity", 1)))
        sku = self._sku_of(entry.get("productRatePlanId", ""),
                           entry.get("productRatePlanNumber", ""))
        plan = self._catalog_plans().get(sku)
        list_price = plan.item.list_price if plan else None
        net = per_unit.get("listPrice")
        net_price = Decimal(str(net if net is not None else list_price or 0)).quantize(CENT)
        if list_price is None:
            list_price = net_price
        line = OrderLine(sku=sku, quantity=quantity, list_price=list_price, net_price=net_price,
                         line_id=entry.get("uniqueToken") or entry.get("newRatePlanId"),
                         discount=discount_of(list_price, net_price))
        billing = dict(charge.get("billing") or {})
        if not billing.get("billingPeriod") and plan:
            billing["billingPeriod"] = plan.item.billing_period
        return line, billing
