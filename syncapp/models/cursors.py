"""Named positions of the hub's pollers (e.g. the Salesforce SystemModstamp watermark)."""
from django.db import models


class Cursor(models.Model):
    name = models.CharField(max_length=100, unique=True)
    value = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} = {self.value or '—'}"
