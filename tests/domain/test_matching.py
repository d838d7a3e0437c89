import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from syncapp.domain.matching import (
    PUBLIC_EMAIL_DOMAINS,
    Candidate,
    MatchKind,
    choose,
    company_domain,
    email_domain,
    match_key,
    normalize_domain,
    normalize_email,
)

labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
domains = st.builds(lambda parts, tld: ".".join(parts + [tld]), st.lists(labels, min_size=1, max_size=3),
                    st.sampled_from(["com", "io", "co.uk", "de"]))
locals_ = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True)


@given(locals_, domains)
def test_email_normalisation_is_case_and_space_insensitive(local, domain):
    email = f"{local}@{domain}"
    messy = f"  {local.upper()}@{domain.upper()} "
    assert normalize_email(messy) == email
    assert normalize_email(normalize_email(messy)) == email
    assert email_domain(messy) == domain


@given(domains, st.sampled_from(["", "http://", "https://", "HTTPS://"]), st.booleans(),
       st.sampled_from(["", "/", "/about", "/a/b?x=1", ":443/x"]))
@example("www.x.com", "", True, "")  # a company whose own first label is "www" keeps it
@example("www.x.com", "", False, "")
def test_website_forms_normalise_to_the_bare_domain(domain, scheme, www, suffix):
    host = f"{'www.' if www else ''}{domain}"
    website = f"{scheme}{host}{suffix}"
    assert normalize_domain(website) == host.removeprefix("www.")  # one leading "www." goes, no more


@pytest.mark.parametrize("value", ["", None, "   ", "not a domain", "http://", "localhost"])
def test_nothing_domain_like_gives_none(value):
    assert normalize_domain(value) is None


@pytest.mark.parametrize("bad", ["", "ana", "ana@", "@acme.io", "ana@acme", "a b@acme.io", "ana@@acme.io"])
def test_invalid_emails_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_email(bad)


def test_public_list_has_at_least_thirty_common_providers():
    assert len(PUBLIC_EMAIL_DOMAINS) >= 30
    assert {"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com"} <= PUBLIC_EMAIL_DOMAINS


@given(locals_, st.sampled_from(sorted(PUBLIC_EMAIL_DOMAINS)))
def test_public_domains_never_identify_a_company(local, domain):
    email = f"{local}@{domain}"
    assert company_domain(email) is None
    assert match_key(email) == f"email:{email}"


@given(locals_, domains)
def test_company_domains_key_by_domain(local, domain):
    if domain in PUBLIC_EMAIL_DOMAINS:
        return
    assert company_domain(f"{local}@{domain}") == domain
    assert match_key(f"{local}@{domain}") == f"domain:{domain}"


def test_the_public_list_is_configurable():
    assert company_domain("ana@acme.io", public_domains={"acme.io"}) is None
    assert company_domain("ana@gmail.com", public_domains=set()) == "gmail.com"


candidates = st.lists(st.builds(
    Candidate, account_id=st.sampled_from([f"001{i:015d}" for i in range(6)]),
    kind=st.sampled_from(list(MatchKind)),
    created_date=st.sampled_from(["2024-01-01T00:00:00.000+0000", "2025-06-01T00:00:00.000+0000", ""]),
), max_size=8)


@given(candidates)
def test_choice_is_deterministic_and_reports_every_other_account(cands):
    chosen, others = choose(cands)
    assert choose(list(reversed(cands))) == (chosen, others)
    if not cands:
        assert chosen is None and others == []
        return
    ids = {c.account_id for c in cands}
    assert {chosen.account_id} | {o.account_id for o in others} == ids
    assert len(others) == len(ids) - 1
    assert chosen.kind == min(c.kind for c in cands)


def test_stronger_match_beats_older_account_and_oldest_wins_ties():
    old_domain = Candidate("001A", MatchKind.WEBSITE_DOMAIN, "2020-01-01")
    new_email = Candidate("001B", MatchKind.CONTACT_EMAIL, "2025-01-01")
    assert choose([old_domain, new_email])[0] == new_email
    older = Candidate("001C", MatchKind.WEBSITE_DOMAIN, "2019-01-01")
    assert choose([old_domain, older])[0] == older
    assert MatchKind.WEBSITE_DOMAIN.account_match == "email_domain"


def test_ties_go_to_the_smallest_id_and_undated_accounts_rank_last():
    dated = Candidate("001Z", MatchKind.CONTACT_DOMAIN, "2024-01-01T00:00:00.000+0000")
    same_day = Candidate("001Y", MatchKind.CONTACT_DOMAIN, "2024-01-01T00:00:00.000+0000")
    undated = Candidate("001A", MatchKind.CONTACT_DOMAIN, "")
    chosen, others = choose([undated, dated, same_day])
    assert chosen == same_day
    assert others == [dated, undated]  # the others in the same order, for staff to review


def test_an_account_matched_several_ways_counts_once_at_its_strongest():
    by_domain = Candidate("001A", MatchKind.CONTACT_DOMAIN, "2020-01-01")
    by_website = Candidate("001A", MatchKind.WEBSITE_DOMAIN, "2020-01-01")
    other = Candidate("001B", MatchKind.CONTACT_DOMAIN, "2019-01-01")
    chosen, others = choose([by_domain, other, by_website])
    assert (chosen, others) == (by_website, [other])
