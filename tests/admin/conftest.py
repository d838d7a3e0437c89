"""Console fixtures: staff users in each role (groups, not superusers), and a small world holding at
least one object of every model the console shows."""
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from syncapp.admin.roles import ensure_roles
from syncapp.models import AuditEntry, SyncJob, SyncSettings
from tests.admin.scenario import sandbox  # noqa: F401 (a fixture for the tests here)
from tests.factories import (
    AccountLinkFactory,
    ApiClientFactory,
    CheckoutSessionFactory,
    FieldMappingFactory,
    LineLinkFactory,
    OrderLinkFactory,
    ProductMappingFactory,
    ReconcileReportFactory,
    StaffFactory,
    SyncAttemptFactory,
    SyncJobFactory,
    WebhookEventFactory,
)


@pytest.fixture
def roles(db):
    """The groups the data migration creates (tests with a flushed database need them again)."""
    ensure_roles()


@pytest.fixture
def staff(roles):
    """A logged-in test client for a staff user in `role` ("superuser" for a superuser)."""

    def make(role: str) -> Client:
        client = Client()
        client.user = StaffFactory(role=role if role != "none" else "")  # logged in directly: no password
        client.force_login(client.user)
        return client

    return make


@pytest.fixture
def world(roles):
    """One or more objects of every registered model, linked the way the hub links them."""
    account = AccountLinkFactory(salesforce_account_id="001Hb0000000001AAA", billing_account_id="A00000001",
                                 email="ana@acme.io", company="", match_key="acme.io")
    order = OrderLinkFactory(billing_order_id="O-WORLD-1", salesforce_order_id="801Hb0000000001AAA",
                             account_link=account, abandonment_task_id="00THb0000000001AAA")
    LineLinkFactory(order_link=order, billing_line_id="L-1", salesforce_item_id="802Hb0000000001AAA")
    ProductMappingFactory(sku="PRO-MONTHLY", product2_id="01tHb0000000001AAA", pricebook2_id="01sHb0000000001AAA",
                          pricebook_entry_id="01uHb0000000001AAA")
    FieldMappingFactory(billing_field="PO_Number__c", salesforce_field="PoNumber")
    SyncSettings.load()
    failed = SyncJobFactory(status=SyncJob.Status.FAILED, subject="O-WORLD-1", last_error_code="unmapped_sku")
    SyncJobFactory(status=SyncJob.Status.DEAD, subject="O-WORLD-2", last_error_code="SERVER_UNAVAILABLE",
                   minutes_ago=60 * 30)
    SyncJobFactory(status=SyncJob.Status.SUCCEEDED, subject="O-WORLD-3")
    SyncAttemptFactory(operation="graph", method="POST", url="https://sf/graph", ok=False,
                       error_code="FIELD_INTEGRITY_EXCEPTION", request_excerpt='{"graphs": [REQUEST-EXCERPT]}',
                       response_excerpt='{"errors": [RESPONSE-EXCERPT]}', api_used=120, api_limit=1000, job=failed)
    WebhookEventFactory(event_id="evt-1", order_id="O-WORLD-1", job=failed)
    WebhookEventFactory(event_id="evt-bad", verified=False, error="bad signature")
    CheckoutSessionFactory(idempotency_key="k-1", email="ana@acme.io")
    AuditEntry.record(None, order, AuditEntry.Action.CHANGED, changes={"status": ["", "Draft"]})
    ReconcileReportFactory(orphans=1, findings=[
        {"kind": "orphan", "billing_order_id": "O-GONE", "salesforce_order_id": "801Hb0000000002AAA", "detail": "x"}])
    _task_queue_rows()
    ApiClientFactory(name="storefront", scopes=["checkout"])
    StaffFactory(username="someone-else", is_staff=False)
    Group.objects.get_or_create(name="Extra")
    return {"account": account, "order": order, "failed": failed}


def _task_queue_rows():
    now = timezone.now()
    for success in (True, False):
        Task.objects.create(id=uuid.uuid4().hex, name=f"task-{success}", func="math.floor", args=(1.5,), kwargs={},
                            started=now, stopped=now, success=success, result="boom" if not success else 1)
    Schedule.objects.get_or_create(name="console smoke", defaults={"func": "math.floor", "args": "1.5"})
    if admin.site.is_registered(OrmQ):  # the ORM broker's queue: one task waiting
        async_task("math.floor", 1.5)
