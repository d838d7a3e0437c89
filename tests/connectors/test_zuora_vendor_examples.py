"""The connector's parsers on the examples Zuora publishes (tests/connectors/fixtures/zuora/*.json,
each naming the page it comes from), not only on what the emulator answers."""
import json
from pathlib import Path

import requests

from syncapp.connectors.billing.zuora.errors import decoded, error_for
from syncapp.exceptions import PermanentError

FIXTURES = Path(__file__).parent / "fixtures" / "zuora"


def example(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text())
    assert data["source"].startswith("https://")  # where Zuora publishes it
    return data


def answered(data: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = data["http_status"]
    response._content = json.dumps(data["body"]).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_zuoras_sample_error_is_a_permanent_invalid_value_with_its_reasons():
    data = example("error_invalid_term_type.json")
    response = answered(data)

    error = error_for(response, decoded(response))
    assert isinstance(error, PermanentError)
    assert (error.code, error.status) == ("invalid_value", 200)  # category 20, despite HTTP 200
    assert error.details["reasons"] == data["body"]["reasons"]
    assert error.details["process_id"] == "CBCFED6580B4E076"
    assert "termType" in str(error)
