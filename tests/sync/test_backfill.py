"""Backfill against the emulators over HTTP: drafts that predate the hub reach Salesforce once,
through the job engine; an interrupted run resumes where it stopped and syncs nothing twice."""
import json
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import soql
from syncapp.connectors.vendors import Vendors
from syncapp.models import Cursor, SyncJob, SyncSettings
from syncapp.sync import backfill
from syncapp.sync.order_sync import sync_order
from tests.sync.test_order_sync import FIVE_LINES, order_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["zuora", "nue"], autouse=True)
def provider(request, hub_settings, hub_url):
    hub_settings["billing_provider"] = request.param
    # The drafts predate the hub: no webhook ever told it about them.
    requests.post(f"{hub_url}/sandbox/webhooks/_control", json={"auto_deliver": False}, timeout=10).raise_for_status()
    return request.param


@pytest.fixture
def drafts(provider):
    billing = billing_connector()
    made = [order_of(billing, FIVE_LINES[:2], email=f"old{i}@acme.io") for i in range(7)]
    sync_order(provider, made[0].order_id, Vendors.from_settings())  # one already reached Salesforce
    return made


def run_backfill(*args) -> dict:
    out = StringIO()
    call_command("backfill", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def in_salesforce(sf, order_id) -> int:
    return len(sf.query(soql("SELECT Id FROM Order WHERE Billing_Order_Id__c = {}", order_id)))


class Interrupted(Exception):
    """Ctrl-C after the first batch."""


def test_every_draft_reaches_salesforce_once(drafts, sf):
    done = run_backfill("--batch", "3")
    assert (done["listed"], done["already_linked"], done["queued"], done["synced"]) == (7, 1, 6, 6)
    assert [in_salesforce(sf, o.order_id) for o in drafts] == [1] * 7
    again = run_backfill("--batch", "3")
    assert (again["resumed"], again["queued"]) == (7, 0)  # a second run does nothing twice


def test_an_interrupted_run_resumes_and_syncs_none_twice(drafts, sf):
    def stop_after_first_batch(n):
        raise Interrupted

    with pytest.raises(Interrupted):
        backfill.backfill(Vendors.from_settings(), batch=3, progress=stop_after_first_batch)
    first = {o.order_id for o in drafts[:3]}
    assert set(SyncJob.objects.values_list("subject", flat=True)) == first - {drafts[0].order_id}
    finished = dict(SyncJob.objects.values_list("subject", "finished_at"))

    done = run_backfill("--batch", "3")
    assert (done["resumed"], done["queued"], done["synced"]) == (3, 4, 4)
    assert [in_salesforce(sf, o.order_id) for o in drafts] == [1] * 7
    for subject, when in finished.items():  # the first batch's jobs did not run again
        assert SyncJob.objects.get(subject=subject).finished_at == when


def test_a_cursor_that_no_longer_matches_the_listing_checks_every_draft_again(drafts, sf, provider):
    run_backfill()
    Cursor.objects.filter(name=backfill.cursor_name(provider, None)).update(value='{"done":2,"last":"nope"}')
    done = run_backfill()
    assert (done["resumed"], done["already_linked"], done["queued"]) == (0, 7, 0)


def test_it_refuses_while_draft_sync_is_off(drafts):
    SyncSettings.objects.update_or_create(pk=1, defaults={"sync_draft_orders": False})
    with pytest.raises(CommandError, match="turned off"):
        run_backfill()
