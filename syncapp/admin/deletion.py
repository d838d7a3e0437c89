"""The "delete on both sides" action on orders: a confirmation page listing exactly what each system
holds now and what will happen to it, then the deletes, then one message per order naming any
side that failed.

Drafts are one confirmed action. An activated order is paid for, so deleting one needs its own
permission, is done one order at a time, and is confirmed by typing its order number and giving a
reason, which the audit log keeps. Whether an order is activated is read live from both systems
again when the deletion is confirmed: the server decides, not the page.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from syncapp.sync import deletion

MAX_ORDERS = 50  # one confirmation page, read live from both systems
ACTIVATED_PERMISSION = "syncapp.delete_activated_on_both_sides"


class ConfirmDeletion(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                             help_text="Kept in the audit log with your name.")
    order_number = forms.CharField(max_length=80, required=False, label="Type the order number to confirm")

    def __init__(self, *args, number: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number  # set when an activated order is to be deleted
        if number:
            self.fields["reason"].required = True
            self.fields["order_number"].required = True
        else:
            del self.fields["order_number"]

    def clean_order_number(self):
        typed = self.cleaned_data["order_number"].strip()
        if typed != self.number:
            raise forms.ValidationError(f"Type {self.number} exactly to delete this activated order.")
        return typed


@admin.action(description="Delete the selected orders in billing and Salesforce…",
              permissions=["delete_on_both_sides"])
def delete_on_both_sides(modeladmin, request, queryset):
    links = list(queryset.select_related("account_link")[:MAX_ORDERS + 1])
    if len(links) > MAX_ORDERS:
        modeladmin.message_user(request, f"Select at most {MAX_ORDERS} orders at a time.", messages.ERROR)
        return None
    previews = deletion.preview(links)
    activated = [p for p in previews if p.activated]
    if activated and not request.user.has_perm(ACTIVATED_PERMISSION):
        modeladmin.message_user(request, f"Order {activated[0].number} is activated (paid for). Deleting an "
                                         "activated order needs the permission “Can delete activated (paid) orders "
                                         "in billing and Salesforce” (the Ops role); nothing was deleted.",
                                messages.ERROR)
        return None
    if activated and len(previews) > 1:
        modeladmin.message_user(request, f"Order {activated[0].number} is activated (paid for): select it on its own. "
                                         "Activated orders are deleted one at a time; nothing was deleted.",
                                messages.ERROR)
        return None
    number = activated[0].number if activated else ""
    confirmed = request.POST.get("post") == "yes"
    form = ConfirmDeletion(request.POST if confirmed else None, number=number)
    if confirmed and form.is_valid():
        for result in deletion.delete_orders(links, user=request.user, reason=form.cleaned_data["reason"]):
            _report(modeladmin, request, result)
        return None  # back to the list
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": (f"Delete activated order {number} in billing and Salesforce?" if activated
                  else "Delete orders in billing and Salesforce?"),
        "opts": modeladmin.opts,
        "previews": previews,
        "activated": bool(activated),
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
