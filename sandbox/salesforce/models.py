"""The emulated org's state. Everything lives in the database so the web server and the worker
processes (and test live servers) see one org."""
from django.db import models


class Org(models.Model):
    """The single org row: sequences, the test switches of `_control`, and the API allocation."""

    org_id = models.CharField(max_length=18)
    owner_id = models.CharField(max_length=18, blank=True)
    standard_pricebook_id = models.CharField(max_length=18, blank=True)
    next_order_number = models.PositiveIntegerField(default=100)
    next_item_number = models.PositiveIntegerField(default=1)
    latency_ms = models.PositiveIntegerField(default=0)
    fault_rates = models.JSONField(default=dict)
    timeout_seconds = models.FloatField(default=35.0)
    fail_next = models.JSONField(default=list)
    daily_limit = models.PositiveIntegerField(default=100_000)
    duplicate_rules = models.BooleanField(default=False)
    multi_currency = models.BooleanField(default=False)
    field_changes = models.JSONField(default=dict)
    api_usage = models.PositiveIntegerField(default=0)
    usage_day = models.DateField(null=True)


class Session(models.Model):
    key = models.CharField(max_length=120, unique=True)
    user_id = models.CharField(max_length=18)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)


class Record(models.Model):
    """One sObject record. `data` holds its fields by canonical name (Id excluded); the columns
    beside it copy the values the hub filters on, so SOQL can narrow in the database first."""

    sf_id = models.CharField(max_length=18, unique=True, null=True)
    sobject = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    system_modstamp = models.DateTimeField()
    is_deleted = models.BooleanField(default=False)
    external_key = models.CharField(max_length=255, null=True)
    email = models.CharField(max_length=255, null=True)
    domain = models.CharField(max_length=255, null=True)
    code = models.CharField(max_length=255, null=True)
    parent = models.CharField(max_length=18, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["sobject", "external_key"]),
            models.Index(fields=["sobject", "email"]),
            models.Index(fields=["sobject", "domain"]),
            models.Index(fields=["sobject", "code"]),
            models.Index(fields=["sobject", "parent"]),
            models.Index(fields=["sobject", "system_modstamp"]),
        ]
        constraints = [
            # Unique external ids (and usernames) among live records, enforced by the database
            # too, so concurrent writers cannot both win.
            models.UniqueConstraint(
                fields=["sobject", "external_key"], name="sf_record_unique_external_key",
                condition=models.Q(is_deleted=False, external_key__isnull=False)),
        ]


class CallCount(models.Model):
    resource = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)


class QueryCursor(models.Model):
    """A query's remaining result, paged through `nextRecordsUrl`."""

    locator = models.CharField(max_length=18, unique=True)
    soql = models.TextField()
    include_deleted = models.BooleanField(default=False)
    batch_size = models.PositiveIntegerField(default=2000)
    ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
