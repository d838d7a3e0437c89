"""What each reconcile run found: the drift between billing and Salesforce, kept for the console."""
from django.db import models

# A report keeps at most this many findings (the counts stay exact): a row stays small even when
# a whole org has drifted, and the first thousand are plenty to act on.
MAX_FINDINGS = 1000


class ReconcileReport(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        DEFERRED = "deferred", "deferred (Salesforce API allocation)"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly"
        COMMAND = "command"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.COMMAND)
    since = models.DateTimeField(null=True, blank=True, help_text="Only billing orders changed since then.")
    fix = models.BooleanField(default=False, help_text="Repairs were queued as sync jobs.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    checked = models.PositiveIntegerField(default=0, help_text="Billing orders compared.")
    missing_in_salesforce = models.PositiveIntegerField(default=0)
    missing_in_billing = models.PositiveIntegerField(default=0)
    stale_in_salesforce = models.PositiveIntegerField(default=0)
    stale_in_billing = models.PositiveIntegerField(default=0)
    orphans = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0, help_text="Sync jobs queued by --fix.")
    findings = models.JSONField(default=list, blank=True,
                                help_text=f"Each finding: kind, billing and Salesforce ids, detail (first {MAX_FINDINGS}).")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"reconcile {self.started_at:%Y-%m-%d %H:%M} — {self.outcome}"

    @property
    def missing(self) -> int:
        return self.missing_in_salesforce + self.missing_in_billing

    @property
    def stale(self) -> int:
        return self.stale_in_salesforce + self.stale_in_billing

    @property
    def drift(self) -> int:
        return self.missing + self.stale + self.orphans
