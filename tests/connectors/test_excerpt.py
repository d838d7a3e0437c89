"""The call log's excerpts: secrets never reach it, however the vendor spells the key; an answer
with no secret-looking key is kept as it came."""
import json

from syncapp.connectors.http import EXCERPT_CHARS, REDACTED, excerpt


def test_a_secret_is_redacted_whatever_the_case_or_escaping_of_its_key():
    for text in ('{"access_token": "s3cret", "expires_in": 3599}',
                 '{"Access_Token" : "s3cret", "expires_in": 3599}',
                 '{"acc\\u0065ss_token": "s3cret", "expires_in": 3599}',
                 '{"data": [{"nested": {"password": "s3cret"}}]}'):
        kept = excerpt(text)
        assert "s3cret" not in kept and REDACTED in kept, text
        assert json.loads(kept)  # still JSON for the console


def test_an_answer_without_secrets_is_kept_verbatim_and_cut():
    text = '{"order": {"orderNumber": "O-1", "customFields": {"lineToken__c": "a1"}},  "success": true}'
    assert excerpt(text) == text  # a key that merely contains "token" is not a secret's
    assert excerpt(text.encode()) == text
    long = json.dumps({"items": ["x" * 100] * 50})
    assert excerpt(long) == long[:EXCERPT_CHARS]
    assert excerpt("<html>Bad gateway</html>") == "<html>Bad gateway</html>"
    assert excerpt({"client_secret": "s3cret"}) == '{"client_secret": "[redacted]"}'
