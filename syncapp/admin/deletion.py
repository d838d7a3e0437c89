"""The "delete on both sides" action on orders: a confirmation page listing exactly what each system
holds now, then the deletes, then one message per order naming any side that failed."""
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from syncapp.services import deletion

MAX_ORDERS = 50  # one confirmation page, read live from both systems


@admin.action(description="Delete the selected orders in billing and Salesforce…",
              permissions=["delete_on_both_sides"])
def delete_on_both_sides(modeladmin, request, queryset):
    links = list(queryset.select_related("account_link")[:MAX_ORDERS + 1])
    if len(links) > MAX_ORDERS:
        modeladmin.message_user(request, f"Select at most {MAX_ORDERS} orders at a time.", messages.ERROR)
        return None
    if request.POST.get("post") == "yes":
        for result in deletion.delete_orders(links, user=request.user):
            _report(modeladmin, request, result)
        return None  # back to the list
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Delete orders in billing and Salesforce?",
        "opts": modeladmin.opts,
        "previews": deletion.preview(links),
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
