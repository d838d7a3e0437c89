"""Every inbound webhook delivery, stored before anything else happens to it (STYLE §3)."""
from django.db import models


class WebhookEvent(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted"  # verified and stored; its job is queued
        IGNORED = "ignored"  # verified, but of a type the hub does not act on
        REJECTED = "rejected"  # failed verification or malformed; never processed

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255, blank=True)
    event_type = models.CharField(max_length=100, blank=True, db_index=True)
    order_id = models.CharField(max_length=100, blank=True, db_index=True)
    account_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict, help_text="Request headers, secrets redacted.")
    body = models.TextField(blank=True)
    verified = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    error = models.TextField(blank=True)
    job = models.ForeignKey("syncapp.SyncJob", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="events")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Deduplication: a verified event id is processed once per provider.
            models.UniqueConstraint(fields=["provider", "event_id"], condition=models.Q(verified=True),
                                    name="unique_verified_event"),
        ]
        permissions = [("replay_webhookevent", "Can replay webhook events")]

    def __str__(self):
        return f"{self.provider} {self.event_type or '?'} {self.event_id}"
