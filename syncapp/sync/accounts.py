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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from syncapp.connectors.salesforce import SalesforceConnector
from syncapp.domain.matching import choose, company_domain, normalize_email
from syncapp.domain.records import Contact

# The Accounts and Contacts the hub creates carry an external id (`record_key`), so sending a
# create again after its answer was lost finds the record made (syncapp/connectors/salesforce/accounts.py).


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


def record_key(*parts: str) -> str:
    """The external id the hub writes on an Account or Contact it creates: a digest, because
    emails may hold characters (`/`, `?`, `%`) that cannot travel in an upsert's URL."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def create_account(sf: SalesforceConnector, buyer: Buyer, domain: str | None,
                   fence: Callable[[], None] | None = None) -> tuple[str, bool]:
    """The Account of the buyer's match key (one per key, whatever the timing); `fence()` runs
    right before the write."""
    if fence:
        fence()
    key = record_key("domain", domain) if domain else record_key("email", buyer.email)
    return sf.upsert_account(key, buyer.account_name, phone=buyer.contact.phone, website=domain or "",
                             address=buyer.contact.address)


def create_contact(sf: SalesforceConnector, buyer: Buyer, account_id: str,
                   fence: Callable[[], None] | None = None) -> tuple[str, bool]:
    """The buyer's Contact in the Account (one per Account and email)."""
    c = buyer.contact
    contact = replace(c, email=buyer.email, last_name=c.last_name or buyer.email.split("@")[0])
    if fence:
        fence()
    contact_id, created = sf.upsert_contact(record_key(account_id, buyer.email), account_id, contact)
    if not created:
        _adopt_contact(sf, contact_id, account_id)
    return contact_id, created


def _adopt_contact(sf: SalesforceConnector, contact_id: str, account_id: str) -> None:
    """A duplicate rule named an existing Contact. A private one (no Account, so matching never
    saw it) joins the buyer's Account, so the order's Account and Contact agree. One in another
    Account stays there: moving someone else's Contact is for staff to decide."""
    if not sf.contact_account_id(contact_id):
        sf.move_contact(contact_id, account_id)


@dataclass
class AccountChoice:
    """The first half of a resolution: the Account matched or created, before its Contact."""

    account_id: str
    account_match: str  # "contact_email" | "email_domain" | "created"
    contact_id: str | None = None  # the Contact holding the email, when that is how it matched
    other_account_ids: list[str] = field(default_factory=list)
    created_account: bool = False


def match_or_create_account(sf: SalesforceConnector, buyer: Buyer, public_domains: Iterable[str],
                            fence: Callable[[], None] | None = None) -> AccountChoice:
    """Rule 1: the Account the buyer's email (else company domain) matches, or a new one."""
    domain = company_domain(buyer.email, public_domains)
    found = sf.account_candidates(buyer.email, domain)
    contacts = found.contacts
    chosen, others = choose(found.candidates)
    if chosen is None:
        account_id, created_account = create_account(sf, buyer, domain, fence)
        return AccountChoice(account_id, "created", created_account=created_account)
    return AccountChoice(chosen.account_id, chosen.kind.account_match, contacts.get(chosen.account_id),
                         [o.account_id for o in others])


def ensure_contact(sf: SalesforceConnector, buyer: Buyer, choice: AccountChoice,
                   fence: Callable[[], None] | None = None) -> tuple[str, bool]:
    """Rule 2: the Contact with the buyer's email in the chosen Account, created when missing
    (a resumed checkout whose earlier create went through, its answer lost, finds that one)."""
    if choice.contact_id:
        return choice.contact_id, False
    return create_contact(sf, buyer, choice.account_id, fence)


def resolve(sf: SalesforceConnector, buyer: Buyer, public_domains: Iterable[str]) -> Resolution:
    """Match or create the Account and make sure a Contact with the buyer's email is in it."""
    choice = match_or_create_account(sf, buyer, public_domains)
    contact_id, created_contact = ensure_contact(sf, buyer, choice)
    return Resolution(choice.account_id, contact_id, choice.account_match, choice.other_account_ids,
                      choice.created_account, created_contact)
