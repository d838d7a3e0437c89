"""docs/sandbox.md says true things: its catalog is the emulators' catalog, and its walkthrough's
draft reaches Salesforce linked to its customer."""
import contextlib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from syncapp.connectors.billing import billing_connector
from syncapp.models import OrderLink
from tests.admin.scenario import run_sync, sandbox  # noqa: F401 (a fixture)

DOC = (Path(__file__).resolve().parent.parent / "docs" / "sandbox.md").read_text()
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_catalog_table_is_the_sandbox_catalog(sandbox):  # noqa: F811
    rows = re.findall(r"^\| `([A-Z-]+)` \| [^|]+ \| ([\d.]+) \| (\w+) \|$", DOC, re.MULTILINE)
    catalog = billing_connector(provider="zuora").catalog()
    assert {sku: (Decimal(price), period) for sku, price, period in rows} == {
        sku: (item.list_price, item.billing_period) for sku, item in catalog.items()}


def test_the_walkthrough_draft_reaches_salesforce(sandbox):  # noqa: F811
    snippet = re.search(r"manage\.py shell -c '\n(.*?)'\n```", DOC, re.DOTALL)[1]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(snippet, {})
    order_id = printed.getvalue().strip()
    run_sync("zuora", order_id)  # what a worker does with the webhook's job
    link = OrderLink.objects.get(billing_order_id=order_id)
    assert link.salesforce_order_id and link.account_link.email == "walk@through.example"
