"""Nue's self-service REST API behind `BillingConnector`.

Every call sends the `nue-api-key` header; creates send an `Idempotency-Key`. Nue answers
`{"status": "success", "data": …}` or `{"status": "failed", "errors": [{"code", "message",
"field"}]}`; failures map onto the taxonomy: 5xx, 429 and no answer → `TransientError`; the codes
in `NOT_FOUND_CODES` → `NotFoundError`; everything else → `PermanentError` carrying Nue's code and
its `errors` in `details` (unknown products as `unknown_sku`, a non-draft as `order_not_draft`).

Shapes follow Nue's Self-Service API reference; what it leaves open is listed, with what
breaks if it is wrong, in docs/vendor-assumptions.md (Nue). The account is a Nue customer (`id`;
`externalId` = Salesforce Account Id; contacts with `billToContactId` and `orderPrimaryContactId`
— a sold-to that is the bill-to contact reads back as `sold_to=None`). An order is created as
Nue documents it: `customer: {id}` (a new customer is created first), `effectiveDate`, and
`orderProducts` naming a `priceBookEntryId` from `GET /catalog/products` with `quantity` and
`subscriptionStartDate`. Orders are listed per customer (`GET /orders` requires `customerIds`).
Amounts are per billing period.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from syncapp import conf
from syncapp.connectors.billing.base import BillingConnector, billing_order_id
from syncapp.connectors.http import (
    DEFAULT_TIMEOUT,
    CallRecord,
    Recorder,
    Stopwatch,
    Timeout,
    excerpt,
    new_session,
    transport_error,
)
from syncapp.domain.records import (
    Address,
    BillingTerms,
    CatalogItem,
    Contact,
    Customer,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError, UnsupportedError

VENDOR = "nue"
# Nue's error codes are assumed (docs/vendor-assumptions.md, Nue): the self-service pages show none.
NOT_FOUND_CODES = frozenset({"ORDER_NOT_FOUND", "CUSTOMER_NOT_FOUND"})
UNKNOWN_SKU_CODES = frozenset({"PRODUCT_NOT_FOUND", "PRICE_BOOK_ENTRY_NOT_FOUND"})
NOT_DRAFT_CODES = frozenset({"INVALID_ORDER_STATUS"})
STATUS_FILTER = {OrderStatus.DRAFT: "draft", OrderStatus.ACTIVATED: "active",
                 OrderStatus.CANCELED: "canceled"}
# Nue's order data reference spells the statuses Draft/Activated/Canceled; its activation guide
# says "active". Both spellings are read (assumption: docs/vendor-assumptions.md, Nue).
STATUSES = {"draft": OrderStatus.DRAFT, "activated": OrderStatus.ACTIVATED,
            "active": OrderStatus.ACTIVATED, "canceled": OrderStatus.CANCELED,
            "cancelled": OrderStatus.CANCELED}
# Calls on an order whose endpoint Nue's reference does not document → the action, and what a
# person does in Nue instead when the endpoint turns out to be absent.
ASSUMED_OPERATIONS = {"get_order": ("get", "look the order up"),
                      "update_order": ("update", "change the order"),
                      "cancel_order": ("cancel", "cancel the order"),
                      "delete_order": ("delete", "delete the order")}
NO_ROUTE_CODES = frozenset({"METHOD_NOT_ALLOWED"})
CUSTOM_SUFFIX = "__c"
CATALOG_TTL = 300.0
PAGE_SIZE = 100
CENT = Decimal("0.01")
# An order the hub creates says which request made it (its `description`), so a retry after an
# unknown outcome can find it; how long a create sent under a key is remembered.
REQUEST_MARK = "Order Sync Hub request "
SENT_TTL = 24 * 3600


class NueConnector(BillingConnector):
    provider = VENDOR
    # Nue's reference documents creating, activating and listing orders, not these
    # (docs/vendor-assumptions.md, Nue).
    assumed_actions = frozenset(action for action, _ in ASSUMED_OPERATIONS.values())

    def __init__(self, base_url: str, api_key: str, *, recorder: Recorder | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, page_size: int = PAGE_SIZE):
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.api_key = api_key
        self.recorder = recorder
        self.session = new_session(timeout=timeout)
        # (read at, SKU → catalog item, SKU → price book entry id)
        self._catalog: tuple[float, dict[str, CatalogItem], dict[str, str]] | None = None

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None,
                      timeout: Timeout = DEFAULT_TIMEOUT) -> NueConnector:
        nue = conf.nue()
        base_url, api_key = nue.base_url, nue.api_key
        if not base_url or not api_key:
            raise ImproperlyConfigured(
                "NUE_BASE_URL and NUE_API_KEY must be set for BILLING_PROVIDER=nue")
        return cls(base_url, api_key, recorder=recorder, timeout=timeout)

    # --- catalog ---------------------------------------------------------------------------
    def catalog(self) -> dict[str, CatalogItem]:
        if self._catalog and time.monotonic() - self._catalog[0] < CATALOG_TTL:
            return self._catalog[1]
        products = self._call("catalog", "GET", "/catalog/products")
        items, entries = {}, {}
        for product in products if isinstance(products, list) else []:
            # One price book entry per product is assumed (docs/vendor-assumptions.md, Nue).
            for entry in (product.get("priceBookEntries") or [])[:1]:
                items[product["sku"]] = CatalogItem(
                    sku=product["sku"], name=product.get("name") or product["sku"],
                    list_price=_money(entry["listPrice"]),
                    currency=entry.get("currencyIsoCode") or "USD",
                    billing_period=entry.get("billingPeriod") or "Month")
                entries[product["sku"]] = entry["id"]
        self._catalog = (time.monotonic(), items, entries)
        return items

    def _catalog_entries(self) -> tuple[dict[str, CatalogItem], dict[str, str]]:
        """The catalog and, by SKU, its price book entry ids (read when not fresh)."""
        items = self.catalog()
        assert self._catalog is not None  # catalog() just read it
        return items, self._catalog[2]

    def _price_book(self, order: DraftOrder) -> dict[str, tuple[CatalogItem, str]]:
        """SKU → (catalog item, price book entry id) for the order's lines; a SKU Nue does not
        sell is refused before any order call, as Nue would refuse it."""
        items, entries = self._catalog_entries()
        unknown = sorted({line.sku for line in order.lines} - set(entries))
        if unknown:
            raise PermanentError(f"Nue publishes no price book entry for {', '.join(unknown)}",
                                 code="unknown_sku", vendor=VENDOR, details={"skus": unknown})
        return {line.sku: (items[line.sku], entries[line.sku]) for line in order.lines}

    # --- accounts --------------------------------------------------------------------------
    def find_account_by_email(self, email: str) -> Customer | None:
        return self._find_customer("find_account_by_email", {"email": email.strip()})

    def find_account_by_crm_id(self, crm_id: str) -> Customer | None:
        # `externalId` as the Salesforce Account Id is an assumption (vendor-assumptions.md).
        return self._find_customer("find_account_by_crm_id", {"externalId": crm_id})

    def _find_customer(self, operation: str, filters: dict) -> Customer | None:
        found = self._call(operation, "GET", "/customers", params={**filters, "limit": 200})["data"]
        if not found:
            return None
        return customer_from_nue(min(found, key=lambda c: (c.get("createdDate") or "", c["id"])))

    def get_account(self, account_id: str) -> Customer:
        data = self._call("get_account", "GET", f"/customers/{_id(account_id)}")["data"]
        return customer_from_nue(data)

    def create_account(self, customer: Customer, *, idempotency_key: str) -> Customer:
        body = [customer_to_nue(customer)]
        found = self._customer_made_before(idempotency_key, body, customer)
        if found is not None:
            return found
        created = self._sent_once(idempotency_key, body, lambda: self._call(
            "create_account", "POST", "/customers", json=body, idempotency_key=idempotency_key))["data"]
        return customer_from_nue(created[0])

    def _customer_made_before(self, key: str, body: list, customer: Customer) -> Customer | None:
        """The customer an earlier attempt under `key` may have made, found the
        way Nue documents customers are filtered: by `externalId` (the CRM id the hub writes) when
        it has one, else by `email`; the newest match is taken."""
        if not self._sent_before(key, body):
            return None
        filters = {"externalId": customer.crm_id} if customer.crm_id else {"email": customer.email.strip()}
        found = self._call("find_created_account", "GET", "/customers", params={**filters, "limit": 200})["data"]
        if not found:
            return None
        return customer_from_nue(max(found, key=lambda c: (c.get("createdDate") or "", c["id"])))

    def set_account_crm_id(self, account_id: str, crm_id: str) -> None:
        self._call("set_account_crm_id", "PATCH", f"/customers/{_id(account_id)}",
                   json={"externalId": crm_id})

    # --- orders ----------------------------------------------------------------------------
    def create_order(self, order: DraftOrder, *, idempotency_key: str) -> DraftOrder:
        if not (order.account_id or order.customer):
            raise PermanentError("An order needs account_id or a customer", code="invalid_order",
                                 vendor=VENDOR)
        body = order_to_nue(order, self._price_book(order))
        account_id = order.account_id
        if not account_id:  # Nue's order takes only `customer: {id}`: create the customer first
            assert order.customer is not None  # checked above
            account_id = self.create_account(order.customer,
                                             idempotency_key=f"{idempotency_key}:customer"
                                             ).account_id
        marker = f"{REQUEST_MARK}{idempotency_key}"
        body = {"customer": {"id": account_id}, **body, "description": marker, "options": {}}
        found = self._made_before(idempotency_key, body, account_id, marker)
        if found is not None:
            created = self._order(found)
        else:
            data = self._sent_once(idempotency_key, body, lambda: self._call(
                "create_order", "POST", "/orders", json=body,
                idempotency_key=idempotency_key))["data"]
            created = self._order(data["order"])
        # Nue creates drafts; a completed order is the draft activated (safe to repeat).
        if order.status == OrderStatus.ACTIVATED:
            return self.activate_order(billing_order_id(created, VENDOR))
        if order.status == OrderStatus.CANCELED:
            return self.cancel_order(billing_order_id(created, VENDOR))
        return created

    def _sent_once(self, key: str, body, send):
        """`send()` a create, remembering that `body` went out under `key`: the next attempt under
        the same key looks for what it made first. That covers an unknown outcome (no answer, or a
        5xx) and a caller that failed later and starts again — a checkout whose order create was
        lost after its customer was made must not make a second customer. A refusal made nothing:
        it is forgotten, so a corrected request may use the key."""
        slot = _sent_slot(self.base_url, key)
        cache.set(slot, _digest(body), SENT_TTL)
        try:
            return send()
        except PermanentError:
            cache.delete(slot)
            raise

    def _sent_before(self, key: str, body) -> bool:
        """Whether a create went out under `key`; the same key with another body is the caller's
        mistake, refused as Nue's idempotent APIs would."""
        sent = cache.get(_sent_slot(self.base_url, key))
        if sent and sent != _digest(body):
            raise PermanentError(f"Idempotency key {key} was already used for another request",
                                 code="IDEMPOTENCY_KEY_REUSED", vendor=VENDOR)
        return bool(sent)

    def _made_before(self, key: str, body: dict, account_id: str, marker: str) -> dict | None:
        """The order an earlier attempt under `key` may have made: Nue keeps no
        idempotency key (docs/vendor-assumptions.md, Nue), so the customer's orders are listed and
        the one whose `description` carries this request's mark is taken."""
        if not self._sent_before(key, body):
            return None
        answer = self._call("find_created_order", "GET", "/orders",
                            params={"customerIds": json.dumps([account_id])})
        for data in answer["data"]:
            if data.get("description") == marker:
                return data
        return None

    def _fetch_order(self, order_id: str) -> dict:
        # `GET /orders/{id}` is an assumption (docs/vendor-assumptions.md, Nue).
        return self._call("get_order", "GET", f"/orders/{_id(order_id)}")["data"]

    def get_order(self, order_id: str) -> DraftOrder:
        data = self._fetch_order(order_id)
        customer = self.get_account(data["customerId"])
        return self._order(data, customer=customer)

    def update_order(self, order: DraftOrder) -> DraftOrder:
        # `PATCH /orders/{id}` is an assumption (docs/vendor-assumptions.md, Nue).
        order_id = billing_order_id(order, VENDOR)
        current = self._fetch_order(order_id)
        if status_from_nue(current.get("status")) != OrderStatus.DRAFT:
            raise PermanentError(f"Order {order.order_id} is {current.get('status')}, not a draft",
                                 code="order_not_draft", vendor=VENDOR)
        body = order_to_nue(order, self._price_book(order), with_line_ids=True)
        body["billCycleDay"] = order.terms.bill_cycle_day  # null clears it: the sender wins
        for name in current:  # custom fields the sender no longer has are cleared
            if name.endswith(CUSTOM_SUFFIX) and name not in body:
                body[name] = None
        answer = self._call("update_order", "PATCH", f"/orders/{_id(order_id)}", json=body)
        return self._order(answer["data"]["order"])

    def activate_order(self, order_id: str) -> DraftOrder:
        try:
            answer = self._call("activate_order", "POST", f"/orders/{_id(order_id)}",
                                json={"options": {}})
        except PermanentError as err:
            if err.code != "order_not_draft":
                raise
            current = self._order(self._fetch_order(order_id))
            if current.status != OrderStatus.ACTIVATED:
                raise
            return current
        return self._order(answer["data"]["order"])

    def cancel_order(self, order_id: str) -> DraftOrder:
        # `POST /orders/{id}/cancel` is an assumption (docs/vendor-assumptions.md, Nue).
        data = self._call("cancel_order", "POST", f"/orders/{_id(order_id)}/cancel")["data"]
        return self._order(data["order"])

    def delete_order(self, order_id: str) -> None:
        # `DELETE /orders/{id}` is an assumption (docs/vendor-assumptions.md, Nue).
        try:
            self._call("delete_order", "DELETE", f"/orders/{_id(order_id)}")
        except NotFoundError:
            pass  # already gone

    def list_orders(self, *, status: str | None = None,
                    updated_since: dt.datetime | None = None) -> Iterator[DraftOrder]:
        """Nue lists orders only for named customers (`customerIds` is required), so this walks
        the customers page by page and asks for each page's orders in one call."""
        params: dict = {}
        if status:
            params["status"] = STATUS_FILTER[OrderStatus(status)]
        for customer_ids in self._customer_id_pages():
            answer = self._call("list_orders", "GET", "/orders",
                                params={**params, "customerIds": json.dumps(customer_ids)})
            for data in answer["data"]:
                if updated_since is None or _changed_since(data, updated_since):
                    yield self._order(data)

    def _customer_id_pages(self):
        # `page`/`limit` paging of customers is assumed (docs/vendor-assumptions.md, Nue).
        page = 1
        while True:
            answer = self._call("list_customers", "GET", "/customers",
                                params={"page": page, "limit": self.page_size})
            ids = [customer["id"] for customer in answer["data"]]
            if ids:
                yield ids
            if len(ids) < self.page_size:
                return
            page += 1

    def _order(self, data: dict, *, customer: Customer | None = None) -> DraftOrder:
        skus = {entry: sku for sku, entry in self._catalog_entries()[1].items()}
        return order_from_nue(data, customer=customer, skus=skus)

    # --- HTTP ------------------------------------------------------------------------------
    def _call(self, operation: str, method: str, path: str, *, params=None, json=None,
              idempotency_key: str | None = None):
        """One request; returns the decoded body or raises the taxonomy. Always recorded."""
        headers = {"nue-api-key": self.api_key, "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key  # assumed honoured: docs/vendor-assumptions.md, Nue
        record = CallRecord(vendor=VENDOR, operation=operation, method=method,
                            url=self.base_url + path, request_excerpt=excerpt(json))
        watch = Stopwatch()
        try:
            with watch:
                response = self.session.request(method, self.base_url + path, params=params,
                                                json=json, headers=headers)
            record.url, record.status = response.url, response.status_code
            record.response_excerpt = excerpt(response.text)
            return _decode(response)
        except requests.RequestException as err:
            raise self._failed(record, transport_error(VENDOR, err)) from err
        except SyncError as err:
            raise self._failed(record, _unsupported(operation, method, path, err) or err) from None
        finally:
            record.duration_ms = getattr(watch, "ms", 0.0)
            if self.recorder:
                self.recorder(record)

    @staticmethod
    def _failed(record: CallRecord, err: SyncError) -> SyncError:
        record.ok, record.error_code = False, err.code
        return err


# --- answers and errors ------------------------------------------------------------------------
def _decode(response: requests.Response):
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    failed = isinstance(body, dict) and body.get("status") == "failed"
    if response.status_code >= 400 or failed:
        raise error_from_response(response, body)
    if body is None:
        raise TransientError("Nue answered without a JSON body", code="invalid_response",
                             vendor=VENDOR, status=response.status_code)
    return body


def error_from_response(response: requests.Response, body: object) -> SyncError:
    status = response.status_code
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = [e for e in errors or [] if isinstance(e, dict)]
    first = errors[0] if errors else {}
    code = str(first.get("code") or f"http_{status}")
    message = first.get("message") or f"Nue answered HTTP {status}"
    # Nue's own answer (its error envelope) or something in front of it (a gateway's 404 for a
    # route it does not serve): docs/vendor-assumptions.md, Nue.
    from_nue = isinstance(body, dict) and body.get("status") == "failed"
    details = {"errors": errors, "from_nue": from_nue}
    if status == 429 or status >= 500:
        return TransientError(message, code=code, vendor=VENDOR, status=status, details=details,
                              retry_after=_retry_after(response))
    if code in NOT_FOUND_CODES or (status == 404 and from_nue and code not in NO_ROUTE_CODES):
        return NotFoundError(message, code=code, vendor=VENDOR, status=status, details=details)
    if any(e.get("code") in UNKNOWN_SKU_CODES for e in errors):
        code = "unknown_sku"
    elif code in NOT_DRAFT_CODES:
        code = "order_not_draft"
    return PermanentError(message, code=code, vendor=VENDOR, status=status, details=details)


def _unsupported(operation: str, method: str, path: str, err: SyncError) -> SyncError | None:
    """An assumed endpoint that Nue answers as absent: 405, or a 404 that is not Nue's error
    envelope (or names no route). A 404 in Nue's envelope is about the order: not found."""
    absent = err.status == 405 or (err.status == 404 and (
        err.code in NO_ROUTE_CODES or not err.details.get("from_nue")))
    if operation not in ASSUMED_OPERATIONS or not absent:
        return None
    instead = ASSUMED_OPERATIONS[operation][1]
    return UnsupportedError(
        f"Nue's API does not offer this: {method} {path} answered HTTP {err.status}. The hub "
        f"assumed the endpoint (docs/vendor-assumptions.md, Nue); {instead} in Nue itself.",
        vendor=VENDOR, status=err.status, details=err.details)


def _sent_slot(base_url: str, key: str) -> str:
    return "nue:sent:" + hashlib.sha256(f"{base_url}\n{key}".encode()).hexdigest()[:32]


def _digest(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _id(value: str) -> str:
    """An id as one path segment, whatever it contains."""
    return quote(str(value), safe="")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


# --- translation -------------------------------------------------------------------------------
def _money(value) -> Decimal:
    number = Decimal(str(value))
    exponent = number.as_tuple().exponent
    return number.quantize(CENT) if isinstance(exponent, int) and exponent >= -2 else number.normalize()


def _plain(value) -> Decimal:
    """A quantity or percentage without float noise: 3.0 → 3, 12.5 → 12.5."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _num(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _contact_to_nue(contact: Contact, roles: list[str]) -> dict:
    address = contact.address or Address()
    return {"firstName": contact.first_name if contact.last_name else "",
            # Nue requires a last name; a name given only as a first name is sent as the last one.
            "lastName": contact.last_name or contact.first_name or contact.email.split("@")[0],
            "email": contact.email, "phone": contact.phone or None,
            "billingStreet": address.line1 or None, "billingCity": address.city or None,
            "billingState": address.state or None, "billingPostalCode": address.postal_code or None,
            "billingCountry": address.country or None, "roles": roles}


def customer_to_nue(customer: Customer) -> dict:
    body: dict[str, Any] = {"name": customer.name, "recordType": "Business", "email": customer.email,
            "currencyIsoCode": customer.currency}
    if customer.crm_id:
        body["externalId"] = customer.crm_id
    contacts = []
    if customer.bill_to:
        contacts.append(_contact_to_nue(customer.bill_to, ["BillTo"] if customer.sold_to else
                                        ["BillTo", "SoldTo"]))
        address = customer.bill_to.address or Address()
        body.update({"billingStreet": address.line1 or None, "billingCity": address.city or None,
                     "billingState": address.state or None,
                     "billingPostalCode": address.postal_code or None,
                     "billingCountry": address.country or None})
        if customer.bill_to.phone:
            body["phone"] = customer.bill_to.phone
    if customer.sold_to:
        contacts.append(_contact_to_nue(customer.sold_to, ["SoldTo"]))
    if contacts:
        body["contacts"] = contacts
    return {k: v for k, v in body.items() if v is not None}


def _contact_from_nue(data: dict | None) -> Contact | None:
    if not data:
        return None
    address = Address(line1=data.get("billingStreet") or "", city=data.get("billingCity") or "",
                      state=data.get("billingState") or "",
                      postal_code=data.get("billingPostalCode") or "",
                      country=data.get("billingCountry") or "")
    return Contact(email=data.get("email") or "", first_name=data.get("firstName") or "",
                   last_name=data.get("lastName") or "", phone=data.get("phone") or "",
                   address=address if address != Address() else None)


def customer_from_nue(data: dict) -> Customer:
    contacts = {c["id"]: c for c in data.get("contacts") or []}
    bill_to_id, sold_to_id = data.get("billToContactId"), data.get("orderPrimaryContactId")
    bill_to = _contact_from_nue(contacts.get(bill_to_id))
    sold_to = None if sold_to_id == bill_to_id else _contact_from_nue(contacts.get(sold_to_id))
    return Customer(name=data.get("name") or "", email=data.get("email") or "",
                    currency=data.get("currencyIsoCode") or "USD", account_id=data["id"],
                    crm_id=data.get("externalId") or None, bill_to=bill_to, sold_to=sold_to)


def _line_to_nue(line: OrderLine, item: CatalogItem, entry_id: str, start: dt.date, *,
                 with_id: bool) -> dict:
    """An order product as Nue documents it; the price is the price book entry's, so a lower
    net price travels as a discount (`discount`/`discountAmount` are assumptions)."""
    body = {"priceBookEntryId": entry_id, "quantity": _num(line.quantity),
            "subscriptionStartDate": start.isoformat()}
    if with_id and line.line_id:
        body["id"] = line.line_id
    if line.description:
        body["description"] = line.description
    discount = line.discount
    if discount and discount.percent is not None:
        body["discount"] = _num(discount.percent)
    elif discount and discount.amount is not None:
        body["discountAmount"] = _num(discount.amount)
    elif line.net_price > item.list_price:
        raise PermanentError(f"{line.sku} at {line.net_price} is above Nue's list price "
                             f"{item.list_price}; Nue prices from its price book",
                             code="price_above_list", vendor=VENDOR)
    elif line.net_price != item.list_price:
        # A lower price without a stated discount travels as an amount off the line.
        body["discountAmount"] = _num((item.list_price - line.net_price) * line.quantity)
    return body


def order_to_nue(order: DraftOrder, price_book: dict[str, tuple[CatalogItem, str]], *,
                 with_line_ids: bool = False) -> dict:
    """The order's own fields (not its customer). `billingPeriod`, `paymentTerm`,
    `billCycleDay` and `Name__c` custom fields on the order are assumptions."""
    terms = order.terms
    lines = [_line_to_nue(line, *price_book[line.sku], order.order_date, with_id=with_line_ids)
             for line in order.lines]
    body: dict[str, Any] = {"effectiveDate": order.order_date.isoformat(), "orderProducts": lines,
            "billingPeriod": terms.billing_period, "paymentTerm": terms.payment_term}
    if terms.bill_cycle_day is not None:
        body["billCycleDay"] = terms.bill_cycle_day
    for name, value in order.custom_fields:
        if not name.endswith(CUSTOM_SUFFIX):
            raise PermanentError(f"Nue custom fields end in {CUSTOM_SUFFIX}: {name!r}",
                                 code="invalid_custom_field", vendor=VENDOR)
        body[name] = value
    return body


def _field(data: dict, *names: str):
    """The first of `names` Nue sent; an answer without any is a clear sync error, not a crash
    (the field names the hub relies on are listed in docs/vendor-assumptions.md, Nue)."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    raise PermanentError(f"Nue's answer has no {' or '.join(names)}", code="invalid_response",
                         vendor=VENDOR, details={"missing": list(names)})


def _line_from_nue(data: dict, skus: dict[str, str]) -> OrderLine:
    if data.get("discount") is not None:
        discount = Discount(percent=_plain(data["discount"]))
    elif data.get("discountAmount") is not None:
        discount = Discount(amount=_money(data["discountAmount"]))
    else:
        discount = None
    # The SKU is the price book entry's product; `productSku` is read when the entry is unknown.
    sku = skus.get(data.get("priceBookEntryId") or "") or _field(data, "productSku")
    return OrderLine(sku=sku, quantity=_plain(_field(data, "quantity")),
                     list_price=_money(_field(data, "listPrice")),
                     net_price=_money(_field(data, "netSalesPrice")),
                     line_id=_field(data, "id"), discount=discount,
                     description=data.get("description") or "")


def _changed_since(data: dict, moment: dt.datetime) -> bool:
    stamp = data.get("lastModifiedDate")
    if not stamp:
        return True  # no date to judge by: keep it rather than miss a change
    changed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (changed if changed.tzinfo else changed.replace(tzinfo=dt.UTC)) >= moment


def status_from_nue(value: object) -> OrderStatus:
    """Nue's order status; one the hub does not know fails the sync with a message naming it."""
    try:
        return STATUSES[str(value).strip().lower()]
    except KeyError:
        raise PermanentError(f"Nue answered an order status the hub does not know: {value!r}",
                             code="unknown_order_status", vendor=VENDOR,
                             details={"status": value}) from None


def order_from_nue(data: dict, *, customer: Customer | None = None,
                   skus: dict[str, str] | None = None) -> DraftOrder:
    """A Nue order; `skus` maps price book entry ids to the SKUs of the catalog."""
    custom = tuple(sorted((k, str(v)) for k, v in data.items()
                          if k.endswith(CUSTOM_SUFFIX) and v is not None))
    try:
        # Nue's order data reference names the effective date `orderStartDate` in answers.
        raw_date = str(_field(data, "effectiveDate", "orderStartDate"))
        order_date = dt.date.fromisoformat(raw_date[:10])
    except ValueError:
        raise PermanentError(f"Nue's order date is not a date: {raw_date!r}",
                             code="invalid_response", vendor=VENDOR) from None
    return DraftOrder(
        currency=data.get("currencyIsoCode") or (customer.currency if customer else "USD"),
        order_date=order_date,
        lines=tuple(_line_from_nue(line, skus or {}) for line in data.get("orderProducts") or []),
        status=status_from_nue(data.get("status")), order_id=_field(data, "id"),
        account_id=data.get("customerId"),
        terms=BillingTerms(billing_period=data.get("billingPeriod") or "Month",
                           payment_term=data.get("paymentTerm") or "Due Upon Receipt",
                           bill_cycle_day=data.get("billCycleDay")),
        # `checkoutUrl` (Nue's hosted checkout) is an assumption (docs/vendor-assumptions.md, Nue).
        custom_fields=custom, checkout_url=data.get("checkoutUrl"), customer=customer)
