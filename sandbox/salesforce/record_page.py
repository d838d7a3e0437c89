"""The emulator's record page, at Lightning's path for a record (`/lightning/r/<sObject>/<Id>/view`):
a read-only look at one record, its fields and the records under it, so a link built for a real
org's record opens something useful in the sandbox too."""
from django.http import Http404
from django.shortcuts import render

from . import store
from .models import Record


def record_view(request, sobject, record_id):
    record = store.fetch(record_id)
    if record is None or record.sobject != sobject:
        raise Http404(f"No {sobject} {record_id} in the sandbox org")
    children = Record.objects.filter(parent=record.sf_id, is_deleted=False).order_by("sobject", "id")
    return render(request, "sandbox/salesforce/record.html", {
        "record": record, "fields": sorted(record.data.items()),
        "children": [(child, child.data.get("Name") or child.data.get("Email") or child.data.get("Subject")
                      or child.data.get("OrderItemNumber") or "") for child in children],
    })
