"""What staff should do about a failed sync: the failure as the hub knows it (its error code, the
failing call's first real error with the record and values it named) turned into one sentence of
what to change, and links to the mapping or Salesforce record to change it in.

Only failures staff can fix in data get specific advice; anything else says what the error means
and that the job can be retried once the cause is gone.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from syncapp.admin.records import salesforce_url
from syncapp.models import FieldMapping, ProductMapping, SyncJob

_SKUS = re.compile(r"SKU (?P<skus>[^:]+)$")


@dataclass
class Remedy:
    advice: str  # one sentence: what to change
    sku: str = ""
    record: str = ""  # the Salesforce record (or request) that was refused
    field: str = ""
    links: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (label, url)


def _admin(name: str, *args, **query) -> str:
    url = reverse(f"admin:syncapp_{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _mapping_links(mapping: ProductMapping | None, sku: str) -> list[tuple[str, str]]:
    if mapping is None:
        return [(f"product mappings for {sku}", _admin("productmapping_changelist", q=sku))]
    return [(f"product mapping {mapping.sku} ({mapping.currency})", _admin("productmapping_change", mapping.pk)),
            (f"PricebookEntry {mapping.pricebook_entry_id} in Salesforce",
             salesforce_url("PricebookEntry", mapping.pricebook_entry_id)),
            (f"Product2 {mapping.product2_id} in Salesforce", salesforce_url("Product2", mapping.product2_id))]


def remedy(job: SyncJob) -> Remedy | None:
    """The advice for a failed or dead job, None for the others."""
    if job.status not in (SyncJob.Status.FAILED, SyncJob.Status.DEAD):
        return None
    failed_call = job.calls.filter(ok=False).exclude(failure=None).first()
    failure = (failed_call.failure if failed_call else None) or {}
    code = job.last_error_code
    fields = failure.get("fields") or []
    values = failure.get("values") or {}
    record = failure.get("request", "").split(" ", 1)[-1]
    if code == "unmapped_sku":
        match = _SKUS.search(job.last_error.splitlines()[0] if job.last_error else "")
        skus = match["skus"].strip() if match else ""
        first = skus.split(",")[0].strip()
        return Remedy(f"Salesforce has no active standard price book entry for SKU {skus}: in Salesforce, activate "
                      f"the PricebookEntry of the Product2 whose Product Code is {first} (or create one), then retry.",
                      sku=skus, field="Product2.ProductCode", links=_mapping_links(
                          ProductMapping.objects.filter(sku=first).first(), first))
    if "PricebookEntryId" in fields:
        entry = values.get("PricebookEntryId", "")
        mapping = ProductMapping.objects.filter(pricebook_entry_id=entry).first() if entry else None
        sku = mapping.sku if mapping else ""
        return Remedy(f"Salesforce refused price book entry {entry or '(unknown)'}"
                      + (f" of SKU {sku}" if sku else "")
                      + f" ({failure.get('message', '')}): activate that PricebookEntry in Salesforce, or point "
                        "the product mapping at an active entry, then retry.",
                      sku=sku, record=record, field="OrderItem.PricebookEntryId",
                      links=_mapping_links(mapping, sku or entry))
    mapped = list(FieldMapping.objects.filter(salesforce_field__in=fields))
    if mapped:
        names = ", ".join(m.salesforce_field for m in mapped)
        return Remedy(f"Salesforce refused the value of Order.{names}, which a field mapping fills "
                      f"({failure.get('message', '')}): correct the field in Salesforce or the mapping, or "
                      "deactivate the mapping, then retry.",
                      record=record, field=names,
                      links=[(f"field mapping {m}", _admin("fieldmapping_change", m.pk)) for m in mapped])
    if code == "no_billing_contact":
        account = re.search(r"Account (\w+)", job.last_error)
        links = [("the Account in Salesforce", salesforce_url("Account", account[1]))] if account else []
        return Remedy("The Salesforce Account has no Contact with an email to bill: add one in Salesforce, "
                      "then retry.", record=account[1] if account else "", field="Contact.Email", links=links)
    if job.status == SyncJob.Status.DEAD:
        return Remedy(f"Every attempt failed with a temporary error ({code}): nothing in the data needs to change; "
                      "retry once the other system answers again.")
    if failure:
        named = ", ".join(f"{name} = {values[name]!r}" if name in values else name for name in fields)
        return Remedy(f"Salesforce refused the write ({failure.get('errorCode')}: {failure.get('message')})"
                      + (f"; fix {named} on the order in billing or in Salesforce" if named else
                         "; fix the cause in billing or in Salesforce")
                      + ", then retry.", record=record, field=", ".join(fields))
    return Remedy(f"The sync failed with {code or 'an error'}: fix the cause named in the error below, then retry.")
