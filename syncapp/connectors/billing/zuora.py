"""Zuora (Orders API, REST v1) behind `BillingConnector`.

How the hub's records sit in Zuora:
- a `Customer` is an account: `crmId` holds the Salesforce Account Id, the bill-to contact's
  `workEmail` is the customer's email; accounts are found through Object Query
  (`GET /object-query/accounts?filter[]=crmId.EQ:…`, `/object-query/contacts?filter[]=workEmail…`);
- a `DraftOrder` is an order with one subscription created by one `CreateSubscription` action;
  each `OrderLine` is one subscribed rate plan (found by SKU in the catalog) with one charge
  override carrying quantity, the line's net unit price as `listPrice` (a price override: Zuora's
  discount override belongs to discount charges, the catalog's are per-unit), billing period and
  bill cycle day. The line id is the rate plan's `uniqueToken`, which the hub gives every rate
  plan it sends and Zuora returns on the order read. The payment term is the subscription's
  `paymentTerm` only when the tenant has Flexible Billing Attributes (`ZUORA_FLEXIBLE_BILLING`);
  otherwise it is the account's. Custom fields are the order's `customFields` (`Name__c`).
  `checkoutUrl` comes from the emulator; a real tenant has none (None).
- the OAuth token and the catalog are kept in Django's cache, shared by every job and worker
  process: the token until Zuora's `expires_in` (renewed on a 401), the catalog for
  `CATALOG_TTL` (reloaded when a SKU is not in it).

Errors: an answer with `success: false` is a failure whatever its HTTP status. The eight-digit
codes end in Zuora's documented category, which decides transient vs permanent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.http import (DEFAULT_TIMEOUT, CallRecord, Recorder, Stopwatch, excerpt,
                                     new_session, transport_error)
from syncapp.domain.records import (Address, BillingTerms, CatalogItem, Contact, Customer,
                                    Discount, DraftOrder, OrderLine, OrderStatus)
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError

VENDOR = "zuora"
CATALOG_TTL = 300  # seconds
# Zuora keeps the answer to an Idempotency-Key for 24 hours, failures included.
IDEMPOTENCY_TTL = 24 * 3600
CENT = Decimal("0.01")
# "Cannot find entity by key": Zuora's answer for an order or account key in the URL that does
# not exist (resource code 500000 is what Zuora reports for calls without a payload).
NOT_FOUND_CODES = {50000040}
UNKNOWN_RATE_PLAN_CODES = {53110040, 53120040}  # unknown product rate plan / charge
# Categories (last two digits) Zuora's error-handling guide says are worth retrying: locking
# contention, internal and temporary errors, concurrency limit, external-system errors.
RETRYABLE_CATEGORIES = {50, 60, 61, 70, 99}
CATEGORY_CODES = {10: "permission_denied", 11: "auth_failed", 20: "invalid_value",
                  21: "unknown_field", 22: "missing_field", 23: "missing_parameter",
                  27: "invalid_parameter", 30: "rule_violation", 40: "reference_not_found",
                  45: "unsupported_request", 90: "malformed_request"}
STATUS_FROM_ZUORA = {"Draft": OrderStatus.DRAFT, "Scheduled": OrderStatus.DRAFT,
                     "Pending": OrderStatus.ACTIVATED, "Executing": OrderStatus.ACTIVATED,
                     "Completed": OrderStatus.ACTIVATED, "Cancelled": OrderStatus.CANCELED,
                     "Failed": OrderStatus.CANCELED, "Reverted": OrderStatus.CANCELED}
# The hub's billing periods -> Zuora's `BillingPeriod` enum, where they are spelled differently.
BILLING_PERIODS = {"Semi-Annual": "Semi_Annual", "Semiannual": "Semi_Annual"}
PERIODS_FROM_ZUORA = {"Semi_Annual": "Semi-Annual"}
STATUS_TO_ZUORA = {OrderStatus.DRAFT: "Draft", OrderStatus.ACTIVATED: "Completed",
                   OrderStatus.CANCELED: "Cancelled"}


# One token fetch at a time per process; the token itself is shared through Django's cache, as
# Zuora rate-limits its token endpoint and services build a connector per job.
_tokens_lock = threading.Lock()
_cache_keys: set[str] = set()  # what this process put in the cache, for clear_token_cache


def _cache_key(kind: str, *parts: str) -> str:
    key = f"zuora:{kind}:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    _cache_keys.add(key)
    return key


def clear_token_cache() -> None:
    """Forget the shared token and catalog (tests switch tenants)."""
    cache.delete_many(list(_cache_keys))


@dataclass(frozen=True)
class _Plan:
    sku: str
    rate_plan_id: str
    charge_id: str
    item: CatalogItem


class ZuoraConnector(BillingConnector):
    provider = VENDOR

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 recorder: Recorder | None = None, timeout=DEFAULT_TIMEOUT,
                 session: requests.Session | None = None, flexible_billing: bool | None = None):
        self.base_url = base_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.recorder = recorder
        self.timeout = timeout
        self.session = session or new_session(timeout=timeout)
        self._plans: dict[str, _Plan] | None = None
        self._flexible_billing = flexible_billing

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None,
                      timeout=DEFAULT_TIMEOUT) -> "ZuoraConnector":
        if not (settings.ZUORA_BASE_URL and settings.ZUORA_CLIENT_ID
                and settings.ZUORA_CLIENT_SECRET):
            raise ImproperlyConfigured("ZUORA_BASE_URL, ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET "
                                       "must be set to use Zuora")
        return cls(settings.ZUORA_BASE_URL, settings.ZUORA_CLIENT_ID,
                   settings.ZUORA_CLIENT_SECRET, recorder=recorder, timeout=timeout)

    @property
    def flexible_billing(self) -> bool:
        """Whether the tenant has Flexible Billing Attributes (`ZUORA_FLEXIBLE_BILLING`)."""
        if self._flexible_billing is None:
            return settings.ZUORA_FLEXIBLE_BILLING
        return self._flexible_billing

    # --- catalog ---------------------------------------------------------------------------
    def catalog(self) -> dict[str, CatalogItem]:
        return {sku: plan.item for sku, plan in self._catalog_plans().items()}

    def _catalog_plans(self, *, reload: bool = False) -> dict[str, _Plan]:
        """The catalog: this connector's copy, else the shared one, else read from Zuora."""
        key = _cache_key("catalog", self.base_url)
        if self._plans is None and not reload:
            self._plans = cache.get(key)
        if self._plans is None or reload:
            plans, url = {}, "/v1/catalog/products"
            while url:
                data = self._call("catalog", "GET", url)
                for product in data.get("products", []):
                    plans.update(_plans_of(product))
                url = data.get("nextPage")
            cache.set(key, plans, CATALOG_TTL)
            self._plans = plans
        return self._plans

    def _plan_for(self, sku: str) -> _Plan:
        plan = self._catalog_plans().get(sku)
        if plan is None:  # perhaps added to the catalog since it was cached
            plan = self._catalog_plans(reload=True).get(sku)
        if plan is None:
            raise PermanentError(f"SKU {sku!r} is not sold in Zuora", code="unknown_sku",
                                 vendor=VENDOR, details={"sku": sku})
        return plan

    def _sku_of(self, rate_plan_id: str, fallback: str) -> str:
        for plan in self._catalog_plans().values():
            if plan.rate_plan_id == rate_plan_id:
                return plan.sku
        return fallback

    # --- accounts --------------------------------------------------------------------------
    def find_account_by_email(self, email: str) -> Customer | None:
        """Zuora compares emails exactly (assumed: docs/vendor-assumptions-zuora.md), so the hub
        writes them in lower case and asks for the spelling given and its lower case."""
        spellings = sorted({email.strip(), email.strip().lower()})
        try:
            contacts = self._call("find_account_by_email", "GET", "/object-query/contacts", params={
                "filter[]": f"workEmail.IN:[{','.join(spellings)}]", "pageSize": 99})["data"]
        except (NotFoundError, PermanentError) as err:
            if not _query_unavailable(err):
                raise
            contacts = [{"id": row["Id"]} for row in self._zoql(
                "find_account_by_email", "select Id from Contact where " + " or ".join(
                    f"WorkEmail = {_zoql_string(value)}" for value in spellings))]
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
            if not _query_unavailable(err):
                raise
            zoql_field = field[0].upper() + field[1:]
            rows = sorted(self._zoql(operation, "select AccountNumber, CreatedDate from Account "
                                     "where " + " or ".join(f"{zoql_field} = {_zoql_string(v)}"
                                                            for v in values)),
                          key=lambda row: row["CreatedDate"])
            rows = [{"accountNumber": row["AccountNumber"]} for row in rows]
        return self.get_account(rows[0]["accountNumber"]) if rows else None

    def _zoql(self, operation: str, query: str) -> list[dict]:
        """`POST /v1/action/query`, every page."""
        data = self._call(operation, "POST", "/v1/action/query", json={"queryString": query})
        records = list(data.get("records") or [])
        while not data.get("done", True) and data.get("queryLocator"):
            data = self._call(operation, "POST", "/v1/action/queryMore",
                              json={"queryLocator": data["queryLocator"]})
            records += data.get("records") or []
        return records

    def get_account(self, account_id: str) -> Customer:
        return _customer(self._call("get_account", "GET", _path("/v1/accounts/{}", account_id)))

    def create_account(self, customer: Customer, *, idempotency_key: str) -> Customer:
        def find_created() -> dict | None:
            found = self.find_account_by_crm_id(customer.crm_id)
            return {"accountNumber": found.account_id} if found else None

        data = self._keyed("create_account", "POST", "/v1/accounts",
                           _account_body(customer, customer.currency, postal="zipCode"),
                           idempotency_key, find_created if customer.crm_id else None)
        return self.get_account(data["accountNumber"])

    def set_account_crm_id(self, account_id: str, crm_id: str) -> None:
        self._call("set_account_crm_id", "PUT", _path("/v1/accounts/{}", account_id),
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
            else:
                body["newAccount"] = _account_body(order.customer, order.currency, order.terms,
                                                   postal="postalCode")
            return self._keyed("create_order", "POST", "/v1/orders", body, idempotency_key,
                               lambda: self._order_with_tokens(body, order.order_date))

        data = self._with_fresh_catalog(send)
        return self.get_order(data["orderNumber"])

    def _order_with_tokens(self, body: dict, order_date: dt.date) -> dict | None:
        """The order a lost attempt may have created: one changed since the day before the order
        date whose rate plans carry this body's uniqueTokens (derived from the idempotency key,
        so every attempt sends the same)."""
        tokens = {plan["uniqueToken"] for sub in body["subscriptions"]
                  for action in sub["orderActions"]
                  for plan in action["createSubscription"]["subscribeToRatePlans"]}
        since = min(order_date, dt.date.today()) - dt.timedelta(days=1)
        params: dict | None = {"pageSize": 40, "dateFilterOption": "updatedDate",
                               "startDate": since.isoformat()}
        url: str | None = "/v1/orders"
        while url:
            data = self._call("find_created_order", "GET", url, params=params)
            params = None
            for raw in data.get("orders", []):
                if tokens & {entry.get("uniqueToken") for sub in raw.get("subscriptions", [])
                             for action in sub.get("orderActions", [])
                             for entry in (action.get("createSubscription") or {}).get(
                                 "subscribeToRatePlans", [])}:
                    return {"orderNumber": raw["orderNumber"]}
            url = data.get("nextPage")
        return None

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

    def _keyed(self, operation: str, method: str, path: str, body: dict, key: str,
               find_created=None) -> dict:
        """A create under the caller's idempotency key. Zuora keeps the answer to a key for a
        day, failures included, so a retry with the same key would replay the failure. So:
        - after a failure that did nothing (HTTP 4xx, or 200 with `success: false`), the next
          attempt uses a key of its own ("<key>.2", …);
        - after a 5xx, which may have done the work, the next attempt first asks
          `find_created()` for what that attempt made: if found it is the answer, if not a new
          key is safe. Without a way to look, the key is kept.
        The attempt state is shared through the cache, as retries run in other jobs."""
        slot = _cache_key("idempotency", self.base_url, key)
        attempt, unsure = cache.get(slot, (1, False))
        if unsure and find_created is not None:
            found = find_created()
            if found is not None:
                return found
            attempt += 1
        try:
            data = self._call(operation, method, path, json=body,
                              idempotency_key=key if attempt == 1 else f"{key}.{attempt}")
        except SyncError as err:
            status = err.status or 0
            if status >= 500:
                cache.set(slot, (attempt, True), IDEMPOTENCY_TTL)
            elif status and status not in (401, 409, 429):
                cache.set(slot, (attempt + 1, False), IDEMPOTENCY_TTL)
            raise
        if unsure:  # a later retry replays this answer under this key
            cache.set(slot, (attempt, False), IDEMPOTENCY_TTL)
        return data

    def get_order(self, order_id: str) -> DraftOrder:
        """One call: the order with its account's basic details and bill-to contact. Without
        Flexible Billing Attributes the payment term is the account's, which takes a second."""
        raw = self._call("get_order", "GET", _path("/v1/orders/{}", order_id),
                         params={"getAccountDetails": "true"})["order"]
        order = self._draft_order(raw)
        if _subscription_payment_term(raw):
            details = raw.get("existingAccountDetails") or {}
            return replace(order, customer=_customer({
                **details, "billingAndPayment": {"currency": order.currency}}))
        account = self._call("get_account", "GET", _path("/v1/accounts/{}", order.account_id))
        term = (account.get("billingAndPayment") or {}).get("paymentTerm")
        return replace(order, customer=_customer(account), terms=replace(
            order.terms, payment_term=term or order.terms.payment_term))

    def _order(self, order_id: str) -> DraftOrder:
        data = self._call("get_order", "GET", _path("/v1/orders/{}", order_id))
        return self._draft_order(data["order"])

    def update_order(self, order: DraftOrder) -> DraftOrder:
        def send() -> None:
            body = self._order_body(order, order.order_id)
            if order.account_id:
                body["existingAccountNumber"] = order.account_id
            self._change(order.order_id, "update_order", "PUT", "/v1/orders/{}", body)

        self._with_fresh_catalog(send)
        return self.get_order(order.order_id)

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
            self._call(operation, method, _path(path, order_id), json=body)
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
            self._call("delete_order", "DELETE", _path("/v1/orders/{}", order_id))
        except NotFoundError:
            pass  # already gone: what the caller wanted

    def list_orders(self, *, status: str | None = None, updated_since: dt.datetime | None = None
                    ) -> Iterator[DraftOrder]:
        params = {"pageSize": 40}
        if status:
            params["status"] = STATUS_TO_ZUORA.get(OrderStatus(status), status)
        if updated_since:
            params.update(dateFilterOption="updatedDate",
                          startDate=updated_since.astimezone(dt.timezone.utc).date().isoformat())
        url: str | None = "/v1/orders"
        terms: dict[str, str | None] = {}  # account number -> its payment term, read once
        while url:
            data = self._call("list_orders", "GET", url, params=params)
            params = None  # nextPage carries them
            for raw in data.get("orders", []):
                if updated_since is None or _updated(raw) >= updated_since:
                    order = self._draft_order(raw)
                    if not _subscription_payment_term(raw):
                        if order.account_id not in terms:
                            terms[order.account_id] = self._account_payment_term(
                                order.account_id)
                        order = replace(order, terms=replace(
                            order.terms, payment_term=terms[order.account_id]
                            or order.terms.payment_term))
                    yield order
            url = data.get("nextPage")

    def _account_payment_term(self, account_id: str) -> str | None:
        """Without Flexible Billing Attributes an order's payment term is its account's."""
        account = self._call("get_account", "GET", _path("/v1/accounts/{}", account_id))
        return (account.get("billingAndPayment") or {}).get("paymentTerm")

    # --- translation -----------------------------------------------------------------------
    def _order_body(self, order: DraftOrder, seed: str) -> dict:
        tokens = _line_tokens(order.lines, seed)
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
        pricing = {"recurringPerUnit": {"listPrice": _number(line.net_price),
                                        "quantity": _number(line.quantity)}}
        billing = {"billingPeriod": BILLING_PERIODS.get(terms.billing_period,
                                                        terms.billing_period)}
        if terms.bill_cycle_day:
            billing.update(billCycleType="SpecificDayofMonth", billCycleDay=terms.bill_cycle_day)
        return {"productRatePlanId": plan.rate_plan_id, "uniqueToken": token, "chargeOverrides": [{
            "productRatePlanChargeId": plan.charge_id, "billing": billing, "pricing": pricing}]}

    def _draft_order(self, raw: dict) -> DraftOrder:
        lines, terms = [], BillingTerms()
        for sub in raw.get("subscriptions", []):
            for action in sub.get("orderActions", []):
                create = action.get("createSubscription") or {}
                for entry in create.get("subscribeToRatePlans", []):
                    line, billing = self._line(entry)
                    if not lines:
                        period = billing.get("billingPeriod", terms.billing_period)
                        terms = BillingTerms(
                            billing_period=PERIODS_FROM_ZUORA.get(period, period),
                            payment_term=create.get("paymentTerm") or terms.payment_term,
                            bill_cycle_day=billing.get("billCycleDay"))
                    lines.append(line)
        return DraftOrder(
            currency=raw.get("currency") or "USD",
            order_date=dt.date.fromisoformat(raw["orderDate"]), lines=tuple(lines),
            status=STATUS_FROM_ZUORA.get(raw.get("status"), OrderStatus.DRAFT),
            order_id=raw["orderNumber"], account_id=raw.get("existingAccountNumber"),
            terms=terms, checkout_url=raw.get("checkoutUrl"),
            custom_fields=tuple(sorted((str(k), str(v)) for k, v in
                                       (raw.get("customFields") or {}).items() if v is not None)))

    def _line(self, entry: dict) -> tuple[OrderLine, dict]:
        """One rate plan of an order read-back (`RatePlanOverride`, its charge a
        `GetChargeOverride`)."""
        charge = (entry.get("chargeOverrides") or [{}])[0]
        per_unit = (charge.get("pricing") or {}).get("recurringPerUnit") or {}
        quantity = Decimal(str(per_unit.get("quantity", 1)))
        sku = self._sku_of(entry.get("productRatePlanId", ""),
                           entry.get("productRatePlanNumber", ""))
        plan = self._catalog_plans().get(sku)
        list_price = plan.item.list_price if plan else None
        net_price = Decimal(str(per_unit.get("listPrice", list_price or 0))).quantize(CENT)
        if list_price is None:
            list_price = net_price
        line = OrderLine(sku=sku, quantity=quantity, list_price=list_price, net_price=net_price,
                         line_id=entry.get("uniqueToken"),
                         discount=_discount(list_price, net_price))
        return line, charge.get("billing") or {}

    # --- HTTP ------------------------------------------------------------------------------
    def _call(self, operation: str, method: str, path: str, *, json=None, params=None,
              idempotency_key: str | None = None) -> dict:
        """One REST call with the cached token; a 401 refreshes the token and retries once."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        token = self._access_token()
        headers = {"Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {token}"
            response, data, error = self._send(operation, method, url, json=json,
                                               params=params, headers=headers)
            if response is not None and response.status_code == 401 and attempt == 1:
                token = self._access_token(rejected=token)
                continue
            if error is not None:
                raise error
            return data
        raise AssertionError("unreachable")

    def _send(self, operation: str, method: str, url: str, **kwargs):
        """Send one request and report it to the recorder: `(response, data, error)`."""
        record = CallRecord(vendor=VENDOR, operation=operation, method=method, url=url,
                            request_excerpt=excerpt(kwargs.get("json") or kwargs.get("data")))
        if "Idempotency-Key" in kwargs.get("headers", {}):
            record.extra["idempotency_key"] = kwargs["headers"]["Idempotency-Key"]
        response, data, error = None, {}, None
        with Stopwatch() as watch:
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as err:
                error = transport_error(VENDOR, err)
        if response is not None:
            data = _json(response)
            error = _error_for(response, data)
            record.status, record.response_excerpt = response.status_code, excerpt(response.text)
        record.duration_ms, record.ok = watch.ms, error is None
        record.error_code = error.code if error else ""
        if self.recorder is not None:
            self.recorder(record)
        return response, data, error

    def _access_token(self, rejected: str | None = None) -> str:
        """The shared token, or a new one when it is about to expire or was just rejected."""
        key = _cache_key("token", self.base_url, self.client_id)
        cached = cache.get(key)
        if cached and cached != rejected:
            return cached
        with _tokens_lock:
            cached = cache.get(key)
            if cached and cached != rejected:
                return cached
            form = {"client_id": self.client_id, "client_secret": self.client_secret,
                    "grant_type": "client_credentials"}
            response, data, error = self._send("oauth_token", "POST",
                                               f"{self.base_url}/oauth/token", data=form,
                                               headers={"Accept": "application/json"})
            if error is not None:
                if response is not None and response.status_code in (400, 401, 403):
                    raise PermanentError("Zuora refused the OAuth client credentials",
                                         code="auth_failed", vendor=VENDOR,
                                         status=response.status_code, details=data) from error
                raise error
            lifetime = float(data.get("expires_in") or 3600)
            # Renewed a little before Zuora expires it, so no call leaves with a dying token.
            cache.set(key, data["access_token"], lifetime - min(60.0, lifetime / 10))
            return data["access_token"]


# --- Zuora shapes <-> domain records ---------------------------------------------------------
def _plans_of(product: dict) -> dict[str, _Plan]:
    """SKU -> plan for a catalog product (the product's `sku`; one rate plan and one charge)."""
    plans = {}
    for rate_plan in product.get("productRatePlans", []):
        charges = rate_plan.get("productRatePlanCharges") or [{}]
        charge = charges[0]
        prices = charge.get("pricing") or [{}]
        sku = product.get("sku") or rate_plan.get("productRatePlanNumber")
        item = CatalogItem(sku=sku, name=product.get("name", sku),
                           list_price=Decimal(str(prices[0].get("price", 0))).quantize(CENT),
                           currency=prices[0].get("currency", "USD"),
                           billing_period=charge.get("billingPeriod", "Month"))
        plans[sku] = _Plan(sku, rate_plan["id"], charge.get("id", ""), item)
    return plans


def _contact(raw: dict | None) -> Contact | None:
    """A contact as Zuora reads it back (`Contact`: `zipCode`, and `postalCode` in newer
    tenants)."""
    if not raw:
        return None
    postal_code = raw.get("zipCode") or raw.get("postalCode") or ""
    address = Address(line1=raw.get("address1") or "", city=raw.get("city") or "",
                      state=raw.get("state") or "", postal_code=postal_code,
                      country=raw.get("country") or "")
    return Contact(email=raw.get("workEmail") or "", first_name=raw.get("firstName") or "",
                   last_name=raw.get("lastName") or "", phone=raw.get("workPhone") or "",
                   address=address if any(vars(address).values()) else None)


def _customer(raw: dict) -> Customer:
    basic, billing = raw["basicInfo"], raw.get("billingAndPayment") or {}
    bill_to, sold_to = _contact(raw.get("billToContact")), _contact(raw.get("soldToContact"))
    return Customer(name=basic["name"], email=bill_to.email if bill_to else "",
                    currency=billing.get("currency") or "USD",
                    account_id=basic["accountNumber"], crm_id=basic.get("crmId") or None,
                    bill_to=bill_to, sold_to=sold_to)


def _contact_body(contact: Contact, customer: Customer, postal: str) -> dict:
    """Zuora requires first and last name; a customer known only by email and company name gets
    the email's local part and the company name. `postal` is how the endpoint spells the postal
    code: `postalCode` in an order's `newAccount`, `zipCode` for `POST /v1/accounts`. The email
    is written in lower case, so that exact-match lookups find it (`find_account_by_email`)."""
    address = contact.address or Address()
    body = {"firstName": contact.first_name or contact.email.split("@")[0] or customer.name,
            "lastName": contact.last_name or customer.name,
            "workEmail": contact.email.strip().lower(), "workPhone": contact.phone,
            "address1": address.line1, "city": address.city, "state": address.state,
            postal: address.postal_code, "country": address.country}
    return {k: v for k, v in body.items() if v}


def _account_body(customer: Customer, currency: str, terms: BillingTerms | None = None, *,
                  postal: str) -> dict:
    bill_to = customer.bill_to or Contact(email=customer.email)
    body = {"name": customer.name, "currency": currency or customer.currency, "autoPay": False,
            "billCycleDay": (terms.bill_cycle_day if terms and terms.bill_cycle_day else 0),
            "billToContact": _contact_body(bill_to, customer, postal)}
    if customer.sold_to:
        body["soldToContact"] = _contact_body(customer.sold_to, customer, postal)
    if customer.crm_id:
        body["crmId"] = customer.crm_id
    if terms:
        body["paymentTerm"] = terms.payment_term
    return body


def _discount(list_price: Decimal, net_price: Decimal) -> Discount | None:
    """What a net price below list reads back as: Zuora keeps only the price, so the discount is
    the percentage off when it gives the net price to the cent, else the unit amount off."""
    if not list_price or net_price >= list_price:
        return None
    percent = ((1 - net_price / list_price) * 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if (list_price * (1 - percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP) == net_price:
        return Discount(percent=percent.normalize())
    return Discount(amount=list_price - net_price)


def _line_tokens(lines, seed: str) -> list[str]:
    """A `uniqueToken` for every rate plan: a line's own id, else one derived from `seed` (the
    idempotency key, or the order number) and the line's place, so a retry sends the same body.
    At most 50 characters; unique across orders too, as Salesforce upserts lines by it."""
    used, tokens, n = {line.line_id for line in lines if line.line_id}, [], 0
    for line in lines:
        token = line.line_id
        while not token or token in used and not line.line_id:
            n += 1
            token = "L" + hashlib.sha256(f"{seed}\n{n}".encode()).hexdigest()[:20]
        used.add(token)
        tokens.append(token)
    return tokens


def _subscription_payment_term(raw: dict) -> str | None:
    for sub in raw.get("subscriptions", []):
        for action in sub.get("orderActions", []):
            term = (action.get("createSubscription") or {}).get("paymentTerm")
            if term:
                return term
    return None


def _query_unavailable(err: SyncError) -> bool:
    """A tenant without Object Query answers 404 or refuses the request as unsupported
    (assumed: docs/vendor-assumptions-zuora.md)."""
    return isinstance(err, NotFoundError) or err.code in ("unsupported_request",
                                                          "permission_denied")


def _zoql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _path(template: str, key: str) -> str:
    return template.format(quote(str(key), safe=""))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _json(response: requests.Response):
    """The decoded body: {} when there is none, None when it is not JSON."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return None


def _updated(raw: dict) -> dt.datetime:
    """Zuora's `updatedDate` ("2026-11-22 10:00:00", tenant time; the sandbox's is UTC)."""
    stamp = dt.datetime.strptime(raw["updatedDate"], "%Y-%m-%d %H:%M:%S")
    return stamp.replace(tzinfo=dt.timezone.utc)


def _error_for(response: requests.Response, data) -> SyncError | None:
    """Map one answer onto the taxonomy; None when it succeeded."""
    status = response.status_code
    if data is None and 200 <= status < 300:
        # Zuora answers JSON, even its errors; a page in its place is someone else's (a portal,
        # a proxy) and says nothing about whether Zuora did the work.
        return TransientError("Zuora answered with a body that is not JSON",
                              code="invalid_response", vendor=VENDOR, status=status,
                              details={"http_status": status})
    body = data if isinstance(data, dict) else {}
    if body.get("success") is True and status in (200, 201, 409):
        return None  # 409 + success: a replay of the first answer to this idempotency key
    if 200 <= status < 300 and body.get("success") is not False:
        return None
    reasons = body.get("reasons") or []
    codes = [int(r["code"]) for r in reasons if str(r.get("code", "")).isdigit()]
    message = "; ".join(str(r.get("message", "")) for r in reasons) or \
        body.get("error_description") or f"HTTP {status}"
    details = {"http_status": status, "reasons": reasons, "process_id": body.get("processId")}
    common = {"vendor": VENDOR, "status": status, "details": details}
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After")
        return TransientError(message, code="rate_limited" if status == 429 else "server_error",
                              retry_after=float(retry_after) if retry_after and
                              retry_after.isdigit() else None, **common)
    if status == 401:
        return TransientError(message, code="unauthorized", **common)
    if status == 404 or NOT_FOUND_CODES.intersection(codes):
        return NotFoundError(message, code="not_found", **common)
    if UNKNOWN_RATE_PLAN_CODES.intersection(codes):
        return PermanentError(message, code="unknown_sku", **common)
    if any(code % 100 in RETRYABLE_CATEGORIES for code in codes):
        return TransientError(message, code="zuora_retryable", **common)
    if status == 409:
        return TransientError(message, code="idempotency_in_progress", **common)
    if status == 422:
        return PermanentError(message, code="idempotency_conflict", **common)
    category = codes[0] % 100 if codes else None
    return PermanentError(message, code=CATEGORY_CODES.get(category, "rejected"), **common)
