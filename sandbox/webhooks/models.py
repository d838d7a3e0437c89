"""What the emulators' outbound webhook sender remembers: every delivery, and the test switches.

Both live in the database so the web server, the workers and the tests see the same state.
"""
from django.db import models
from django.utils import timezone

# Seconds to wait before retry 1, 2, 3, …; after the last one the delivery is given up.
DEFAULT_RETRY_SCHEDULE = [1, 5, 30, 120, 600, 3600, 6 * 3600, 12 * 3600]


class Delivery(models.Model):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every retry used up
    STATUSES = [(PENDING, "Pending"), (DELIVERED, "Delivered"), (FAILED, "Failed")]

    provider = models.CharField(max_length=20)
    msg_id = models.CharField(max_length=64, unique=True)  # the `webhook-id`, kept across retries
    event_type = models.CharField(max_length=50)
    payload = models.TextField()  # the exact JSON body that is signed and sent
    target_url = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)  # attempts made so far (failed or not)
    # When the next attempt is due. A sender claims a delivery by moving this into the future
    # (a lease): nobody else sees it as due until the lease runs out.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.msg_id} ({self.status})"


class Switches(models.Model):
    """One row (pk=1) of knobs for tests and demos; see `views.control`."""

    duplicate = models.PositiveIntegerField(default=1)  # send every attempt this many times
    delay_ms = models.PositiveIntegerField(default=0)  # wait before each send
    reorder = models.BooleanField(default=False)  # hold due deliveries, release newest first
    reorder_batch = models.PositiveIntegerField(default=2)  # release once this many are held
    release_requested = models.BooleanField(default=False)  # release held ones on the next pass
    paused = models.BooleanField(default=False)  # send nothing
    auto_deliver = models.BooleanField(default=True)  # the background sender thread works
    retry_schedule = models.JSONField(default=list)  # seconds; empty = DEFAULT_RETRY_SCHEDULE

    @classmethod
    def current(cls) -> "Switches":
        """The switches as set, or the defaults when nobody set any (read-only: the sender
        thread polls this and must not write)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @classmethod
    def load(cls) -> "Switches":
        # Created lazily: test databases are flushed between tests, so no data migration.
        switches, _ = cls.objects.get_or_create(pk=1)
        return switches

    @property
    def schedule(self) -> list[float]:
        return [float(s) for s in (self.retry_schedule or DEFAULT_RETRY_SCHEDULE)]
