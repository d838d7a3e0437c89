"""factory_boy factories for the hub's own rows: jobs and their attempts, stored webhook deliveries,
links and mappings, checkouts, API clients, reconcile reports, and staff users in a role.

Only the hub's own records are made here. Whatever lives in billing or Salesforce (orders,
accounts, products) is made through the real connectors against the sandbox emulators
(tests/admin/scenario.py), so a test about a sync or a vendor never runs on invented vendor data.
"""
from datetime import timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone
from factory.django import DjangoModelFactory

from syncapp.models import (
    AccountLink,
    ApiClient,
    CheckoutSession,
    FieldMapping,
    LineLink,
    OrderLink,
    ProductMapping,
    ReconcileReport,
    SyncAttempt,
    SyncJob,
    WebhookEvent,
)
from syncapp.roles import ROLES


def salesforce_id(prefix: str):
    """A sequence of well-formed 18-character Salesforce ids of one object (its 3-character prefix)."""
    return factory.Sequence(lambda n: f"{prefix}Hb{n:010d}AAA")


class StaffFactory(DjangoModelFactory):
    """A staff user. `role`: "Ops", "Support" or "Viewer" makes it a member of that group of
    `syncapp.roles` (create the groups first: `ensure_roles()`); "superuser" makes it a superuser.
    `password` is hashed; without one the user has no usable password (log in with `force_login`)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    password = factory.django.Password(None)
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if not create or not extracted:
            return
        if extracted == "superuser":
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        elif extracted in ROLES:
            user.groups.add(Group.objects.get(name=extracted))
        else:
            raise ValueError(f"no role {extracted!r}: one of {sorted(ROLES)} or 'superuser'")


class AccountLinkFactory(DjangoModelFactory):
    class Meta:
        model = AccountLink

    salesforce_account_id = salesforce_id("001")
    billing_provider = "zuora"
    billing_account_id = factory.Sequence(lambda n: f"A{n:08d}")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    company = factory.Sequence(lambda n: f"Company {n}")
    match_key = factory.LazyAttribute(lambda o: o.email.split("@")[-1])
    matched_by = AccountLink.MatchedBy.CREATED


class OrderLinkFactory(DjangoModelFactory):
    """A billing-born draft linked to its Salesforce Order, without a customer unless `account_link`
    is given."""

    class Meta:
        model = OrderLink

    billing_provider = "zuora"
    billing_order_id = factory.Sequence(lambda n: f"O-{n:08d}")
    salesforce_order_id = salesforce_id("801")
    origin = OrderLink.Origin.BILLING
    status = "Draft"


class LineLinkFactory(DjangoModelFactory):
    class Meta:
        model = LineLink

    order_link = factory.SubFactory(OrderLinkFactory)
    billing_line_id = factory.Sequence(lambda n: f"L-{n}")
    salesforce_item_id = salesforce_id("802")


class ProductMappingFactory(DjangoModelFactory):
    class Meta:
        model = ProductMapping

    sku = factory.Sequence(lambda n: f"SKU-{n}")
    product2_id = salesforce_id("01t")
    pricebook2_id = salesforce_id("01s")
    pricebook_entry_id = salesforce_id("01u")


class FieldMappingFactory(DjangoModelFactory):
    class Meta:
        model = FieldMapping

    billing_field = factory.Sequence(lambda n: f"Field{n}__c")
    salesforce_field = factory.Sequence(lambda n: f"Field{n}__c")


class SyncJobFactory(DjangoModelFactory):
    """A billing → Salesforce job in `status`; a finished one finished `minutes_ago` (30 by default),
    and `last_error_code` given writes a matching `last_error`."""

    class Meta:
        model = SyncJob

    class Params:
        minutes_ago = 30

    kind = SyncJob.Kind.BILLING_TO_SALESFORCE
    provider = "zuora"
    subject = factory.Sequence(lambda n: f"O-{n:08d}")
    status = SyncJob.Status.SUCCEEDED
    attempts = 1
    last_error_code = ""
    last_error = factory.LazyAttribute(lambda o: f"{o.last_error_code}: something went wrong" if o.last_error_code
                                       else "")
    finished_at = factory.LazyAttribute(lambda o: None if o.status in SyncJob.ACTIVE
                                        else timezone.now() - timedelta(minutes=o.minutes_ago))


class SyncAttemptFactory(DjangoModelFactory):
    """One successful Salesforce call; a failed one with `ok=False` and its `error_code`."""

    class Meta:
        model = SyncAttempt

    vendor = "salesforce"
    operation = "query"
    method = "GET"
    url = factory.LazyAttribute(lambda o: f"https://{o.vendor}.example/{o.operation}")
    status_code = factory.LazyAttribute(lambda o: 200 if o.ok else 400)
    ok = True


class WebhookEventFactory(DjangoModelFactory):
    """A verified, accepted `order.created` delivery from Zuora; `verified=False` makes a rejected one."""

    class Meta:
        model = WebhookEvent

    provider = "zuora"
    verified = True
    event_id = factory.LazyAttributeSequence(lambda o, n: f"evt-{n}" if o.verified else "")
    event_type = factory.LazyAttribute(lambda o: "order.created" if o.verified else "")
    order_id = factory.LazyAttributeSequence(lambda o, n: f"O-{n:08d}" if o.verified else "")
    status = factory.LazyAttribute(lambda o: WebhookEvent.Status.ACCEPTED if o.verified
                                   else WebhookEvent.Status.REJECTED)
    body = factory.LazyAttribute(lambda o: f'{{"type": "{o.event_type}"}}' if o.verified else "")


class CheckoutSessionFactory(DjangoModelFactory):
    class Meta:
        model = CheckoutSession

    idempotency_key = factory.Sequence(lambda n: f"key-{n}")
    request_fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    request = factory.Dict({})
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")


class ApiClientFactory(DjangoModelFactory):
    """A calling system with a real token, issued as `manage.py create_api_client` issues one; the
    token itself (shown once, never stored) is on the client as `.token`."""

    class Meta:
        model = ApiClient

    name = factory.Sequence(lambda n: f"client-{n}")
    scopes = factory.List(["checkout"])
    expires_at = None

    @classmethod
    def _create(cls, model_class, name, scopes, expires_at=None, **fields):
        client, token = model_class.issue(name, scopes, expires_at=expires_at)
        if fields:
            model_class.objects.filter(pk=client.pk).update(**fields)
            client.refresh_from_db()
        client.token = token
        return client


class ReconcileReportFactory(DjangoModelFactory):
    class Meta:
        model = ReconcileReport

    outcome = ReconcileReport.Outcome.COMPLETE
    checked = 3
