"""What staff edit in the console — the id and field mappings and the sync settings — saved or
deleted with the rules that go with them, each edit leaving one audit entry with every changed
field's value before and after.

The one rule so far: an order link pointed at another Salesforce Order forgets the state last
written to the old one, so the next sync writes the order in full instead of skipping it as
unchanged.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from syncapp.models import AuditEntry, OrderLink

# Bookkeeping the database keeps by itself; a change to it is not a change anyone made.
UNTRACKED = {"id", "created_at", "updated_at"}


def save(obj: models.Model, by: AbstractBaseUser | None) -> None:
    """Save `obj` as staff `by` edited it (added when it has no row yet), and audit the change."""
    stored = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk is not None else None
    if isinstance(obj, OrderLink) and isinstance(stored, OrderLink) and stored.salesforce_order_id != obj.salesforce_order_id:
        obj.billing_fingerprint = ""  # the state written to the old Order says nothing about the new one
    before = snapshot(stored)
    with transaction.atomic():
        obj.save()
        changes = diff(before, snapshot(obj))
        if changes:
            action = AuditEntry.Action.CHANGED if stored is not None else AuditEntry.Action.ADDED
            AuditEntry.record(by, obj, action, changes=changes)


def delete(obj: models.Model, by: AbstractBaseUser | None) -> None:
    """Delete `obj` for staff `by`; the audit entry keeps every value it had."""
    with transaction.atomic():
        AuditEntry.record(by, obj, AuditEntry.Action.DELETED, changes=diff({}, snapshot(obj)))
        obj.delete()


def snapshot(obj: models.Model | None) -> dict:
    """The object's own field values, as JSON-ready values (a foreign key as its id)."""
    if obj is None:
        return {}
    encoder = DjangoJSONEncoder()
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in UNTRACKED:
            continue
        value = field.value_from_object(obj)
        plain = isinstance(value, (str, int, float, bool, dict, list, type(None)))
        values[field.name] = value if plain else encoder.default(value)
    return values


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for each field whose value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
