"""Catalog and field mappings between billing and Salesforce, editable by staff."""
from django.db import models


class ProductMapping(models.Model):
    """A billing SKU ↔ Product2 and its standard PricebookEntry (per currency). Resolved once from
    Salesforce (`Product2.ProductCode` = SKU) and cached here."""

    sku = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, default="USD")
    product2_id = models.CharField(max_length=18)
    pricebook2_id = models.CharField(max_length=18, help_text="The standard price book.")
    pricebook_entry_id = models.CharField(max_length=18)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sku", "currency"], name="one_mapping_per_sku")]

    def __str__(self):
        return f"{self.sku} ({self.currency}) → {self.pricebook_entry_id}"


class FieldMapping(models.Model):
    """A billing order custom field ↔ a Salesforce Order field, synced in both directions."""

    billing_field = models.CharField(max_length=100, help_text="Custom field name on the billing order.")
    salesforce_field = models.CharField(max_length=100, help_text="API name of the Salesforce Order field.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["billing_field"], name="one_mapping_per_billing_field")]

    def __str__(self):
        return f"{self.billing_field} ↔ Order.{self.salesforce_field}"

    @classmethod
    def active_map(cls) -> dict[str, str]:
        """Billing field → Salesforce Order field, for the active mappings."""
        return dict(cls.objects.filter(active=True).values_list("billing_field", "salesforce_field"))
