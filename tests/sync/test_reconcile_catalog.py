"""Reconcile tells catalog drift apart from order edits: a product renamed in Salesforce (its
Product Code no longer the billing SKU) is reported as such, with what to fix, and queues no sync."""
import pytest

from syncapp.connectors.salesforce import soql
from syncapp.connectors.vendors import Vendors
from syncapp.models import SyncJob
from syncapp.sync.order_sync import sync_order
from tests.sync.test_order_sync import FIVE_LINES, order_of
from tests.sync.test_reconcile import kinds, provider, run_reconcile  # noqa: F401 (provider: a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_renamed_product_code_is_catalog_drift_not_an_edit(billing, sf, provider):  # noqa: F811 (the fixture)
    order = order_of(billing, FIVE_LINES[:2])  # PRO-MONTHLY twice
    sync_order(provider, order.order_id, Vendors.from_settings())
    product = sf.query(soql("SELECT Id FROM Product2 WHERE ProductCode = {}", "PRO-MONTHLY"))[0]
    sf.update("Product2", product["Id"], {"ProductCode": "PRO-MONTHLY-2027"})
    report, status = run_reconcile("--fix")
    assert kinds(report) == {("stale_in_salesforce", order.order_id)}
    detail = report["findings"][0]["detail"]
    assert detail.startswith("catalog drift, not an order edit")
    assert "SKU PRO-MONTHLY now has Product Code PRO-MONTHLY-2027" in detail and "edited in Salesforce" not in detail
    assert not SyncJob.objects.exists()  # a sync cannot fix the catalog: nothing queued
