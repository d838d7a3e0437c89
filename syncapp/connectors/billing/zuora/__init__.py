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

Modules: `connector` (the contract), `client` (token, calls, idempotency keys), `mapping` (Zuora's
shapes <-> domain records), `errors` (answers -> the error taxonomy).
"""
from syncapp.connectors.billing.zuora.client import VENDOR
from syncapp.connectors.billing.zuora.connector import CATALOG_TTL, ZuoraConnector

__all__ = ["CATALOG_TTL", "VENDOR", "ZuoraConnector"]
