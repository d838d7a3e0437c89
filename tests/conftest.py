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


@pytest.fixture(scope="session", autouse=True)
def _prefetch_threads_stopped(django_db_setup, django_db_blocker):
    """The sync batches' prefetch threads keep their database connections from batch to batch:
    they close them before the test database is dropped."""
    yield
    from syncapp.sync import prefetch

    with django_db_blocker.unblock():
        prefetch.stop()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test reads and writes every cache under a prefix of its own, so what is kept there
    (rejected webhook deliveries per address, health probes, shared vendor sessions and tokens)
    belongs to the test that made it. Clearing instead would need the database (the cache table)
    in every test, and would empty a Redis broker's queues."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {name: {**cache, "KEY_PREFIX": prefix}
                       for name, cache in settings.CACHES.items()}


class HubSettings:
    """The hub's own settings (`HUB` in hub/settings.py) for one test: `hub_settings["billing_provider"]
    = "nue"` changes one until the test ends, through pytest-django's `settings`."""

    def __init__(self, settings):
        self._settings = settings

    def __getitem__(self, name: str):
        return self._settings.HUB[name]

    def __setitem__(self, name: str, value) -> None:
        if name not in self._settings.HUB:  # a misspelt name would change nothing the hub reads
            raise KeyError(f"HUB has no setting {name!r}")
        self._settings.HUB = {**self._settings.HUB, name: value}

    def update(self, **values) -> None:
        for name, value in values.items():
            self[name] = value


@pytest.fixture
def hub_settings(settings) -> HubSettings:
    return HubSettings(settings)


@pytest.fixture
def hub_url(live_server, hub_settings):
    """Base URL of a live server serving the hub and the sandbox; the connectors point at it."""
    base = live_server.url
    hub_settings.update(public_url=base, sandbox_url=f"{base}/sandbox",
                        salesforce_instance_url=f"{base}/sandbox/salesforce",
                        salesforce_username="hub@sandbox.example", salesforce_password="sandbox",
                        zuora_base_url=f"{base}/sandbox/zuora", nue_base_url=f"{base}/sandbox/nue")
    return base


@pytest.fixture
def make_token(db):
    """Issue an API token with the given scopes."""

    def make(*scopes, name=None):
        _, token = ApiClient.issue(name or f"client-{'-'.join(scopes) or 'none'}", scopes)
        return token

    return make
