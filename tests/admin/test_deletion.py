"""Delete on both sides, against the billing and Salesforce emulators: the confirmation lists what
each system holds, then both are deleted and audited; a partial failure names the side that failed,
and running the action again finishes the job."""
import pytest
from django.urls import reverse

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.exceptions import NotFoundError
from syncapp.models import AuditEntry, OrderLink
from syncapp.services import deletion
from tests.admin.scenario import billing_order, salesforce_fail_next, synced_order

pytestmark = pytest.mark.django_db(transaction=True)
LIST = reverse("admin:syncapp_orderlink_changelist")


def gone_from_billing(link) -> bool:
    try:
        billing_connector(provider=link.billing_provider).get_order(link.billing_order_id)
    except NotFoundError:
        return True
    return False


def gone_from_salesforce(link) -> bool:
    return not SalesforceConnector.from_settings().query(
        soql("SELECT Id FROM Order WHERE Id = {}", link.salesforce_order_id))


def act(client, link, confirm=True):
    form = {"action": "delete_on_both_sides", "_selected_action": [link.pk]}
    return client.post(LIST, {**form, "post": "yes"} if confirm else form, follow=confirm)


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_confirmation_lists_each_side_as_it_is_now(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"])
    page = act(staff("Ops"), link, confirm=False)
    assert page.status_code == 200
    billing, salesforce = page.context["previews"][0].sides
    assert (billing.order_id, billing.status, billing.lines) == (link.billing_order_id, "Draft", 3)
    assert (salesforce.order_id, salesforce.status, salesforce.lines) == (link.salesforce_order_id, "Draft", 3)
    assert salesforce.number  # Salesforce's OrderNumber, as staff know the order there
    assert not gone_from_billing(link) and not gone_from_salesforce(link)  # nothing deleted yet


def test_confirming_deletes_both_sides_and_audits_it(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"], activate=True)
    ops = staff("Ops")
    assert "set back to Draft first" in act(ops, link, confirm=False).content.decode()
    response = act(ops, link)
    assert "deleted on both sides" in messages_of(response)
    assert gone_from_billing(link) and gone_from_salesforce(link)
    assert not OrderLink.objects.filter(pk=link.pk).exists()
    entry = AuditEntry.objects.get(action="deleted_on_both_sides")
    assert (entry.username, entry.outcome, entry.object_id) == (ops.user.username, "ok", str(link.pk))
    assert entry.details["sides"]["salesforce"]["detail"].endswith("(was Activated; set back to Draft first)")
    assert (entry.details["billing_order_id"], entry.details["lines"]) == (link.billing_order_id, 2)


def test_a_salesforce_failure_is_reported_and_running_again_finishes(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])
    ops = staff("Ops")
    salesforce_fail_next(sandbox, *["503"] * 3)  # the connector sends a refused call twice more
    response = act(ops, link)
    text = messages_of(response)
    assert "partly deleted: the salesforce side failed" in text and "SERVER_UNAVAILABLE" in text
    assert "run the action again" in text.lower()
    assert gone_from_billing(link) and not gone_from_salesforce(link)
    link.refresh_from_db()
    assert link.deleted_in_billing_at and "salesforce failed" in link.last_error
    assert AuditEntry.objects.get().outcome == "partial"

    again = act(ops, link)
    assert "deleted on both sides" in messages_of(again) and "already gone" in messages_of(again)
    assert gone_from_salesforce(link) and not OrderLink.objects.filter(pk=link.pk).exists()


def test_when_the_origin_refuses_the_copy_is_kept(sandbox, settings):
    settings.BILLING_PROVIDER = "nue"
    link = synced_order(["PRO-MONTHLY"], provider="nue", activate=True)  # Nue keeps activated orders
    [result] = deletion.delete_orders([link])
    assert result.outcome == "failed"
    assert result.sides["billing"].status == "failed" and "cannot be deleted" in result.sides["billing"].detail
    assert result.sides["salesforce"].status == "not_attempted"
    assert not gone_from_salesforce(link)


def test_an_order_never_synced_to_salesforce_is_deleted_in_billing(sandbox):
    order = billing_order(["PRO-MONTHLY"])
    link = OrderLink.objects.create(billing_provider="zuora", billing_order_id=order.order_id, origin="billing")
    [preview] = deletion.preview([link])
    assert preview.salesforce.note.startswith("not linked")
    [result] = deletion.delete_orders([link])
    assert (result.outcome, result.sides["salesforce"].status) == ("ok", "not_linked")
    assert gone_from_billing(link)


def test_support_and_viewers_cannot_delete(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])
    for role in ("Support", "Viewer"):
        act(staff(role), link)
    assert not gone_from_billing(link) and not gone_from_salesforce(link)
    assert not AuditEntry.objects.exists()
