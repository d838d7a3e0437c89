"""`NueConnector`: the `BillingConnector` contract on Nue's self-service API (see the package)."""
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from syncapp import conf
from syncapp.connectors.billing.base import BillingConnector, billing_account_id, billing_order_id
from syncapp.connectors.billing.nue.client import NueClient
from syncapp.connectors.billing.nue.errors import ASSUMED_OPERATIONS, VENDOR
from syncapp.connectors.billing.nue.mapping import (
    CUSTOM_SUFFIX,
    STATUS_FILTER,
    changed_since,
    customer_from_nue,
    customer_to_nue,
    money,
    order_from_nue,
    order_to_nue,
    status_from_nue,
)
from syncapp.connectors.http import DEFAULT_TIMEOUT, Recorder, Timeout
from syncapp.domain.records import CatalogItem, Customer, DraftOrder, OrderStatus
from syncapp.exceptions import NotFoundError, PermanentError

CATALOG_TTL = 300.0
PAGE_SIZE = 100
# An order the hub creates says which request made it (its `description`), so a retry after an
# unknown outcome can find it.
REQUEST_MARK = "Order Sync Hub request "


class NueConnector(NueClient, BillingConnector):
    provider = VENDOR
    # Nue's reference documents creating, activating and listing orders, not these
    # (docs/vendor-assumptions.md, Nue).
    assumed_actions = frozenset(action for action, _ in ASSUMED_OPERATIONS.values())

    def __init__(self, base_url: str, api_key: str, *, recorder: Recorder | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, page_size: int = PAGE_SIZE):
        super().__init__(base_url, api_key, recorder=recorder, timeout=timeout)
        self.page_size = page_size
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
                    list_price=money(entry["listPrice"]),
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
            account_id = billing_account_id(self.create_account(
                order.customer, idempotency_key=f"{idempotency_key}:customer"), VENDOR)
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
                if updated_since is None or changed_since(data, updated_since):
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


def _id(value: str) -> str:
    """An id as one path segment, whatever it contains."""
    return quote(str(value), safe="")

