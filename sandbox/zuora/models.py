"""State of the Zuora emulator: one tenant's accounts, contacts, orders, catalog, OAuth tokens,
idempotency records and test switches. Kept in the database so the web server, the workers and the
tests see the same tenant."""
import secrets

from django.db import models
from django.utils import timezone


def zuora_id() -> str:
    """Zuora object ids are 32 hex characters."""
    return secrets.token_hex(16)


class Contact(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=zuora_id)
    account = models.ForeignKey("Account", related_name="contacts", on_delete=models.CASCADE,
                                null=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    work_email = models.CharField(max_length=80, blank=True, default="", db_index=True)
    work_phone = models.CharField(max_length=40, blank=True, default="")
    address1 = models.CharField(max_length=255, blank=True, default="")
    city = models.CharField(max_length=40, blank=True, default="")
    state = models.CharField(max_length=50, blank=True, default="")
    zip_code = models.CharField(max_length=20, blank=True, default="")
    country = models.CharField(max_length=64, blank=True, default="")
    created_date = models.DateTimeField(default=timezone.now)
    updated_date = models.DateTimeField(default=timezone.now)


class Account(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=zuora_id)
    seq = models.PositiveIntegerField(unique=True)  # gives the account number A00000001
    account_number = models.CharField(max_length=70, unique=True)
    name = models.CharField(max_length=255)
    currency = models.CharField(max_length=3)
    bill_cycle_day = models.PositiveSmallIntegerField(default=1)
    payment_term = models.CharField(max_length=40, default="Due Upon Receipt")
    crm_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    notes = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, default="Active")
    custom_fields = models.JSONField(default=dict)
    bill_to = models.ForeignKey(Contact, related_name="+", null=True, on_delete=models.SET_NULL)
    sold_to = models.ForeignKey(Contact, related_name="+", null=True, on_delete=models.SET_NULL)
    created_date = models.DateTimeField(default=timezone.now)
    updated_date = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]


class Order(models.Model):
    DRAFT, COMPLETED, CANCELLED = "Draft", "Completed", "Cancelled"

    id = models.CharField(primary_key=True, max_length=32, default=zuora_id)
    seq = models.PositiveIntegerField(unique=True)
    order_number = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey(Account, related_name="orders", on_delete=models.PROTECT)
    status = models.CharField(max_length=20)
    order_date = models.DateField()
    description = models.TextField(blank=True, default="")
    custom_fields = models.JSONField(default=dict)
    # The request's subscriptions, normalised: every rate plan has its uniqueToken and every
    # charge override its catalog ids, list price, quantity and billing period filled in.
    subscriptions = models.JSONField(default=list)
    created_date = models.DateTimeField(default=timezone.now)
    updated_date = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["seq"]


class RatePlan(models.Model):
    """The catalog, flattened: one product with one rate plan with one recurring per-unit charge
    per SKU. Seeded lazily (`catalog.ensure_seeded`)."""

    sku = models.CharField(max_length=50, unique=True)
    product_id = models.CharField(max_length=32, default=zuora_id)
    product_number = models.CharField(max_length=20)
    product_name = models.CharField(max_length=100)
    rate_plan_id = models.CharField(max_length=32, unique=True, default=zuora_id)
    rate_plan_number = models.CharField(max_length=20, unique=True)
    rate_plan_name = models.CharField(max_length=100)
    charge_id = models.CharField(max_length=32, default=zuora_id)
    charge_number = models.CharField(max_length=20)
    list_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    billing_period = models.CharField(max_length=20)

    class Meta:
        ordering = ["id"]


class Token(models.Model):
    access_token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()


class IdempotencyRecord(models.Model):
    """A POST made with an `Idempotency-Key`: what was asked and what was answered (replayed to
    a retry with the same key for 24 hours)."""

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)  # method, path and body
    done = models.BooleanField(default=False)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)


class Control(models.Model):
    """Test switches (pk=1), set through `/sandbox/zuora/_control`."""

    token_lifetime = models.PositiveIntegerField(default=3600)  # seconds
    fail_next = models.JSONField(default=list)  # e.g. ["500", "timeout"], consumed one per call
    timeout_seconds = models.FloatField(default=3.0)  # how long a "timeout" stalls
    latency_ms = models.PositiveIntegerField(default=0)  # added to every REST call (benchmarks)
    # Tenant features: Flexible Billing Attributes (a subscription's own `paymentTerm`) and the
    # Object Query API, which a tenant may not have.
    flexible_billing = models.BooleanField(default=False)
    object_query = models.BooleanField(default=True)

    @classmethod
    def load(cls) -> "Control":
        control, _ = cls.objects.get_or_create(pk=1)
        return control


class CallCount(models.Model):
    endpoint = models.CharField(max_length=100, unique=True)  # e.g. "POST /v1/orders"
    count = models.PositiveIntegerField(default=0)
