"""An emulator of Zuora's REST API (Orders API, v1), mounted at `/sandbox/zuora/`.

Endpoints (Zuora's request and response shapes):
- `POST /oauth/token` — client credentials (`sandbox`/`sandbox`), form-encoded; tokens expire.
- `POST /v1/orders` (`newAccount` or `existingAccountNumber`, `subscriptions[].orderActions[]` of
  type `CreateSubscription`, optional `status: "Draft"`), `GET /v1/orders` (status, date filter,
  paging), `GET`/`PUT`/`DELETE /v1/orders/{orderNumber}`, `PUT …/activate`, `PUT …/cancel`.
- `POST /v1/accounts`, `GET`/`PUT /v1/accounts/{account-key}` (number or id, `crmId`).
- `GET /object-query/accounts`, `GET /object-query/contacts` — Object Query, to find an account
  by `crmId` or a contact by `workEmail`; `POST /v1/action/query` — ZOQL, for tenants without it.
- `GET /v1/catalog/products` — PRO-MONTHLY, TEAM-ANNUAL, ADDON-SEATS (USD), seeded lazily.
- `GET/POST /checkout/{orderNumber}` — the hosted checkout page a draft's `checkoutUrl` names.
- `GET/POST /_control` — test switches (see `control.py`).

Every REST call needs `Authorization: Bearer`; failures come back as Zuora sends them
(`{"success": false, "processId", "reasons": [{"code", "message"}]}`, business errors with HTTP
200). `Idempotency-Key` on POST is honoured: the first answer, failure or not, is replayed for
24 hours; 409 while in progress; 422 when reused for a different request. Every order and
customer change is sent to the hub as a signed webhook through
`sandbox.webhooks.outbox`.

Every POST and PUT body is checked against Zuora's published request model (`schema.py`, from
`zuora-sdk`): unknown fields, missing required ones, wrong types and values outside an enum are
refused as Zuora refuses them. Answers follow the response models, field names included (an order
read back names its charge `productRateplanChargeId`).

Where Zuora's documentation is silent the emulator assumes (docs/vendor-assumptions.md, Zuora):
six-digit resource codes of its own (`errors.py`; the two-digit categories are Zuora's);
`checkoutUrl` on orders (a real tenant uses Payment Pages); Object Query compares strings exactly
and answers 404 on a tenant without it; a subscription's `paymentTerm` is refused unless the
tenant has Flexible Billing Attributes (`_control`: `flexible_billing`). A rate plan keeps the
`uniqueToken` its caller gave; none is invented.
"""
