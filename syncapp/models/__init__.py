from syncapp.models.api_client import ApiClient
from syncapp.models.attempts import SyncAttempt
from syncapp.models.audit import AuditEntry
from syncapp.models.checkout import CheckoutSession
from syncapp.models.cursors import Cursor
from syncapp.models.failed_syncs import FailedSync
from syncapp.models.jobs import SyncJob
from syncapp.models.links import AccountLink, LineLink, OrderLink
from syncapp.models.locks import Lease
from syncapp.models.mappings import FieldMapping, ProductMapping
from syncapp.models.reconcile import ReconcileReport
from syncapp.models.sync_settings import SyncSettings
from syncapp.models.webhooks import WebhookEvent

__all__ = ["AccountLink", "ApiClient", "AuditEntry", "CheckoutSession", "Cursor", "FailedSync", "FieldMapping", "Lease",
           "LineLink", "OrderLink", "ProductMapping", "ReconcileReport", "SyncAttempt", "SyncJob", "SyncSettings", "WebhookEvent"]
