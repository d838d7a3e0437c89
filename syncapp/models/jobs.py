"""`SyncJob`: the durable unit of work. Correctness never depends on the broker: a job row says what
must happen, the dispatcher hands due jobs to the workers and the sweeper recovers orphaned ones."""
from django.db import models
from django.utils import timezone

AWAITING_DISPATCH = "syncjob_awaiting_dispatch"  # the partial index of the pending jobs not handed over


class SyncJob(models.Model):
    class Kind(models.TextChoices):
        BILLING_TO_SALESFORCE = "billing_to_salesforce"
        SALESFORCE_TO_BILLING = "salesforce_to_billing"
        ACTIVATION = "activation"
        ABANDONED_CART = "abandoned_cart"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # a permanent error: staff must act
        DEAD = "dead"  # transient errors past the attempt limit
        RESOLVED = "resolved"  # failed or dead, then closed by staff in the console; a new event runs it again

    ACTIVE = (Status.PENDING, Status.RUNNING)

    kind = models.CharField(max_length=40, choices=Kind.choices)
    provider = models.CharField(max_length=20)
    subject = models.CharField(max_length=100, help_text="The order this job is about (billing or Salesforce id).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the dispatcher handed the job to the workers; empty while it waits for the dispatcher.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    rerun = models.BooleanField(default=False, help_text="Changed while running: run again afterwards.")
    last_error_code = models.CharField(max_length=100, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # One job per order and kind: a new event refreshes it instead of adding another.
            models.UniqueConstraint(fields=["kind", "provider", "subject"], name="one_job_per_subject"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   # The dispatcher's reads: only the jobs waiting for it, so jobs already handed
                   # over (a backlog the workers are still running) are not walked every poll.
                   models.Index(fields=["next_attempt_at"], name=AWAITING_DISPATCH,
                                condition=models.Q(status="pending", enqueued_at__isnull=True)),
                   # The console's chart and counts read finished jobs by time, from the index alone.
                   models.Index(fields=["finished_at", "status"], name="syncjob_finished")]
        permissions = [("retry_syncjob", "Can retry sync jobs"), ("resolve_syncjob", "Can mark sync jobs resolved")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject} ({self.status})"
