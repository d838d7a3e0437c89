"""One self-service checkout, keyed by the caller's idempotency key."""
import uuid

from django.db import models


class CheckoutSession(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        FAILED = "failed"  # part-way; a retry with the same key resumes
        REJECTED = "rejected"  # invalid input found before anything was created; replayed as is

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Keys are the client's own: another client sending the same key starts its own checkout.
    client = models.ForeignKey("syncapp.ApiClient", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="checkouts")
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    request = models.JSONField()
    email = models.EmailField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    steps = models.JSONField(default=dict, blank=True, help_text="Result of each finished step.")
    other_matches = models.JSONField(default=list, blank=True,
                                     help_text="Other Salesforce Accounts that matched, for staff to review.")
    response = models.JSONField(null=True, blank=True, help_text="The body of the last answer.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.JSONField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["client", "idempotency_key"],
                                               name="checkout_key_unique_per_client")]

    def __str__(self):
        return f"checkout {self.email} ({self.status})"
