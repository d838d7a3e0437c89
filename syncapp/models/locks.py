"""Named leases: a short-lived lock that does not hold a database transaction open.

Checkouts hold one on their match key while they talk to Salesforce, so concurrent checkouts for
the same new organisation create one Account. A lease (not `select_for_update`) because the holder
waits on HTTP calls: on SQLite an open write transaction would stall every other writer, and a
lease that outlives a crashed holder simply expires.
"""
from django.db import models


class Lease(models.Model):
    key = models.CharField(max_length=300, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.key} (held by {self.holder})"
