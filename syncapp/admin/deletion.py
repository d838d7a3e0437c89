"""The "delete on both sides" action on orders: a confirmation page listing exactly what each system
holds now and what will happen to it, then the deletes, then one message per order naming any
side that failed.

Drafts are one confirmed action. An activated order is paid for: the page asks for its number typed
and a reason, and the deletion flow (`syncapp.sync.deletion`) decides, reading both systems again,
whether what was given is enough; its refusal is shown here as it words it.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from syncapp.connectors.vendors import Vendors
from syncapp.models import SyncAttempt
from syncapp.sync import deletion

MAX_ORDERS = 50  # one confirmation page, read live from both systems


class ConfirmDeletion(forms.Form):
    """What the confirmation page asks. `number`: the activated order's number, which staff type (both
    fields are asked for then); "" for drafts (no number to type); None to read what was posted."""
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                             help_text="Kept in the audit log with your name.")
    order_number = forms.CharField(max_length=80, required=False, label="Type the order number to confirm")

    def __init__(self, *args, number: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number or ""
        if number:
            self.fields["reason"].required = True
            self.fields["order_number"].required = True
        elif number == "":
            del self.fields["order_number"]


@admin.action(description="Delete the selected orders in billing and Salesforce…",
              permissions=["delete_on_both_sides"])
def delete_on_both_sides(modeladmin, request, queryset):
    links = list(queryset.select_related("account_link")[:MAX_ORDERS + 1])
    if len(links) > MAX_ORDERS:
        modeladmin.message_user(request, f"Select at most {MAX_ORDERS} orders at a time.", messages.ERROR)
        return None
    vendors = Vendors.from_settings(SyncAttempt.recorder())
    confirmed = request.POST.get("post") == "yes"
    given = ConfirmDeletion(request.POST) if confirmed else None
    if given is not None and given.is_valid():
        try:
            outcomes = deletion.delete_orders(links, vendors, user=request.user,
                                              reason=given.cleaned_data["reason"],
                                              typed_number=given.cleaned_data["order_number"])
        except deletion.DeletionRefused as refused:
            return _refused(modeladmin, request, links, refused)
        for outcome in outcomes:
            _report(modeladmin, request, outcome)
        return None  # back to the list
    previews = deletion.preview(links, vendors)
    try:
        deletion.check_allowed(previews, request.user)
    except deletion.DeletionRefused as refused:
        return _refused(modeladmin, request, links, refused)
    form = ConfirmDeletion(request.POST if confirmed else None, number=deletion.activated_number(previews))
    return _confirmation(modeladmin, request, links, previews, form)


def _refused(modeladmin, request, links, refused: deletion.DeletionRefused):
    """Who asks or what was selected: a message on the list. What was typed: the page again, with
    what is missing next to where it goes."""
    if not refused.problems:
        modeladmin.message_user(request, str(refused), messages.ERROR)
        return None
    form = ConfirmDeletion(request.POST, number=refused.number)
    form.is_valid()
    for name, problem in refused.problems.items():
        if name in form.fields and not form.has_error(name):
            form.add_error(name, problem)
    return _confirmation(modeladmin, request, links, refused.previews, form)


def _confirmation(modeladmin, request, links, previews, form):
    activated = any(p.activated for p in previews)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": (f"Delete activated order {form.number} in billing and Salesforce?" if activated
                  else "Delete orders in billing and Salesforce?"),
        "opts": modeladmin.opts,
        "previews": previews,
        "activated": activated,
        "form": form,
        "queryset": links,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "delete_on_both_sides",
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/console/delete_on_both_sides.html", context)


def _report(modeladmin, request, result: deletion.DeletionOutcome) -> None:
    name = result.billing_order_id or result.salesforce_order_id
    sides = "; ".join(f"{side}: {outcome.status.replace('_', ' ')}" + (f" — {outcome.detail}" if outcome.detail else "")
                      for side, outcome in result.sides.items())
    if result.outcome == "ok":
        modeladmin.message_user(request, f"Order {name} deleted on both sides ({sides}).", messages.SUCCESS)
        return
    failed = " and ".join(s.side for s in result.sides.values() if s.status == "failed")
    done = "partly deleted" if result.outcome == "partial" else "not deleted"
    modeladmin.message_user(request, f"Order {name} {done}: the {failed} side failed. {sides}. Run the action "
                                     "again to retry; what is already gone is skipped.", messages.ERROR)
