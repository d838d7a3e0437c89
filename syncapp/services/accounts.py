"""Find or create the customer's Salesforce Account and Contact (CONTRACT §2, checkout rules 1–2).

Used by checkout and by the billing → Salesforce sync for accounts that carry no CRM id yet.
The caller holds the match-key lease, so two callers never create the same Account twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from syncapp.connectors.salesforce import soql
from syncapp.domain.matching import Candidate, MatchKind, choose, company_domain, normalize_domain, normalize_email
from syncapp.domain.records import Address, Contact
from syncapp.exceptions import PermanentError

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


def _create_resolving_duplicates(sf, sobject: str, data: dict) -> tuple[str, bool]:
    """Create a record; when a Salesforce duplicate rule refuses it, use the record it names."""
    try:
        return sf.create(sobject, data), True
    except PermanentError as err:
        duplicates = err.details.get("duplicate_ids") or []
        if err.code == "DUPLICATES_DETECTED" and duplicates:
            return duplicates[0], False
        raise


def create_account(sf, buyer: Buyer, domain: str | None) -> tuple[str, bool]:
    data = {"Name": buyer.account_name, "Phone": buyer.contact.phone or None,
            **_address_fields("Billing", buyer.contact.address)}
    if domain:
        data["Website"] = domain
    return _create_resolving_duplicates(sf, "Account", {k: v for k, v in data.items() if v})


def create_contact(sf, buyer: Buyer, account_id: str) -> tuple[str, bool]:
    c = buyer.contact
    data = {"AccountId": account_id, "FirstName": c.first_name, "LastName": c.last_name or buyer.email.split("@")[0],
            "Email": buyer.email, "Phone": c.phone, **_address_fields("Mailing", c.address)}
    return _create_resolving_duplicates(sf, "Contact", {k: v for k, v in data.items() if v})


def resolve(sf, buyer: Buyer, public_domains) -> Resolution:
    """Match or create the Account and make sure a Contact with the buyer's email is in it."""
    email = buyer.email
    domain = company_domain(email, public_domains)
    candidates, contacts = find_candidates(sf, email, domain)
    chosen, others = choose(candidates)
    if chosen is None:
        account_id, created_account = create_account(sf, buyer, domain)
        contact_id, created_contact = create_contact(sf, buyer, account_id)
        return Resolution(account_id, contact_id, "created", [], created_account, created_contact)
    contact_id, created_contact = contacts.get(chosen.account_id), False
    if contact_id is None:
        contact_id, created_contact = create_contact(sf, buyer, chosen.account_id)
    return Resolution(chosen.account_id, contact_id, chosen.kind.account_match,
                      [o.account_id for o in others], False, created_contact)
