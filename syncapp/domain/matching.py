"""Account matching rules for checkout: normalising emails and domains, and choosing among matches.

The match order: a Contact with the customer's email → its Account; else, for a
company (non-public) email domain, an Account whose Website has that domain or an Account with a
Contact at that domain; else nothing (a new Account is created).

When several Accounts match, `choose` picks deterministically:
  1. the strongest kind of match (contact email > website domain > another contact's domain),
  2. then the oldest Account (earliest CreatedDate),
  3. then the smallest Id,
and returns the others for staff to review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import urlsplit

import idna

# The most common free and ISP mail providers; staff extend the list in SyncSettings.
PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.co.jp", "ymail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me",
    "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com", "yandex.com", "yandex.ru",
    "mail.ru", "qq.com", "163.com", "126.com", "fastmail.com", "hey.com", "tutanota.com",
    "comcast.net", "verizon.net", "att.net", "orange.fr", "free.fr", "t-online.de", "libero.it",
    "naver.com", "rediffmail.com", "btinternet.com", "sbcglobal.net", "cox.net", "rocketmail.com",
})

_LOCAL_RE = re.compile(r"^[^@\s]+$")
_DOMAIN_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def ascii_domain(value: str) -> str | None:
    """A host name with at least one dot in its ASCII form, internationalised labels in punycode
    (`Exämple.COM` → `xn--exmple-cua.com`), so one domain written either way matches itself.
    None for anything else: address literals (`[127.0.0.1]`), dotless hosts (`localhost`)."""
    host = value.lower()
    if not host.isascii():
        try:
            host = idna.encode(value, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    return host if _DOMAIN_RE.match(host) else None


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased, the domain in its ASCII form; `ValueError` unless it looks like
    local@domain.tld."""
    local, at, domain = (email or "").strip().rpartition("@")
    host = ascii_domain(domain) if at else None
    if not (host and _LOCAL_RE.match(local)):
        raise ValueError(f"not an email address: {email!r}")
    return f"{local.lower()}@{host}"


def email_domain(email: str) -> str:
    return normalize_email(email).rsplit("@", 1)[1]


def normalize_domain(value: str | None) -> str | None:
    """The bare domain of a website or domain: `https://www.Acme.io:443/about` → `acme.io`.
    None when nothing domain-like is there."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return None
    return ascii_domain(host.rstrip(".").removeprefix("www."))


def company_domain(email: str, public_domains=PUBLIC_EMAIL_DOMAINS) -> str | None:
    """The email's domain when it may identify a company, None for public mail providers."""
    domain = email_domain(email)
    public = {d.strip().lower() for d in public_domains}
    return None if domain in public else domain


def match_key(email: str, public_domains=PUBLIC_EMAIL_DOMAINS) -> str:
    """What concurrent checkouts for the same organisation share: its domain, else the email."""
    domain = company_domain(email, public_domains)
    return f"domain:{domain}" if domain else f"email:{normalize_email(email)}"


class MatchKind(IntEnum):
    """Strength of a match; lower is stronger."""

    CONTACT_EMAIL = 1
    WEBSITE_DOMAIN = 2
    CONTACT_DOMAIN = 3

    @property
    def account_match(self) -> str:
        """The `account_match` value of the checkout response."""
        return "contact_email" if self is MatchKind.CONTACT_EMAIL else "email_domain"


@dataclass(frozen=True)
class Candidate:
    account_id: str
    kind: MatchKind
    created_date: str = ""  # ISO 8601 from Salesforce; sorts chronologically as text


def choose(candidates) -> tuple[Candidate | None, list[Candidate]]:
    """The chosen candidate and the other Accounts that also matched (each Account once)."""
    def rank(c: Candidate):
        return c.kind, c.created_date or "9999", c.account_id

    best: dict[str, Candidate] = {}
    for c in candidates:
        known = best.get(c.account_id)
        if known is None or rank(c) < rank(known):
            best[c.account_id] = c
    ranked = sorted(best.values(), key=rank)
    if not ranked:
        return None, []
    return ranked[0], ranked[1:]
