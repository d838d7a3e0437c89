"""Console fixtures: staff users in each role (groups, not superusers), and a small world holding at
least one object of every model the console shows."""
import uuid
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from syncapp.admin.roles import ensure_roles
from syncapp.models import (
    AccountLink,
    ApiClient,
    AuditEntry,
    CheckoutSession,
    FieldMapping,
    LineLink,
    OrderLink,
    ProductMapping,
    ReconcileReport,
    SyncAttempt,
    SyncJob,
    SyncSettings,
    WebhookEvent,
)
from tests.admin.scenario import sandbox  # noqa: F401 (a fixture for the tests here)

ROLES = ("Ops", "Support", "Viewer")


@pytest.fixture
def roles(db):
    """The groups the data migration creates (tests with a flushed database need them again)."""
    ensure_roles()


@pytest.fixture
def staff(roles):
    """A logged-in test client for a staff user in `role` ("superuser" for a superuser)."""
    from django.test import Client

    def make(role: str) -> Client:
        user = User.objects.create(username=f"{role.lower()}-{uuid.uuid4().hex[:6]}", is_staff=True,
                                   is_superuser=role == "superuser")  # logged in directly: no password
        if role in ROLES:
            user.groups.add(Group.objects.get(name=role))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


def make_job(status, subject, code="", minutes_ago=30, kind=SyncJob.Kind.BILLING_TO_SALESFORCE, provider="zuora",
             **fields) -> SyncJob:
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    done = status not in SyncJob.ACTIVE
    return SyncJob.objects.create(kind=kind, provider=provider, subject=subject, status=status, attempts=1,
                                  last_error_code=code, last_error=f"{code}: something went wrong" if code else "",
                                  finished_at=finished if done else None, **fields)


@pytest.fixture
def world(roles):
    """One or more objects of every registered model, linked the way the hub links them."""
    account = AccountLink.objects.create(salesforce_account_id="001Hb0000000001AAA", billing_provider="zuora",
                                         billing_account_id="A00000001", email="ana@acme.io",
                                         match_key="acme.io", matched_by="created")
    order = OrderLink.objects.create(billing_provider="zuora", billing_order_id="O-WORLD-1",
                                     salesforce_order_id="801Hb0000000001AAA", account_link=account, origin="billing",
                                     status="Draft", abandonment_task_id="00THb0000000001AAA")
    LineLink.objects.create(order_link=order, billing_line_id="L-1", salesforce_item_id="802Hb0000000001AAA")
    ProductMapping.objects.create(sku="PRO-MONTHLY", product2_id="01tHb0000000001AAA",
                                  pricebook2_id="01sHb0000000001AAA", pricebook_entry_id="01uHb0000000001AAA")
    FieldMapping.objects.create(billing_field="PO_Number__c", salesforce_field="PoNumber")
    SyncSettings.load()
    failed = make_job(SyncJob.Status.FAILED, "O-WORLD-1", "unmapped_sku")
    make_job(SyncJob.Status.DEAD, "O-WORLD-2", "SERVER_UNAVAILABLE", minutes_ago=60 * 30)
    make_job(SyncJob.Status.SUCCEEDED, "O-WORLD-3")
    SyncAttempt.objects.create(vendor="salesforce", operation="graph", method="POST", url="https://sf/graph",
                               status_code=400, ok=False, error_code="FIELD_INTEGRITY_EXCEPTION",
                               request_excerpt='{"graphs": [REQUEST-EXCERPT]}',
                               response_excerpt='{"errors": [RESPONSE-EXCERPT]}', api_used=120, api_limit=1000,
                               job=failed)
    WebhookEvent.objects.create(provider="zuora", event_id="evt-1", event_type="order.created",
                                order_id="O-WORLD-1", verified=True, status="accepted", body='{"type": "order.created"}',
                                job=failed)
    WebhookEvent.objects.create(provider="zuora", event_id="evt-bad", event_type="", verified=False,
                                status="rejected", error="bad signature")
    CheckoutSession.objects.create(idempotency_key="k-1", request_fingerprint="f", request={}, email="ana@acme.io")
    AuditEntry.record(None, order, AuditEntry.Action.CHANGED, changes={"status": ["", "Draft"]})
    ReconcileReport.objects.create(outcome="complete", checked=3, orphans=1, findings=[
        {"kind": "orphan", "billing_order_id": "O-GONE", "salesforce_order_id": "801Hb0000000002AAA", "detail": "x"}])
    _task_queue_rows()
    ApiClient.issue("storefront", ["checkout"])
    User.objects.create(username="someone-else")
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
