"""Find or create the customer's Salesforce Account and Contact (README: How it decides).

Used by checkout and by the billing → Salesforce sync for accounts that carry no CRM id yet.
The caller holds the match-key lease, so two callers do not race to create the same Account; the
Account and Contact are upserted by an external id besides, so even a caller whose lease ran
out, or whose create's answer was lost, gets the one already made.
Two halves, `match_or_create_account` then `ensure_contact` (`resolve` runs both), so checkout
can record the Account before it creates the Contact and resume between them after a failure.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from syncapp.connectors.salesforce import soql
from syncapp.domain.matching import Candidate, MatchKind, choose, company_domain, normalize_domain, normalize_email
from syncapp.domain.records import Address, Contact
from syncapp.exceptions import PermanentError

# External ids the hub writes on the Accounts and Contacts it creates (shipped in salesforce/):
# upserting by them makes a create safe to send again when its answer was lost.
ACCOUNT_KEY_FIELD = "Hub_Match_Key__c"
CONTACT_KEY_FIELD = "Hub_Contact_Key__c"
# Matching queries read at most 200 rows each: enough for any real tie, bounded for a huge org.


@dataclass(frozen=True)
class Buyer:
    """Who is checking out (or who a billing account belongs to): the contact and company name."""

    contact: Contact
    company: str = ""

    @property
    def email(self) -> str:
        return normalize_email(self.contact.email)

    @property
    def account_name(self) -> str:
        name = self.company.strip() or f"{self.contact.first_name} {self.contact.last_name}".strip()
        return name or self.email


@dataclass
class Resolution:
    account_id: str
    contact_id: str
    account_match: str  # "contact_email" | "email_domain" | "created"
    other_account_ids: list[str] = field(default_factory=list)
    created_account: bool = False
    created_contact: bool = False


def find_candidates(sf, email: str, domain: str | None) -> tuple[list[Candidate], dict[str, str]]:
    """Accounts matching the email, else (for a company domain) the domain; and, for the email
    matches, the id of the Contact holding that email in each Account."""
    rows = sf.query(soql(
        "SELECT Id, AccountId, Account.CreatedDate FROM Contact WHERE Email = {} AND AccountId != null "
        "ORDER BY CreatedDate LIMIT 200", email))
    found = [Candidate(r["AccountId"], MatchKind.CONTACT_EMAIL, (r.get("Account") or {}).get("CreatedDate", ""))
             for r in rows]
    contacts: dict[str, str] = {}
    for r in rows:
        contacts.setdefault(r["AccountId"], r["Id"])
    if found or not domain:
        return found, contacts
    for r in sf.query(soql("SELECT Id, Website, CreatedDate FROM Account WHERE Website LIKE '%{:like}%' "
                           "LIMIT 200", domain)):
        if normalize_domain(r.get("Website")) == domain:
            found.append(Candidate(r["Id"], MatchKind.WEBSITE_DOMAIN, r.get("CreatedDate", "")))
    for r in sf.query(soql("SELECT AccountId, Account.CreatedDate FROM Contact WHERE Email LIKE '%@{:like}' "
                           "AND AccountId != null LIMIT 200", domain)):
        found.append(Candidate(r["AccountId"], MatchKind.CONTACT_DOMAIN,
                               (r.get("Account") or {}).get("CreatedDate", "")))
    return found, contacts


def _address_fields(prefix: str, address: Address | None) -> dict:
    if not address:
        return {}
    return {f"{prefix}Street": address.line1, f"{prefix}City": address.city, f"{prefix}State": address.state,
            f"{prefix}PostalCode": address.postal_code, f"{prefix}Country": address.country}


def record_key(*parts: str) -> str:
    """The external id the hub writes on an Account or Contact it creates: a digest, because
    emails may hold characters (`/`, `?`, `%`) that cannot travel in an upsert's URL."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _upsert(sf, sobject: str, key_field: str, key: str, values: dict) -> tuple[str, bool]:
    try:
        return sf.upsert(sobject, key_field, key, values)
    except PermanentError as err:
        if err.code != "DUPLICATE_VALUE":
            raise
        # Two upserts of one new key at once: Salesforce creates one record and refuses the
        # other's insert; sent again, it finds that record.
        return sf.upsert(sobject, key_field, key, values)


def _upsert_resolving_duplicates(sf, sobject: str, key_field: str, key: str, data: dict) -> tuple[str, bool]:
    """Create the record under its external id, or find it there: a retry after a lost answer,
    or a concurrent writer for the same key, gets the record already made. When a Salesforce
    duplicate rule refuses a new one, use the record it names."""
    try:
        return _upsert(sf, sobject, key_field, key, {k: v for k, v in data.items() if v})
    except PermanentError as err:
        duplicates = err.details.get("duplicate_ids") or []
        if err.code == "DUPLICATES_DETECTED" and duplicates:
            return duplicates[0], False
        raise


def create_account(sf, buyer: Buyer, domain: str | None, fence=None) -> tuple[str, bool]:
    """The Account of the buyer's match key (one per key, whatever the timing); `fence()` runs
    right before the write."""
    data = {"Name": buyer.account_name, "Phone": buyer.contact.phone or None,
            **_address_fields("Billing", buyer.contact.address)}
    if domain:
        data["Website"] = domain
    if fence:
        fence()
    key = record_key("domain", domain) if domain else record_key("email", buyer.email)
    return _upsert_resolving_duplicates(sf, "Account", ACCOUNT_KEY_FIELD, key, data)


def create_contact(sf, buyer: Buyer, account_id: str, fence=None) -> tuple[str, bool]:
    """The buyer's Contact in the Account (one per Account and email)."""
    c = buyer.contact
    data = {"AccountId": account_id, "FirstName": c.first_name, "LastName": c.last_name or buyer.email.split("@")[0],
            "Email": buyer.email, "Phone": c.phone, **_address_fields("Mailing", c.address)}
    if fence:
        fence()
    contact_id, created = _upsert_resolving_duplicates(sf, "Contact", CONTACT_KEY_FIELD,
                                                       record_key(account_id, buyer.email), data)
    if not created:
        _adopt_contact(sf, contact_id, account_id)
    return contact_id, created


def _adopt_contact(sf, contact_id: str, account_id: str) -> None:
    """A duplicate rule named an existing Contact. A private one (no Account, so matching never
    saw it) joins the buyer's Account, so the order's Account and Contact agree. One in another
    Account stays there: moving someone else's Contact is for staff to decide."""
    if not sf.get("Contact", contact_id, fields=["AccountId"]).get("AccountId"):
        sf.update("Contact", contact_id, {"AccountId": account_id})


@dataclass
class AccountChoice:
    """The first half of a resolution: the Account matched or created, before its Contact."""

    account_id: str
    account_match: str  # "contact_email" | "email_domain" | "created"
    contact_id: str | None = None  # the Contact holding the email, when that is how it matched
    other_account_ids: list[str] = field(default_factory=list)
    created_account: bool = False


def match_or_create_account(sf, buyer: Buyer, public_domains, fence=None) -> AccountChoice:
    """Rule 1: the Account the buyer's email (else company domain) matches, or a new one."""
    domain = company_domain(buyer.email, public_domains)
    candidates, contacts = find_candidates(sf, buyer.email, domain)
    chosen, others = choose(candidates)
    if chosen is None:
        account_id, created_account = create_account(sf, buyer, domain, fence)
        return AccountChoice(account_id, "created", created_account=created_account)
    return AccountChoice(chosen.account_id, chosen.kind.account_match, contacts.get(chosen.account_id),
                         [o.account_id for o in others])


def ensure_contact(sf, buyer: Buyer, choice: AccountChoice, fence=None) -> tuple[str, bool]:
    """Rule 2: the Contact with the buyer's email in the chosen Account, created when missing
    (a resumed checkout whose earlier create went through, its answer lost, finds that one)."""
    if choice.contact_id:
        return choice.contact_id, False
    return create_contact(sf, buyer, choice.account_id, fence)


def resolve(sf, buyer: Buyer, public_domains) -> Resolution:
    """Match or create the Account and make sure a Contact with the buyer's email is in it."""
    choice = match_or_create_account(sf, buyer, public_domains)
    contact_id, created_contact = ensure_contact(sf, buyer, choice)
    return Resolution(choice.account_id, contact_id, choice.account_match, choice.other_account_ids,
                      choice.created_account, created_contact)
