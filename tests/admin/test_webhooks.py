"""The webhook log: read-only, filterable, and "replay" queues the orders' syncs again."""
import pytest
from django.urls import reverse

from syncapp.models import AuditEntry, SyncJob, WebhookEvent

pytestmark = pytest.mark.django_db
LIST = reverse("admin:syncapp_webhookevent_changelist")


def test_filters_by_provider_type_verified_and_status(world, staff):
    viewer = staff("Viewer")

    def listed(**params):
        return {e.event_id for e in viewer.get(LIST, params).context["cl"].result_list}

    assert listed(status__exact="rejected") == {"evt-bad"}
    assert listed(verified__exact="1") == {"evt-1"}
    assert listed(event_type="order.created", provider="zuora") == {"evt-1"}


def test_replay_queues_the_sync_of_verified_order_events_only(world, staff):
    SyncJob.objects.filter(subject="O-WORLD-1").delete()
    ops = staff("Ops")
    events = list(WebhookEvent.objects.values_list("pk", flat=True))
    response = ops.post(LIST, {"action": "replay_events", "_selected_action": events}, follow=True)
    assert "Queued the sync of 1 order(s); skipped 1 event(s)" in response.content.decode()
    job = SyncJob.objects.get(subject="O-WORLD-1")
    assert job.status == "pending" and WebhookEvent.objects.get(event_id="evt-1").job == job
    assert AuditEntry.objects.filter(action="replayed", username=ops.user.username).count() == 2


def test_an_event_is_shown_as_stored(world, staff):
    event = WebhookEvent.objects.get(event_id="evt-1")
    page = staff("Viewer").get(reverse("admin:syncapp_webhookevent_change", args=[event.pk])).content.decode()
    assert "order.created" in page and 'name="_save"' not in page
