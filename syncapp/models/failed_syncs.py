"""Failed syncs as their own list in the console: a proxy of `SyncJob` showing only the
jobs that need a person — failed (a permanent error) or dead (transient errors past the limit)."""
from typing import ClassVar

from django.db import models

from syncapp.models.jobs import SyncJob

FAILED_STATUSES = (SyncJob.Status.FAILED, SyncJob.Status.DEAD)


class FailedSyncManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status__in=FAILED_STATUSES)


class FailedSync(SyncJob):
    objects: ClassVar[FailedSyncManager] = FailedSyncManager()

    class Meta:
        proxy = True
        verbose_name = "failed sync"
        ordering = ["-finished_at", "-id"]
