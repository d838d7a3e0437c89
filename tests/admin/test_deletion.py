"""Delete on both sides, against the billing and Salesforce emulators: the confirmation lists what
each system holds, then both are deleted and audited; a partial failure names the side that failed,
and running the action again finishes the job."""
import pytest
import requests
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from syncapp.connectors.billing import billing_connector
from syncapp.connectors.salesforce import SalesforceConnector, soql
from syncapp.connectors.vendors import Vendors
from syncapp.exceptions import NotFoundError
from syncapp.models import AuditEntry, OrderLink
from syncapp.sync import deletion
from tests.admin.scenario import billing_order, salesforce_fail_next, synced_order
from tests.factories import OrderLinkFactory, StaffFactory

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


def act(client, link, confirm=True, **typed):
    form = {"action": "delete_on_both_sides", "_selected_action": [link.pk], **typed}
    return client.post(LIST, {**form, "post": "yes"} if confirm else form, follow=confirm)


def billing_status(link) -> str:
    return str(billing_connector(provider=link.billing_provider).get_order(link.billing_order_id).status)


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


def test_a_draft_is_deleted_on_both_sides_with_one_confirmation_and_audited(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"])
    ops = staff("Ops")
    page = act(ops, link, confirm=False).content.decode()
    assert "order_number" not in page  # drafts: one confirmed action, nothing to type
    response = act(ops, link)
    assert "deleted on both sides" in messages_of(response)
    assert gone_from_billing(link) and gone_from_salesforce(link)
    assert not OrderLink.objects.filter(pk=link.pk).exists()
    entry = AuditEntry.objects.get(action="deleted_on_both_sides")
    assert (entry.username, entry.outcome, entry.object_id) == (ops.user.username, "ok", str(link.pk))
    assert (entry.details["billing_order_id"], entry.details["lines"]) == (link.billing_order_id, 2)


def test_an_activated_order_shows_who_what_and_what_will_happen(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"], activate=True, email="fay@zeta.io", company="Zeta Co")
    page = act(staff("Ops"), link, confirm=False)
    text = page.content.decode()
    [preview] = page.context["previews"]
    assert preview.activated and (preview.billing.status, preview.salesforce.status) == ("Activated", "Activated")
    assert preview.billing.amount == preview.salesforce.amount == 59  # 49 + 10
    assert preview.billing.account == link.account_link.billing_account_id
    assert preview.salesforce.account == link.account_link.salesforce_account_id
    for shown in ("fay@zeta.io", "Zeta Co", "59.00", "paid for", "cannot delete an activated order",
                  "set back to Draft, then deleted", f"<code>{link.billing_order_id}</code>", 'name="reason"'):
        assert shown in text, shown


def test_an_activated_order_goes_only_once_its_number_is_typed_and_a_reason_given(sandbox, staff):
    link = synced_order(["PRO-MONTHLY", "ADDON-SEATS"], activate=True)
    ops = staff("Ops")
    for typed in ({}, {"order_number": "O-WRONG", "reason": "duplicate"}, {"order_number": link.billing_order_id}):
        refused = act(ops, link, **typed)
        assert refused.context["form"].errors  # the page again, with what is missing
        assert billing_status(link) == "Activated" and not gone_from_salesforce(link)
    response = act(ops, link, order_number=link.billing_order_id, reason="Bought twice by mistake; refunded")
    assert "deleted on both sides" in messages_of(response)
    assert gone_from_billing(link) and gone_from_salesforce(link)  # Zuora deletes an order not yet invoiced
    entry = AuditEntry.objects.get(action="deleted_on_both_sides")
    assert (entry.username, entry.details["reason"]) == (ops.user.username, "Bought twice by mistake; refunded")
    assert entry.details["sides"]["salesforce"]["detail"].endswith("(was Activated; set back to Draft first)")


def test_the_flow_itself_refuses_an_activated_order_without_what_deleting_one_takes(sandbox, roles):
    """Called directly, not through the console: the same rules, read live from both systems."""
    link = synced_order(["PRO-MONTHLY"], activate=True)
    ops, support = StaffFactory(role="Ops"), StaffFactory(role="Support")
    number = link.billing_order_id
    refusals = [
        ({"user": None, "reason": "duplicate", "typed_number": number}, "needs the permission", {}),
        ({"user": support, "reason": "duplicate", "typed_number": number}, "needs the permission", {}),
        ({"user": ops}, "activated", {"order_number", "reason"}),
        ({"user": ops, "reason": "duplicate", "typed_number": "O-WRONG"}, f"Type {number} exactly", {"order_number"}),
        ({"user": ops, "reason": "  ", "typed_number": number}, "reason", {"reason"}),
    ]
    for given, said, missing in refusals:
        with pytest.raises(deletion.DeletionRefused, match=said) as refused:
            deletion.delete_orders([link], Vendors.from_settings(), **given)
        assert set(refused.value.problems) == set(missing), given
    draft = synced_order(["ADDON-SEATS"], email="gus@eta.io")
    with pytest.raises(deletion.DeletionRefused, match="one at a time"):
        deletion.delete_orders([link, draft], Vendors.from_settings(), user=ops, reason="duplicate", typed_number=number)
    assert billing_status(link) == "Activated" and not gone_from_salesforce(link)  # nothing deleted
    assert not gone_from_billing(draft) and not AuditEntry.objects.exists()

    [result] = deletion.delete_orders([link], Vendors.from_settings(), user=ops, reason="duplicate", typed_number=f" {number} ")
    assert result.outcome == "ok" and gone_from_billing(link) and gone_from_salesforce(link)
    assert AuditEntry.objects.get().details["reason"] == "duplicate"


def test_an_activated_order_billing_will_not_delete_is_canceled_there(sandbox, hub_settings, roles):
    hub_settings["billing_provider"] = "nue"
    link = synced_order(["PRO-MONTHLY"], provider="nue", activate=True)  # Nue never deletes an activated order
    [result] = deletion.delete_orders([link], Vendors.from_settings(), user=StaffFactory(role="Ops"), reason="test",
                                      typed_number=link.billing_order_id)
    assert result.outcome == "ok" and result.sides["billing"].status == "canceled"
    assert billing_status(link) == "Canceled" and gone_from_salesforce(link)


def test_the_confirmation_says_when_billing_documents_no_delete(sandbox, hub_settings):
    hub_settings["billing_provider"] = "nue"
    nue, zuora = synced_order(["PRO-MONTHLY"], provider="nue"), synced_order(["PRO-MONTHLY"], email="gus@eta.io")
    notes = {p.link.billing_provider: p.billing.note for p in deletion.preview([nue, zuora], Vendors.from_settings())}
    assert "nue documents no API to delete or cancel an order" in notes["nue"]
    assert notes["zuora"] == ""


def test_activated_orders_need_their_own_permission_and_go_one_at_a_time(sandbox, staff):
    activated = synced_order(["PRO-MONTHLY"], activate=True)
    draft = synced_order(["ADDON-SEATS"], email="gus@eta.io")
    drafts_only = staff("Viewer")  # may delete drafts, not activated orders
    drafts_only.user.user_permissions.add(Permission.objects.get(codename="delete_on_both_sides"))
    for role in ("Support", "Viewer"):
        assert not Group.objects.get(name=role).permissions.filter(codename="delete_activated_on_both_sides").exists()
    refused = act(drafts_only, activated, order_number=activated.billing_order_id, reason="r")
    assert "needs the permission" in messages_of(refused) and billing_status(activated) == "Activated"
    both = staff("Ops").post(LIST, {"action": "delete_on_both_sides", "_selected_action": [activated.pk, draft.pk]},
                             follow=True)
    assert "one at a time" in messages_of(both) and billing_status(activated) == "Activated"
    act(drafts_only, draft)
    assert gone_from_billing(draft) and gone_from_salesforce(draft)


def test_a_salesforce_failure_is_reported_and_running_again_finishes(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])
    ops = staff("Ops")
    # The confirmation reads Salesforce again (3 tries), then the delete's first call fails (3 tries).
    salesforce_fail_next(sandbox, *["503"] * 6)
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


def test_when_the_origin_refuses_the_copy_is_kept(sandbox):
    link = synced_order(["PRO-MONTHLY"])
    requests.post(f"{sandbox}/sandbox/zuora/_control", json={"fail_next": ["500"] * 3}, timeout=5).raise_for_status()
    [result] = deletion.delete_orders([link], Vendors.from_settings())
    assert result.outcome == "failed"
    assert result.sides["billing"].status == "failed" and "run the action again" in result.sides["billing"].detail
    assert result.sides["salesforce"].status == "not_attempted"
    assert not gone_from_salesforce(link)


def test_an_order_never_synced_to_salesforce_is_deleted_in_billing(sandbox):
    order = billing_order(["PRO-MONTHLY"])
    link = OrderLinkFactory(billing_order_id=order.order_id, salesforce_order_id="", status="")
    [preview] = deletion.preview([link], Vendors.from_settings())
    assert preview.salesforce.note.startswith("not linked")
    [result] = deletion.delete_orders([link], Vendors.from_settings())
    assert (result.outcome, result.sides["salesforce"].status) == ("ok", "not_linked")
    assert gone_from_billing(link)


def test_support_and_viewers_cannot_delete(sandbox, staff):
    link = synced_order(["PRO-MONTHLY"])
    for role in ("Support", "Viewer"):
        act(staff(role), link)
    assert not gone_from_billing(link) and not gone_from_salesforce(link)
    assert not AuditEntry.objects.exists()
