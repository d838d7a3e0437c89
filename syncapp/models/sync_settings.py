"""The switches staff flip in the console. One row, read fresh when used."""
from django.core.validators import MinValueValidator
from django.db import models

from syncapp.domain.matching import PUBLIC_EMAIL_DOMAINS


def _default_public_domains() -> str:
    return "\n".join(sorted(PUBLIC_EMAIL_DOMAINS))


class SyncSettings(models.Model):
    sync_draft_orders = models.BooleanField(default=True, help_text="Sync draft orders between billing and Salesforce.")
    auto_sync = models.BooleanField(default=True, help_text="Sync billing drafts to Salesforce when their webhooks arrive.")
    sync_salesforce_edits = models.BooleanField(
        default=False, help_text="Also push edits of Salesforce-origin drafts to billing without the Sync Order button.")
    abandonment_threshold_hours = models.PositiveIntegerField(
        default=24, help_text="A self-service draft older than this becomes a follow-up Task for the account owner.")
    max_attempts = models.PositiveIntegerField(default=8, help_text="Attempts before a failing sync job is dead.")
    public_email_domains = models.TextField(
        default=_default_public_domains,
        help_text="Mail providers never used to match an account by domain, one per line.")
    share_billing_account = models.BooleanField(
        default=False,
        help_text="Bill a new buyer on the billing account of the Salesforce Account they are matched to, when it "
                  "has one, instead of giving each buyer's email a billing account of its own.")
    retention_processed_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1)],
        help_text="Days the retention sweep keeps processed webhook deliveries, outside calls and finished jobs.")
    retention_rejected_days = models.PositiveIntegerField(
        default=7, validators=[MinValueValidator(1)], help_text="Days it keeps rejected webhook deliveries.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "sync settings"

    def __str__(self):
        return "Sync settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "SyncSettings":
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def public_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.public_email_domains.split() if d.strip())
