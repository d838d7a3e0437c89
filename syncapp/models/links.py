"""Id mappings between billing and Salesforce."""
from django.db import models


class AccountLink(models.Model):
    """A Salesforce Account ↔ a billing account, and how the Account was found."""

    class MatchedBy(models.TextChoices):
        CONTACT_EMAIL = "contact_email"
        EMAIL_DOMAIN = "email_domain"
        CREATED = "created"
        CRM_ID = "crm_id"

    salesforce_account_id = models.CharField(max_length=18, db_index=True)
    billing_provider = models.CharField(max_length=20)
    billing_account_id = models.CharField(max_length=80, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    company = models.CharField(max_length=255, blank=True, help_text="The customer's name in billing.")
    match_key = models.CharField(max_length=300, blank=True, db_index=True)
    matched_by = models.CharField(max_length=20, choices=MatchedBy.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["billing_provider", "billing_account_id"],
                                    condition=~models.Q(billing_account_id=""), name="unique_billing_account"),
        ]

    def __str__(self):
        return f"{self.salesforce_account_id} ↔ {self.billing_account_id or '—'}"

    @classmethod
    def remember(cls, provider: str, billing_account_id: str, salesforce_account_id: str, *, email: str = "",
                 company: str = "", matched_by: str = MatchedBy.CRM_ID, match_key: str = "",
                 link: "AccountLink | None" = None) -> "AccountLink":
        """The link of a billing account, made or brought up to date: the Salesforce Account is the
        one billing now names; how it was first matched is kept, and what is known of the customer
        fills what the link does not know yet. `link`: the row, when the caller read it already
        (then an unchanged link costs no statement)."""
        if link is None:
            link, created = cls.objects.get_or_create(
                billing_provider=provider, billing_account_id=billing_account_id,
                defaults={"salesforce_account_id": salesforce_account_id, "email": email, "company": company,
                          "matched_by": matched_by, "match_key": match_key})
            if created:
                return link
        wanted = {"salesforce_account_id": salesforce_account_id, "email": link.email or email,
                  "company": link.company or company, "match_key": link.match_key or match_key}
        changed = [name for name, value in wanted.items() if getattr(link, name) != value]
        if changed:
            for name in changed:
                setattr(link, name, wanted[name])
            link.save(update_fields=[*changed, "updated_at"])
        return link


class OrderLink(models.Model):
    """A billing order ↔ a Salesforce Order, and what the hub last wrote to and read from each side.

    The fingerprints make echo suppression possible: a webhook caused by the hub's own write to
    billing carries the state the hub wrote, so it is recognised and costs no Salesforce call."""

    class Origin(models.TextChoices):
        BILLING = "billing"
        SALESFORCE = "salesforce"

    billing_provider = models.CharField(max_length=20)
    billing_order_id = models.CharField(max_length=80, blank=True)
    salesforce_order_id = models.CharField(max_length=18, blank=True, db_index=True)
    account_link = models.ForeignKey(AccountLink, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=20, choices=Origin.choices)
    status = models.CharField(max_length=20, blank=True, help_text="Order status as last synced.")
    billing_fingerprint = models.CharField(max_length=64, blank=True,
                                           help_text="The billing state last written to Salesforce.")
    salesforce_fingerprint = models.CharField(max_length=64, blank=True,
                                              help_text="The Salesforce state last written to billing.")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    conflict = models.JSONField(null=True, blank=True,
                                help_text="Both sides' states when the origin refused a change.")
    deleted_in_billing_at = models.DateTimeField(null=True, blank=True)
    abandonment_task_id = models.CharField(max_length=18, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["billing_provider", "billing_order_id"],
                                    condition=~models.Q(billing_order_id=""), name="unique_billing_order"),
            models.UniqueConstraint(fields=["salesforce_order_id"], condition=~models.Q(salesforce_order_id=""),
                                    name="unique_salesforce_order"),
        ]
        permissions = [("delete_on_both_sides", "Can delete orders in billing and Salesforce"),
                       ("delete_activated_on_both_sides",
                        "Can delete activated (paid) orders in billing and Salesforce")]

    def __str__(self):
        return f"{self.billing_order_id or '—'} ↔ {self.salesforce_order_id or '—'}"


class LineLink(models.Model):
    """A billing order line ↔ a Salesforce OrderItem."""

    order_link = models.ForeignKey(OrderLink, on_delete=models.CASCADE, related_name="lines")
    billing_line_id = models.CharField(max_length=80)
    salesforce_item_id = models.CharField(max_length=18, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_link", "billing_line_id"], name="unique_line")]

    def __str__(self):
        return f"{self.billing_line_id} ↔ {self.salesforce_item_id or '—'}"
