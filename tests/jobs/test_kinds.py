"""Each kind of job is run by one function, declared by the flow it belongs to."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from syncapp.jobs import kinds
from syncapp.models import SyncJob


def test_every_kind_of_job_has_one_handler_declared_by_its_flow():
    handlers = {kind: kinds.handler(kind) for kind in SyncJob.Kind.values}
    assert {kind for kind, h in handlers.items() if h.batch} == {SyncJob.Kind.BILLING_TO_SALESFORCE}
    assert all(h.run.__module__.startswith("syncapp.sync.") for h in handlers.values())


def test_a_second_handler_for_a_kind_is_refused():
    with pytest.raises(ImproperlyConfigured, match="already run by"):
        @kinds.handles(SyncJob.Kind.ACTIVATION)
        def another(job, recorder):  # pragma: no cover (never registered)
            return {}


def test_a_handler_for_a_kind_no_job_has_is_refused():
    with pytest.raises(ImproperlyConfigured, match="no kind of SyncJob"):
        kinds.handles("activaton")
