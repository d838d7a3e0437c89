"""Emulator of Nue's self-service (lifecycle manager) REST API, mounted at `/sandbox/nue/`.

Followed from Nue's published docs (api-docs.nue.io): the `nue-api-key` header (401 without it);
the `{"status": "success", "data", "warnings"}` envelope; errors as
`{"status": "failed", "data": null, "errors": [{"code", "message", "field"}], "warnings": []}`
(the shape of Nue's CPQ API validation errors); `POST /customers` taking an array (≤ 200);
customer fields `name`, `recordType` (Business/Consumer, required), `email`, `phone`,
`billing{Street,City,State,PostalCode,Country}`, `paymentTerm`, `billCycleDay`,
`orderPrimaryContactId`, and `externalId` as the Salesforce Account Id; `currencyIsoCode`;
`GET /customers?field=value` filters and `customerIds` as a JSON array; `POST
/customers/{id}/contacts`; `POST /orders` with `customer: {id}`, `effectiveDate`,
`orderProducts[{priceBookEntryId, quantity, subscriptionStartDate, subscriptionTerm}]`,
`billToContact: {id}`, `options`, creating a `Draft`; activation by `POST /orders/{id}`; order
`id` (UUID), `orderNumber` (`O-00000123`, Nue's documented format), `status`
Draft/Activated/Canceled, `listTotal`, `discount`/`discountAmount`, `totalAmount`;
`GET /orders?customerIds=[…]&status=draft|active|canceled`; `GET /catalog/products` as a bare
array of products with `priceBookEntries`; the warning when both a discount percentage and an
amount are sent (the percentage wins).

Assumed where the docs are silent (each is the emulator's behaviour, not a documented fact):
- `externalId` is writable through the API (Nue sets it itself when its own Salesforce sync runs;
  here the hub is that sync). Filter customers by it with `?externalId=001…`. Email and name
  filters compare case-insensitively, like SOQL equality on text.
- A customer can be created with `contacts` inline and updated with `contacts` (the list replaces
  the customer's contacts; entries with an `id` update that contact). Each contact may carry
  `roles: ["BillTo", "SoldTo"]`; the customer exposes `billToContactId` (assumed) and
  `orderPrimaryContactId` (sold-to). Without roles the first contact is both.
- `POST /orders` may also name a product by `productSku` (as Nue's CPQ order API does), override
  `listPrice`, give `discount` (percent) or `discountAmount` (off the line total), and carry
  order-level `currencyIsoCode`, `billingPeriod` (Month/Quarter/Semi-Annual/Annual),
  `paymentTerm` and `billCycleDay` (customer's values by default), custom fields as top-level
  `Name__c` keys (order and order products), and a new customer inline as `customer: {name,
  recordType, …}` without `id`. `customer.id` may be a Nue id or a Salesforce Account Id.
  Unknown standard fields are rejected (`INVALID_FIELD`), as Salesforce-backed APIs do.
- Amounts are per billing period: `netSalesPrice` is per unit after discount (4 decimals),
  `totalPrice` = `netSalesPrice` × `quantity`; no tax.
- `PATCH /orders/{id}` updates a draft: `orderProducts`, when given, replaces the list (entries
  with an `id` update that product); custom fields merge, `null` clears one. Non-drafts answer
  400 `INVALID_ORDER_STATUS`, as does activating a non-draft. `POST /orders/{id}/activate` is an
  alias of activation. `POST /orders/{id}/cancel` cancels (idempotent). `DELETE /orders/{id}`
  deletes a draft or canceled order; an activated one answers 400 `INVALID_ORDER_STATUS`.
- `GET /orders/{id}` answers the order as `data`; creates and activation answer
  `data: {"order": …, "invoices": []}`. Lists page with `page` (from 1) and `limit` (≤ 200) and add
  `pagination: {page, limit, total, hasMore}`; orders filter on `lastModifiedDate>=ISO`.
- Creates honour an `Idempotency-Key` header (Nue documents none): the same key and body replay
  the first successful answer (header `Idempotent-Replayed: true`); the same key with another
  body answers 409 `IDEMPOTENCY_KEY_REUSED`.
- Each order carries `checkoutUrl` = `{emulator base}/checkout/{id}`, a hosted page whose
  "Pay now" activates the draft.
- Every customer and order change sends a webhook through `sandbox.webhooks.outbox` with data
  `{"order_id", "account_id"}` (`order_id` null for customer events).
- `/_control` (no auth) injects failures and reports call counts; see `control.py`.
"""
