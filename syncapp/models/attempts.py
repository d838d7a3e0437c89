"""One try of one outside call, kept for the console."""
from django.db import models
from django.utils import timezone


class SyncAttempt(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)  # when the call was made
    vendor = models.CharField(max_length=20)
    operation = models.CharField(max_length=100)
    method = models.CharField(max_length=10)
    url = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    ok = models.BooleanField(default=True)
    error_code = models.CharField(max_length=100, blank=True, db_index=True)
    api_used = models.PositiveIntegerField(null=True, blank=True, help_text="Salesforce API calls used today")
    api_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Salesforce daily API allocation")
    failure = models.JSONField(null=True, blank=True, help_text=(
        "The call's first real failure: errorCode, message, fields, and the node and graph it came from."))
    request_excerpt = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    checkout = models.ForeignKey("syncapp.CheckoutSession", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="attempts")
    job = models.ForeignKey("syncapp.SyncJob", null=True, blank=True, on_delete=models.CASCADE,
                            related_name="calls")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.vendor} {self.operation} {'ok' if self.ok else self.error_code}"

    @classmethod
    def recorder(cls, *, kept: list | None = None, **owner):
        """A connector `recorder` that stores each CallRecord as an attempt owned by `owner`; with
        `kept`, the attempts are appended there unsaved, for the caller to store in one statement
        (a batch's calls: `bulk_create`)."""

        def record(call):
            used, limit = call.extra.get("api_usage") or (None, None)
            attempt = cls(
                vendor=call.vendor, operation=call.operation[:100], method=call.method, url=call.url[:500],
                status_code=call.status, duration_ms=call.duration_ms, ok=call.ok,
                error_code=call.error_code[:100], failure=call.extra.get("failure"),
                request_excerpt=call.request_excerpt,
                response_excerpt=call.response_excerpt, api_used=used, api_limit=limit, **owner)
            if kept is None:
                attempt.save()
            else:
                kept.append(attempt)

        return record
