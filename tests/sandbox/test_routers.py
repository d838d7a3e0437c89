"""The emulators as a server of their own (the benchmarks) keep their call counters in a database
of their own, so that counting a call never waits for another call's writes; everything else
stays where it was."""
from django.apps import apps

from sandbox.routers import CALLS, EmulatorDatabases

router = EmulatorDatabases()


def test_the_salesforce_and_zuora_call_counters_are_kept_apart():
    for label in ("sandbox_salesforce", "sandbox_zuora"):
        counts = apps.get_model(label, "CallCount")
        assert router.db_for_read(counts) == router.db_for_write(counts) == CALLS
        assert router.allow_migrate(CALLS, label, "callcount")
        assert not router.allow_migrate("default", label, "callcount")


def test_the_rest_stays_in_the_default_database():
    for label, model in (("sandbox_salesforce", "Record"), ("sandbox_zuora", "Order"),
                         ("sandbox_webhooks", "Delivery"), ("syncapp", "SyncJob")):
        assert router.db_for_write(apps.get_model(label, model)) is None
        assert router.allow_migrate("default", label, model.lower())
        assert not router.allow_migrate(CALLS, label, model.lower())
    assert not router.allow_migrate(CALLS, "syncapp", None)  # RunPython, RunSQL
