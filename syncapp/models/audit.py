"""What staff did in the console: who, when, to what, and the values before and after.

Mapping edits, settings changes, retries, resolutions, replays and deletes on both sides each leave
one row. Rows are never edited or deleted through the console.
"""
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        ADDED = "added"
        CHANGED = "changed"
        DELETED = "deleted"
        DELETED_ON_BOTH_SIDES = "deleted_on_both_sides", "deleted on both sides"
        RETRIED = "retried"
        RESOLVED = "resolved"
        REPLAYED = "replayed"

    class Outcome(models.TextChoices):
        OK = "ok"
        PARTIAL = "partial"  # one side done, the other failed: running the action again retries
        FAILED = "failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    action = models.CharField(max_length=30, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder,
                               help_text="Changed fields: {field: [before, after]}.")
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.username or 'system'} {self.get_action_display()} {self.object_repr}"

    @classmethod
    def record(cls, user, obj, action: str, *, changes=None, details=None, outcome=Outcome.OK,
               model=None) -> "AuditEntry":
        """One entry about `obj` (a model instance, possibly deleted since). `model` names the
        model when `obj` is a proxy shown under another name."""
        user = user if getattr(user, "is_authenticated", False) else None
        return cls.objects.create(
            user=user, username=user.get_username() if user else "", action=action, outcome=outcome,
            content_type=ContentType.objects.get_for_model(model or obj, for_concrete_model=True),
            object_id=str(obj.pk or ""), object_repr=str(obj)[:200], changes=changes or {},
            details=details or {})

    @classmethod
    def for_object(cls, obj) -> models.QuerySet:
        return cls.objects.filter(content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
                                  object_id=str(obj.pk))
