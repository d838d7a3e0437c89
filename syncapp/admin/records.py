"""Where the console finds an order by its customer, and where it links to each system's own page
of a record.

Salesforce: the record's Lightning page on the configured instance (the sandbox emulator serves a
read-only page at the same path). Billing: the page ZUORA_ORDER_URL / NUE_ORDER_URL name (in the
sandbox, the emulator's); a tenant's UI address cannot be derived from its API address, so without
them the ids are shown unlinked.
"""
from __future__ import annotations

from urllib.parse import quote

from django.db.models import Q, QuerySet
from django.utils.html import format_html

from syncapp import conf
from syncapp.models import OrderLink

# The fields a person may type to find an order: its ids on either side, and its customer's.
ORDER_SEARCH = ("billing_order_id", "salesforce_order_id", "account_link__email", "account_link__company",
                "account_link__billing_account_id", "account_link__salesforce_account_id")
SEARCH_HELP = "Customer email or company, billing account or order number, Salesforce Account or Order id."
JOB_SEARCH_HELP = SEARCH_HELP.removesuffix(".") + ", or error text."


def orders_matching(term: str) -> QuerySet:
    """The order links whose ids or customer match `term` (every word of it, in any of those fields)."""
    found = OrderLink.objects.all()
    for word in term.split():
        found = found.filter(Q(*(Q(**{f"{name}__icontains": word}) for name in ORDER_SEARCH), _connector=Q.OR))
    return found


def salesforce_url(sobject: str, record_id: str) -> str:
    instance = (conf.salesforce().instance_url or "").rstrip("/")
    return f"{instance}/lightning/r/{sobject}/{record_id}/view" if instance and record_id else ""


def billing_order_url(provider: str, order_id: str) -> str:
    """The order's page in the billing app, from ZUORA_ORDER_URL / NUE_ORDER_URL (`{order}` is the
    order's number or id), or "" when none is configured."""
    template = conf.billing_order_url(provider)
    if not template and conf.sandbox():  # the emulator's own page of the order
        base = conf.billing_base_url(provider)
        template = f"{base.rstrip('/')}/checkout/{{order}}" if base else ""
    return template.format(order=quote(order_id, safe="")) if template and order_id else ""


def record_link(url: str, text: str):
    """`text` linking to `url` in a new tab (the other system's page), or just `text`."""
    if not text:
        return "—"
    if not url:
        return format_html("<code>{}</code>", text)
    return format_html('<a href="{}" target="_blank" rel="noopener"><code>{}</code></a>', url, text)
