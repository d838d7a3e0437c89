"""The port's Accounts and Contacts: the candidates a buyer matches, and the records the hub makes.

The hub upserts the Accounts and Contacts it creates by an external id it writes on them
(shipped in salesforce/), so sending a create again after its answer was lost finds the record
already made instead of making a second one. The matching rules themselves are the hub's
(`syncapp.domain.matching`, `syncapp.sync.accounts`); this module only reads and writes.
"""
from __future__ import annotations

from dataclasses import dataclass

from syncapp.domain.matching import Candidate, MatchKind, normalize_domain
from syncapp.domain.records import Address, Contact
from syncapp.exceptions import PermanentError

from .calls import SalesforceCalls
from .orders import contact_from_row
from .soql import soql

ACCOUNT_KEY_FIELD = "Hub_Match_Key__c"
CONTACT_KEY_FIELD = "Hub_Contact_Key__c"
# Matching queries read at most 200 rows each: enough for any real tie, bounded for a huge org.


@dataclass(frozen=True)
class AccountCandidates:
    """The Accounts a buyer matches, and for those matched by the buyer's email, the Contact
    holding that email in each (Account Id → Contact Id)."""

    candidates: list[Candidate]
    contacts: dict[str, str]


def _address_fields(prefix: str, address: Address | None) -> dict:
    if not address:
        return {}
    return {f"{prefix}Street": address.line1, f"{prefix}City": address.city, f"{prefix}State": address.state,
            f"{prefix}PostalCode": address.postal_code, f"{prefix}Country": address.country}


class AccountPort(SalesforceCalls):
    """Mixed into `SalesforceConnector`: what account matching and creation ask of Salesforce."""

    def account_candidates(self, email: str, domain: str | None) -> AccountCandidates:
        """Accounts with a Contact of this email; when there are none and `domain` is a company
        domain, Accounts whose website or Contacts' emails are at that domain."""
        rows = self.query(soql(
            "SELECT Id, AccountId, Account.CreatedDate FROM Contact WHERE Email = {} AND AccountId != null "
            "ORDER BY CreatedDate LIMIT 200", email))
        found = [Candidate(r["AccountId"], MatchKind.CONTACT_EMAIL, (r.get("Account") or {}).get("CreatedDate", ""))
                 for r in rows]
        contacts: dict[str, str] = {}
        for r in rows:
            contacts.setdefault(r["AccountId"], r["Id"])
        if found or not domain:
            return AccountCandidates(found, contacts)
        for r in self.query(soql("SELECT Id, Website, CreatedDate FROM Account WHERE Website LIKE '%{:like}%' "
                                 "LIMIT 200", domain)):
            if normalize_domain(r.get("Website")) == domain:
                found.append(Candidate(r["Id"], MatchKind.WEBSITE_DOMAIN, r.get("CreatedDate", "")))
        for r in self.query(soql("SELECT AccountId, Account.CreatedDate FROM Contact WHERE Email LIKE '%@{:like}' "
                                 "AND AccountId != null LIMIT 200", domain)):
            found.append(Candidate(r["AccountId"], MatchKind.CONTACT_DOMAIN,
                                   (r.get("Account") or {}).get("CreatedDate", "")))
        return AccountCandidates(found, contacts)

    def upsert_account(self, key: str, name: str, *, phone: str = "", website: str = "",
                       address: Address | None = None) -> tuple[str, bool]:
        """The Account carrying the hub's external id `key`, created when there is none; or the
        one a duplicate rule names. Returns `(id, created)`."""
        data = {"Name": name, "Phone": phone or None, **_address_fields("Billing", address)}
        if website:
            data["Website"] = website
        return self._upsert_resolving_duplicates("Account", ACCOUNT_KEY_FIELD, key, data)

    def upsert_contact(self, key: str, account_id: str, contact: Contact) -> tuple[str, bool]:
        """The Contact carrying the hub's external id `key` in the Account, created when there is
        none; or the one a duplicate rule names (which may be in another Account, or in none)."""
        data = {"AccountId": account_id, "FirstName": contact.first_name, "LastName": contact.last_name,
                "Email": contact.email, "Phone": contact.phone, **_address_fields("Mailing", contact.address)}
        return self._upsert_resolving_duplicates("Contact", CONTACT_KEY_FIELD, key, data)

    def contact_account_id(self, contact_id: str) -> str | None:
        """The Account a Contact belongs to; None for a private Contact."""
        return self.get("Contact", contact_id, fields=["AccountId"]).get("AccountId") or None

    def move_contact(self, contact_id: str, account_id: str) -> None:
        self.update("Contact", contact_id, {"AccountId": account_id})

    def first_contact(self, account_id: str) -> Contact | None:
        """The Account's oldest Contact with an email, for an Order that names no bill-to contact."""
        rows = self.query(soql("SELECT Email, FirstName, LastName, Phone FROM Contact WHERE AccountId = {} "
                               "AND Email != null ORDER BY CreatedDate LIMIT 1", account_id))
        return contact_from_row(rows[0] if rows else None)

    def _upsert_resolving_duplicates(self, sobject: str, key_field: str, key: str,
                                     data: dict) -> tuple[str, bool]:
        """Create the record under its external id, or find it there: a retry after a lost answer,
        or a concurrent writer for the same key, gets the record already made. When a Salesforce
        duplicate rule refuses a new one, use the record it names."""
        try:
            return self._upsert_once_more_on_race(sobject, key_field, key, {k: v for k, v in data.items() if v})
        except PermanentError as err:
            duplicates = err.details.get("duplicate_ids") or []
            if err.code == "DUPLICATES_DETECTED" and duplicates:
                return duplicates[0], False
            raise

    def _upsert_once_more_on_race(self, sobject: str, key_field: str, key: str, values: dict) -> tuple[str, bool]:
        try:
            return self.upsert(sobject, key_field, key, values)
        except PermanentError as err:
            if err.code != "DUPLICATE_VALUE":
                raise
            # Two upserts of one new key at once: Salesforce creates one record and refuses the
            # other's insert; sent again, it finds that record.
            return self.upsert(sobject, key_field, key, values)
