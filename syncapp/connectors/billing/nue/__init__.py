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

Modules: `connector` (the contract), `client` (the API key, calls and their records, creates sent
under idempotency keys), `mapping` (Nue's JSON <-> domain records), `errors` (answers -> the error
taxonomy, Retry-After, the assumed endpoints Nue may not offer).
"""
from syncapp.connectors.billing.nue.connector import CATALOG_TTL, NueConnector
from syncapp.connectors.billing.nue.errors import VENDOR, error_from_response
from syncapp.connectors.billing.nue.mapping import (
    customer_from_nue,
    customer_to_nue,
    order_from_nue,
    order_to_nue,
    status_from_nue,
)

__all__ = ["CATALOG_TTL", "VENDOR", "NueConnector", "customer_from_nue", "customer_to_nue",
           "error_from_response", "order_from_nue", "order_to_nue", "status_from_nue"]
