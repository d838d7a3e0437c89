"""hub.production refuses to start when the active billing provider cannot be reached: the hub
would otherwise run with every sync failing and health saying "billing: not configured"."""
import pytest

from tests.security.test_production_settings import production_env, run

NUE = {"BILLING_PROVIDER": "nue", "NUE_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
       "NUE_BASE_URL": "https://api.nue.io", "NUE_API_KEY": "key"}


@pytest.mark.parametrize("overrides, missing", [
    ({"ZUORA_BASE_URL": None}, "ZUORA_BASE_URL"),
    ({"ZUORA_CLIENT_ID": None, "ZUORA_CLIENT_SECRET": None}, "ZUORA_CLIENT_ID, ZUORA_CLIENT_SECRET"),
    ({**NUE, "NUE_API_KEY": None}, "NUE_API_KEY"),
    ({**NUE, "NUE_BASE_URL": None}, "NUE_BASE_URL"),
])
def test_an_unconfigured_billing_provider_stops_the_process(tmp_path, overrides, missing):
    done = run(["manage.py", "check"], production_env(tmp_path, **overrides))
    assert done.returncode != 0
    assert f"ImproperlyConfigured: Set {missing}:" in done.stderr


def test_a_configured_provider_starts(tmp_path):
    done = run(["manage.py", "check"], production_env(tmp_path, **NUE))
    assert done.returncode == 0, done.stderr
