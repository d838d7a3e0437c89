"""Shared fixtures. The hub's code runs for real: a real database, a live HTTP server that serves
both the hub and the sandbox emulators, and the real connectors talking to it over HTTP."""
import uuid

import pytest
from django.core.servers.basehttp import WSGIRequestHandler

from syncapp.models import ApiClient

# The live test server writes a response in several small packets; with Nagle's algorithm on, a
# client reusing a keep-alive connection waits ~40 ms for each answer (delayed ACK). gunicorn,
# which serves the hub in production, already sets TCP_NODELAY.
WSGIRequestHandler.disable_nagle_algorithm = True

# Tests that start whole hubs (`make run`), several worker clusters or a browser, or race many
# threads at once (each live-server thread holds a database connection: several such tests at once
# ran PostgreSQL out of its 100). Under pytest-xdist (`make test`) they go to one worker, one after
# another, beside the light tests of the other workers: two of them at once on a 2-CPU machine only
# wait for each other. Being the largest group, xdist's loadgroup hands it out first. The soak
# (`slow`), the longest test by far, goes to another worker at the start, so it does not end last.
SERIAL = (
    "tests/test_make_run.py",
    "tests/concurrency/",
    "tests/browser/",
    "tests/test_health.py::test_every_part_is_ok_once_a_worker_has_run_the_sweeper",
    "tests/api/test_checkout.py::test_twenty_concurrent_checkouts_for_one_new_domain_make_one_account",
    "tests/api/test_checkout.py::test_concurrent_checkouts_of_different_customers_all_complete",
)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    for item in items:  # before xdist reads the groups
        if item.nodeid.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
        if item.get_closest_marker("serial"):
            item.add_marker(pytest.mark.xdist_group("serial"))
    yield
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # after pytest-django's order


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Close connections after each request in tests, so live-server threads do not keep the
    test database busy when it is dropped."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test reads and writes every cache under a prefix of its own, so what is kept there
    (rejected webhook deliveries per address, health probes, shared vendor sessions and tokens)
    belongs to the test that made it. Clearing instead would need the database (the cache table)
    in every test, and would empty a Redis broker's queues."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {name: {**cache, "KEY_PREFIX": prefix}
                       for name, cache in settings.CACHES.items()}


@pytest.fixture
def hub_url(live_server, settings):
    """Base URL of a live server serving the hub and the sandbox; the connectors point at it."""
    base = live_server.url
    settings.HUB_PUBLIC_URL = base
    settings.SANDBOX_URL = f"{base}/sandbox"
    settings.SALESFORCE_INSTANCE_URL = f"{base}/sandbox/salesforce"
    settings.SALESFORCE_USERNAME = "hub@sandbox.example"
    settings.SALESFORCE_PASSWORD = "sandbox"
    settings.ZUORA_BASE_URL = f"{base}/sandbox/zuora"
    settings.NUE_BASE_URL = f"{base}/sandbox/nue"
    return base


@pytest.fixture
def make_token(db):
    """Issue an API token with the given scopes."""

    def make(*scopes, name=None):
        _, token = ApiClient.issue(name or f"client-{'-'.join(scopes) or 'none'}", scopes)
        return token

    return make
