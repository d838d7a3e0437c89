"""Nue's self-service REST API behind `BillingConnector`.

Every call sends the `nue-api-key` header; creates send an `Idempotency-Key`. Nue answers
`{"status": "success", "data": …}` or `{"status": "failed", "errors": [{"code", "message",
"field"}]}`; failures map onto the taxonomy: 5xx, 429 and no answer → `TransientError`; the codes
in `NOT_FOUND_CODES` → `NotFoundError`; everything else → `PermanentError` carrying Nue's code and
its `errors` in `details` (unknown products as `unknown_sku`, a non-draft as `order_not_draft`).

Shapes (see `sandbox/nue` for what is documented and what is assumed): the account is a Nue
customer (`id`; `externalId` = Salesforce Account Id; contacts with `billToContactId` and
`orderPrimaryContactId` — a sold-to that is the bill-to contact reads back as `sold_to=None`);
an order carries `orderProducts` named by `productSku`, a `discount` (percent) or
`discountAmount` (off the line), order-level `billingPeriod`/`paymentTerm`/`billCycleDay`, custom
fields as top-level `Name__c` keys, and `checkoutUrl`. Amounts are per billing period.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from syncapp.connectors.billing.base import BillingConnector
from syncapp.connectors.http import (DEFAULT_TIMEOUT, CallRecord, Recorder, Stopwatch, excerpt,
                                     new_session, transport_error)
from syncapp.domain.records import (Address, BillingTerms, CatalogItem, Contact, Customer,
                                    Discount, DraftOrder, OrderLine, OrderStatus)
from syncapp.exceptions import NotFoundError, PermanentError, SyncError, TransientError

VENDOR = "nue"
NOT_FOUND_CODES = frozenset({"ORDER_NOT_FOUND", "CUSTOMER_NOT_FOUND"})
UNKNOWN_SKU_CODES = frozenset({"PRODUCT_NOT_FOUND", "PRICE_BOOK_ENTRY_NOT_FOUND"})
NOT_DRAFT_CODES = frozenset({"INVALID_ORDER_STATUS"})
STATUS_FILTER = {OrderStatus.DRAFT: "draft", OrderStatus.ACTIVATED: "active",
                 OrderStatus.CANCELED: "canceled"}
CUSTOM_SUFFIX = "__c"
CATALOG_TTL = 300.0
PAGE_SIZE = 100
CENT = Decimal("0.01")


class NueConnector(BillingConnector):
    provider = VENDOR

    def __init__(self, base_url: str, api_key: str, *, recorder: Recorder | None = None,
                 timeout=DEFAULT_TIMEOUT, page_size: int = PAGE_SIZE):
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.api_key = api_key
        self.recorder = recorder
        self.session = new_session(timeout=timeout)
        self._catalog: tuple[float, dict[str, CatalogItem]] | None = None

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None,
                      timeout=DEFAULT_TIMEOUT) -> "NueConnector":
        base_url, api_key = settings.NUE_BASE_URL, settings.NUE_API_KEY
        if not base_url or not api_key:
            raise ImproperlyConfigured(
                "NUE_BASE_URL and NUE_API_KEY must be set for BILLING_PROVIDER=nue")
        return cls(base_url, api_key, recorder=recorder, timeout=timeout)

    # --- catalog ---------------------------------------------------------------------------
    def catalog(self) -> dict[str, CatalogItem]:
        if self._catalog and time.monotonic() - self._catalog[0] < CATALOG_TTL:
            return self._catalog[1]
        products = self._call("catalog", "GET", "/catalog/products")
        items = {}
        for product in products if isinstance(products, list) else []:
            for entry in (product.get("priceBookEntries") or [])[:1]:
                items[product["sku"]] = CatalogItem(
                    sku=product["sku"], name=product.get("name") or product["sku"],
                    list_price=_money(entry["listPrice"]),
                    currency=entry.get("currencyIsoCode") or "USD",
                    billing_period=entry.get("billingPeriod") or "Month")
        self._catalog = (time.monotonic(), items)
        return items

    # --- accounts --------------------------------------------------------------------------
    def find_account_by_email(self, email: str) -> Customer | None:
        return self._find_customer("find_account_by_email", {"email": email.strip()})

    def find_account_by_crm_id(self, crm_id: str) -> Customer | None:
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
        created = self._call("create_account", "POST", "/customers",
                             json=[customer_to_nue(customer)],
                             idempotency_key=idempotency_key)["data"]
        return customer_from_nue(created[0])

    def set_account_crm_id(self, account_id: str, crm_id: str) -> None:
        self._call("set_account_crm_id", "PATCH", f"/customers/{_id(account_id)}",
                   json={"externalId": crm_id})

    # --- orders ----------------------------------------------------------------------------
    def create_order(self, order: DraftOrder, *, idempotency_key: str) -> DraftOrder:
        body = order_to_nue(order)
        if order.account_id:
            body["customer"] = {"id": order.account_id}
        elif order.customer:
            body["customer"] = customer_to_nue(order.customer)
        else:
            raise PermanentError("An order needs account_id or a customer", code="invalid_order",
                                 vendor=VENDOR)
        data = self._call("create_order", "POST", "/orders", json=body,
                          idempotency_key=idempotency_key)["data"]
        created = order_from_nue(data["order"])
        # Nue creates drafts; a completed order is the draft activated (safe to repeat).
        if order.status == OrderStatus.ACTIVATED:
            return self.activate_order(created.order_id)
        if order.status == OrderStatus.CANCELED:
            return self.cancel_order(created.order_id)
        return created

    def _fetch_order(self, order_id: str) -> dict:
        return self._call("get_order", "GET", f"/orders/{_id(order_id)}")["data"]

    def get_order(self, order_id: str) -> DraftOrder:
        data = self._fetch_order(order_id)
        customer = self.get_account(data["customerId"])
        return order_from_nue(data, customer=customer)

    def update_order(self, order: DraftOrder) -> DraftOrder:
        current = self._fetch_order(order.order_id)
        if current.get("status") != OrderStatus.DRAFT:
            raise PermanentError(f"Order {order.order_id} is {current.get('status')}, not a draft",
                                 code="order_not_draft", vendor=VENDOR)
        body = order_to_nue(order, with_line_ids=True)
        body["billCycleDay"] = order.terms.bill_cycle_day  # null clears it: the sender wins
        for name in current:  # custom fields the sender no longer has are cleared
            if name.endswith(CUSTOM_SUFFIX) and name not in body:
                body[name] = None
        answer = self._call("update_order", "PATCH", f"/orders/{_id(order.order_id)}", json=body)
        return order_from_nue(answer["data"]["order"])

    def activate_order(self, order_id: str) -> DraftOrder:
        try:
            answer = self._call("activate_order", "POST", f"/orders/{_id(order_id)}",
                                json={"options": {}})
        except PermanentError as err:
            if err.code != "order_not_draft":
                raise
            current = order_from_nue(self._fetch_order(order_id))
            if current.status != OrderStatus.ACTIVATED:
                raise
            return current
        return order_from_nue(answer["data"]["order"])

    def cancel_order(self, order_id: str) -> DraftOrder:
        data = self._call("cancel_order", "POST", f"/orders/{_id(order_id)}/cancel")["data"]
        return order_from_nue(data["order"])

    def delete_order(self, order_id: str) -> None:
        try:
            self._call("delete_order", "DELETE", f"/orders/{_id(order_id)}")
        except NotFoundError:
            pass  # already gone

    def list_orders(self, *, status: str | None = None, updated_since: dt.datetime | None = None):
        params: dict = {"limit": self.page_size}
        if status:
            params["status"] = STATUS_FILTER[OrderStatus(status)]
        if updated_since:
            # Nue's comparison filters are written `field>=value`; the key carries the `>`.
            params["lastModifiedDate>"] = updated_since.isoformat()
        page = 1
        while True:
            answer = self._call("list_orders", "GET", "/orders", params={**params, "page": page})
            for data in answer["data"]:
                yield order_from_nue(data)
            more = (answer.get("pagination") or {}).get("hasMore")
            if not answer["data"] or more is False or len(answer["data"]) < self.page_size:
                return
            page += 1

    # --- HTTP ------------------------------------------------------------------------------
    def _call(self, operation: str, method: str, path: str, *, params=None, json=None,
              idempotency_key: str | None = None):
        """One request; returns the decoded body or raises the taxonomy. Always recorded."""
        headers = {"nue-api-key": self.api_key, "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
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
            raise self._failed(record, err) from None
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


def error_from_response(response: requests.Response, body) -> SyncError:
    status = response.status_code
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = [e for e in errors or [] if isinstance(e, dict)]
    first = errors[0] if errors else {}
    code = str(first.get("code") or f"http_{status}")
    message = first.get("message") or f"Nue answered HTTP {status}"
    details = {"errors": errors}
    if status == 429 or status >= 500:
        return TransientError(message, code=code, vendor=VENDOR, status=status, details=details,
                              retry_after=_retry_after(response))
    if code in NOT_FOUND_CODES:
        return NotFoundError(message, code=code, vendor=VENDOR, status=status, details=details)
    if any(e.get("code") in UNKNOWN_SKU_CODES for e in errors):
        code = "unknown_sku"
    elif code in NOT_DRAFT_CODES:
        code = "order_not_draft"
    return PermanentError(message, code=code, vendor=VENDOR, status=status, details=details)


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
    return number.quantize(CENT) if number.as_tuple().exponent >= -2 else number.normalize()


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
    body = {"name": customer.name, "recordType": "Business", "email": customer.email,
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


def _line_to_nue(line: OrderLine, *, with_id: bool) -> dict:
    body = {"productSku": line.sku, "quantity": _num(line.quantity),
            "listPrice": _num(line.list_price)}
    if with_id and line.line_id:
        body["id"] = line.line_id
    if line.description:
        body["description"] = line.description
    discount = line.discount
    if discount and discount.percent is not None:
        body["discount"] = _num(discount.percent)
    elif discount and discount.amount is not None:
        body["discountAmount"] = _num(discount.amount)
    elif line.net_price != line.list_price:
        # A lower price without a stated discount travels as an amount off the line.
        body["discountAmount"] = _num((line.list_price - line.net_price) * line.quantity)
    return body


def order_to_nue(order: DraftOrder, *, with_line_ids: bool = False) -> dict:
    terms = order.terms
    body = {"effectiveDate": order.order_date.isoformat(), "currencyIsoCode": order.currency,
            "billingPeriod": terms.billing_period, "paymentTerm": terms.payment_term,
            "orderProducts": [_line_to_nue(line, with_id=with_line_ids) for line in order.lines]}
    if terms.bill_cycle_day is not None:
        body["billCycleDay"] = terms.bill_cycle_day
    for name, value in order.custom_fields:
        if not name.endswith(CUSTOM_SUFFIX):
            raise PermanentError(f"Nue custom fields end in {CUSTOM_SUFFIX}: {name!r}",
                                 code="invalid_custom_field", vendor=VENDOR)
        body[name] = value
    return body


def _line_from_nue(data: dict) -> OrderLine:
    if data.get("discount") is not None:
        discount = Discount(percent=_plain(data["discount"]))
    elif data.get("discountAmount") is not None:
        discount = Discount(amount=_money(data["discountAmount"]))
    else:
        discount = None
    return OrderLine(sku=data["productSku"], quantity=_plain(data["quantity"]),
                     list_price=_money(data["listPrice"]), net_price=_money(data["netSalesPrice"]),
                     line_id=data["id"], discount=discount,
                     description=data.get("description") or "")


def order_from_nue(data: dict, *, customer: Customer | None = None) -> DraftOrder:
    custom = tuple(sorted((k, str(v)) for k, v in data.items()
                          if k.endswith(CUSTOM_SUFFIX) and v is not None))
    return DraftOrder(
        currency=data.get("currencyIsoCode") or "USD",
        order_date=dt.date.fromisoformat(data["effectiveDate"]),
        lines=tuple(_line_from_nue(line) for line in data.get("orderProducts") or []),
        status=OrderStatus(data["status"]), order_id=data["id"], account_id=data.get("customerId"),
        terms=BillingTerms(billing_period=data.get("billingPeriod") or "Month",
                           payment_term=data.get("paymentTerm") or "Due Upon Receipt",
                           bill_cycle_day=data.get("billCycleDay")),
        custom_fields=custom, checkout_url=data.get("checkoutUrl"), customer=customer)
