"""Every inbound webhook delivery, stored before anything else happens to it."""
import hashlib

from django.db import models

# What is kept of a delivery that failed verification: anyone can send one, so it must not be able
# to fill the disk. Enough to see what was sent; its size and SHA-256 say the rest.
UNVERIFIED_EXCERPT_BYTES = 4 * 1024
UNVERIFIED_HEADERS = 40  # headers kept, each value cut to the excerpt size / 8


# Order events stored by the intake whose job the dispatcher has not queued yet (engine.take_in).
AWAITING_JOB = models.Q(status="accepted", job__isnull=True)


class WebhookEvent(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted"  # verified and stored; its job is queued (at once by the dispatcher)
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
    body = models.TextField(blank=True, help_text="The whole body when verified, else its first bytes.")
    body_size = models.PositiveIntegerField(default=0, help_text="Bytes received.")
    body_sha256 = models.CharField("body SHA-256", max_length=64, blank=True)
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
        indexes = [
            # The order events whose job the dispatcher has yet to queue (engine.take_in): a
            # handful at any time, however many events are kept.
            models.Index(fields=["id"], condition=AWAITING_JOB, name="event_awaiting_job"),
        ]
        permissions = [("replay_webhookevent", "Can replay webhook events")]

    def __str__(self):
        return f"{self.provider} {self.event_type or '?'} {self.event_id}"

    def keep(self, raw: bytes) -> None:
        """Record the body received: whole once verified, else an excerpt (and excerpts of the
        headers); always its size and SHA-256."""
        self.body_size, self.body_sha256 = len(raw), hashlib.sha256(raw).hexdigest()
        if not self.verified:
            raw = raw[:UNVERIFIED_EXCERPT_BYTES]
            cut = UNVERIFIED_EXCERPT_BYTES // 8
            self.headers = {k[:cut]: str(v)[:cut] for k, v in list(self.headers.items())[:UNVERIFIED_HEADERS]}
        # NUL cannot be stored in a PostgreSQL text column; the body is kept for people to read.
        self.body = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
