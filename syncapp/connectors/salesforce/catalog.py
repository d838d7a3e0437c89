"""The port's catalog: the standard price book, its entries by SKU, and what the console checks of
a mapping staff edit (does the record exist, which product does an entry price, is a field there).

A SKU is a Product2's ProductCode; a PricebookEntry prices one product in one price book (and,
in a multi-currency org, one currency).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .calls import SalesforceCalls
from .soql import soql

IDS_PER_QUERY = 200


@dataclass(frozen=True)
class PriceEntry:
    """An active PricebookEntry of the standard price book."""

    sku: str
    entry_id: str
    product2_id: str
    currency: str = ""  # its CurrencyIsoCode, when asked for (a multi-currency org)


@dataclass(frozen=True)
class EntryFacts:
    """What a mapping check needs to know of one PricebookEntry."""

    product2_id: str
    pricebook2_id: str
    active: bool
    product_code: str


class CatalogPort(SalesforceCalls):
    """Mixed into `SalesforceConnector`: price books, and the records a mapping names."""

    def standard_pricebook_id(self) -> str | None:
        """The org's standard price book; None when it has none."""
        rows = self.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1")
        return rows[0]["Id"] if rows else None

    def price_entries(self, pricebook_id: str, skus: Iterable[str], *, currency: str | None = None,
                      with_currency: bool = False) -> list[PriceEntry]:
        """The active entries of the price book for these SKUs, in one query: only those in
        `currency` when given, and with their currency read when `with_currency` (both only in
        a multi-currency org, where PricebookEntry has a currency)."""
        fields = "Id, Product2Id, ProductCode" + (", CurrencyIsoCode" if with_currency else "")
        in_currency = soql(" AND CurrencyIsoCode = {}", currency) if currency else ""
        rows = self.query(soql(f"SELECT {fields} FROM PricebookEntry WHERE Pricebook2Id = {{}} "
                               "AND ProductCode IN {} AND IsActive = true", pricebook_id, sorted(set(skus)))
                          + in_currency)
        return [PriceEntry(r["ProductCode"], r["Id"], r["Product2Id"], r.get("CurrencyIsoCode") or "")
                for r in rows]

    def entry_facts(self, entry_id: str) -> EntryFacts:
        """The product, price book and state of a PricebookEntry; NotFoundError when there is none."""
        entry = self.get("PricebookEntry", entry_id, fields=["Product2Id", "Pricebook2Id", "IsActive", "ProductCode"])
        return EntryFacts(entry["Product2Id"], entry["Pricebook2Id"], bool(entry.get("IsActive")),
                          entry.get("ProductCode") or "")

    def entries_active(self, entry_ids: list[str]) -> dict[str, bool]:
        """Whether each PricebookEntry is active, by the Id Salesforce answers (18 characters);
        entries it does not know are left out. One call per 200 ids."""
        return {row["Id"]: bool(row["IsActive"])
                for start in range(0, len(entry_ids), IDS_PER_QUERY)
                for row in self.query(soql("SELECT Id, IsActive FROM PricebookEntry WHERE Id IN {}",
                                           entry_ids[start:start + IDS_PER_QUERY]))}

    def check_record(self, sobject: str, record_id: str) -> None:
        """Nothing when a `sobject` record has this id; NotFoundError when none has (never existed
        or deleted); another SyncError when Salesforce refuses the id (e.g. MALFORMED_ID)."""
        self.get(sobject, record_id, fields=["Id"])

    def field_names(self, sobject: str) -> set[str]:
        """The API names of the object's fields, lower-cased (one describe)."""
        return {f["name"].lower() for f in self.describe(sobject)["fields"]}
