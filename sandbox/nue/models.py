"""State of the Nue emulator. It lives in the database so the web server and the worker processes
see the same tenant. The catalog is seeded lazily (see `catalog.py`), never by a migration, because
tests that flush tables between runs must find it again."""
import uuid

from django.db import models


def new_id() -> str:
    return str(uuid.uuid4())


class Product(models.Model):
    """A published product with its one price book entry (Nue keeps them apart; one entry per
    product is all the emulator needs)."""

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    price_book_entry_id = models.CharField(max_length=36, unique=True, default=new_id)
    sku = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=255)
    list_price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    billing_period = models.CharField(max_length=20)  # Month, Quarter, Annual
    uom = models.CharField(max_length=40, default="User/Month")

    class Meta:
        ordering = ["sku"]


class Customer(models.Model):
    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    account_number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=255)
    record_type = models.CharField(max_length=20, default="Business")
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # The Salesforce Account Id (Nue's `externalId`).
    external_id = models.CharField(max_length=18, blank=True, db_index=True)
    billing_street = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=80, blank=True)
    billing_state = models.CharField(max_length=80, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=80, blank=True)
    payment_term = models.CharField(max_length=40, blank=True)
    bill_cycle_day = models.PositiveSmallIntegerField(null=True, blank=True)
    bill_to_contact = models.ForeignKey("Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    primary_contact = models.ForeignKey("Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_date = models.DateTimeField(auto_now_add=True)
    last_modified_date = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_date", "account_number"]


class Contact(models.Model):
    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=40, blank=True)
    last_name = models.CharField(max_length=80)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    billing_street = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=80, blank=True)
    billing_state = models.CharField(max_length=80, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=80, blank=True)
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_date", "id"]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Order(models.Model):
    DRAFT, ACTIVATED, CANCELED = "Draft", "Activated", "Canceled"

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    order_number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    bill_to_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    status = models.CharField(max_length=20, default=DRAFT, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    effective_date = models.DateField()
    billing_period = models.CharField(max_length=20, default="Month")
    payment_term = models.CharField(max_length=40, default="Due Upon Receipt")
    bill_cycle_day = models.PositiveSmallIntegerField(null=True, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)  # {"Field__c": value}
    activated_date = models.DateTimeField(null=True, blank=True)
    canceled_date = models.DateTimeField(null=True, blank=True)
    created_date = models.DateTimeField(auto_now_add=True)
    last_modified_date = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["created_date", "order_number"]


class OrderProduct(models.Model):
    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="order_products")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    list_price = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)  # percent
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    net_sales_price = models.DecimalField(max_digits=14, decimal_places=4)  # per unit
    subscription_start_date = models.DateField()
    subscription_term = models.PositiveIntegerField(default=12)  # months
    billing_period = models.CharField(max_length=20)
    custom_fields = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]


class IdempotentRequest(models.Model):
    """A create request seen with an `Idempotency-Key`, and the answer it got."""

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)


class ControlState(models.Model):
    """The test switches (`/_control`): failures queued for the next calls, endpoints this tenant
    lacks, and call counts."""

    fail_next = models.JSONField(default=list)
    absent_endpoints = models.JSONField(default=list)
    # Nue documents no idempotency key: off, a repeated `Idempotency-Key` is not replayed.
    idempotency_keys = models.BooleanField(default=True)
    timeout_seconds = models.FloatField(default=2.0)
    calls = models.JSONField(default=dict)
