"""Where the emulators keep their call counters when they run as a server of their own (the
benchmarks, HUB_SANDBOX_DATABASES): in a SQLite database of their own, `CALLS`.

SQLite lets one transaction write at a time, and every emulated call counts itself (an UPDATE)
before it does anything else. In one database a plain read therefore waited for whatever was being
written (a Salesforce graph, a Zuora order) before it was even counted, and answered in seconds
where the vendor latency set for the benchmark was 100 ms. Counted apart, it waits only for the
UPDATEs of other counts."""
from __future__ import annotations

CALLS = "sandbox_calls"
COUNTERS = {("sandbox_salesforce", "callcount"), ("sandbox_zuora", "callcount")}


class EmulatorDatabases:
    """The Salesforce and Zuora emulators' `CallCount` in `CALLS`, and nothing else there."""

    def db_for_read(self, model, **hints):
        return CALLS if (model._meta.app_label, model._meta.model_name) in COUNTERS else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return ((app_label, model_name) in COUNTERS) == (db == CALLS)
