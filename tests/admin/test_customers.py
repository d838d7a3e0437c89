"""Find any customer: every order a sync creates is linked to its customer's account, the lists
find it by email, company, billing account and order numbers and Salesforce ids, and a job's page
shows customer, account and order with links to each system's own page of them."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
import requests
from django.urls import reverse

from syncapp.admin import records
from syncapp.connectors.billing import billing_connector
from syncapp.domain.records import BillingTerms, DraftOrder, OrderLine, OrderStatus
from syncapp.models import OrderLink, SyncJob
from tests.admin.scenario import failed_sync, run_sync, synced_order

pytestmark = pytest.mark.django_db(transaction=True)
FAILED = reverse("admin:syncapp_failedsync_changelist")
LINKS = reverse("admin:syncapp_orderlink_changelist")


def listed(client, url, q) -> set:
    return {getattr(row, "subject", None) or row.billing_order_id
            for row in client.get(url, {"q": q}).context["cl"].result_list}


def test_a_synced_order_is_linked_to_its_customer_and_so_is_the_next_one(sandbox):
    first = synced_order(["PRO-MONTHLY"], email="cara@gamma.io", company="Gamma GmbH")
    account = first.account_link
    assert (account.email, account.company) == ("cara@gamma.io", "Gamma GmbH")
    # The next order of that billing account: it now names its Salesforce Account as CRM id.
    again = billing_connector(provider="zuora").create_order(DraftOrder(
        currency="USD", order_date=dt.date(2026, 11, 23), status=OrderStatus.DRAFT,
        account_id=account.billing_account_id, terms=BillingTerms("Month", "Net 30", 1),
        lines=(OrderLine(sku="ADDON-SEATS", quantity=Decimal(2), list_price=Decimal(10), net_price=Decimal(10)),)),
        idempotency_key=str(uuid.uuid4()))
    run_sync("zuora", again.order_id)
    assert OrderLink.objects.get(billing_order_id=again.order_id).account_link == account


def test_the_lists_find_a_customer_by_anything_staff_know(sandbox, staff):
    ok = synced_order(["PRO-MONTHLY"], email="dan@delta.io", company="Delta Works")
    failed = failed_sync()  # ana@acme.io, Acme Inc: its first sync failed
    failed_link = OrderLink.objects.get(billing_order_id=failed.subject)
    ops = staff("Support")
    account = ok.account_link
    for term in ("dan@delta.io", "Delta Works", "delta", account.billing_account_id, account.salesforce_account_id,
                 ok.billing_order_id, ok.salesforce_order_id):
        assert listed(ops, LINKS, term) == {ok.billing_order_id}, term
    for term in ("ana@acme.io", "Acme Inc", failed_link.account_link.billing_account_id,
                 failed_link.account_link.salesforce_account_id):
        assert listed(ops, FAILED, term) == {failed.subject}, term
    assert listed(ops, FAILED, "dan@delta.io") == set()


def test_a_job_page_shows_customer_account_and_order_with_links_to_both_systems(sandbox, staff, hub_url):
    link = synced_order(["PRO-MONTHLY"], email="eve@epsilon.io", company="Epsilon SA")
    job = SyncJob.objects.get(subject=link.billing_order_id)
    page = staff("Viewer").get(reverse("admin:syncapp_syncjob_change", args=[job.pk])).content.decode()
    assert "eve@epsilon.io" in page and "Epsilon SA" in page
    account = link.account_link
    urls = {"account": f"{hub_url}/sandbox/salesforce/lightning/r/Account/{account.salesforce_account_id}/view",
            "order": f"{hub_url}/sandbox/salesforce/lightning/r/Order/{link.salesforce_order_id}/view",
            "billing": f"{hub_url}/sandbox/zuora/checkout/{link.billing_order_id}"}
    for url in urls.values():
        assert f'href="{url}"' in page
        assert requests.get(url, timeout=10).status_code == 200  # each opens the emulator's view of it
    assert link.billing_order_id in requests.get(urls["order"], timeout=10).text
    assert reverse("admin:syncapp_orderlink_change", args=[link.pk]) in page


def test_billing_links_follow_the_configured_order_page(hub_settings):
    hub_settings["zuora_order_url"] = "https://billing.example/orders/{order}/view"
    hub_settings["nue_order_url"], hub_settings["sandbox"] = "", False
    assert records.billing_order_url("zuora", "O-1/2") == "https://billing.example/orders/O-1%2F2/view"
    assert records.billing_order_url("nue", "ord-1") == ""  # unconfigured: the id is shown unlinked
