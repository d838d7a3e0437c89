"""Every connector reads a vendor's `Retry-After` the same way: the delay in seconds, or an
HTTP-date turned into the seconds left; a header it cannot read means no advice."""
import datetime as dt

import pytest
import requests

from syncapp.connectors.http import retry_after

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def answer(value: str | None) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    if value is not None:
        response.headers["Retry-After"] = value
    return response


@pytest.mark.parametrize("value, seconds", [
    ("1", 1.0), ("120", 120.0),
    ("Mon, 07 Dec 2026 09:01:30 GMT", 90.0),  # IMF-fixdate
    ("Monday, 07-Dec-26 09:02:00 GMT", 120.0),  # obsolete RFC 850 form, still to be accepted
    ("Mon, 07 Dec 2026 08:00:00 GMT", 0.0),  # already past: retry now
])
def test_seconds_and_http_dates_are_read(value, seconds):
    assert retry_after(answer(value), now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "1.5", "-3", "²"])
def test_an_absent_or_unreadable_header_gives_no_advice(value):
    assert retry_after(answer(value), now=NOW) is None


def test_no_answer_at_all_gives_no_advice():
    assert retry_after(None) is None
