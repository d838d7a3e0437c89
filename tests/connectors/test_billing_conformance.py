"""Every billing connector against its live emulator over HTTP: the `BillingConnector` contract,
operation by operation, with each error shape and idempotent replay. Vendor-neutral: the bodies
use only the base class and the harness (see tests/connectors/harness.py)."""
import dataclasses
import datetime as dt
import re
import time
from decimal import Decimal as D

import pytest

from syncapp.connectors.http import REDACTED, SECRET_KEYS
from syncapp.domain.records import (
    Address,
    BillingTerms,
    Contact,
    Customer,
    Discount,
    DraftOrder,
    OrderLine,
    OrderStatus,
)
from syncapp.exceptions import NotFoundError, PermanentError, TransientError

CRM_ID = "001000000000001AAA"


def a_customer(email="ana@acme.io", crm_id=CRM_ID, name="Acme Inc") -> Customer:
    address = Address(line1="1 Main St", city="Austin", state="TX", postal_code="78701",
                      country="US")
    return Customer(name=name, email=email, crm_id=crm_id,
                    bill_to=Contact(email=email, first_name="Ana", last_name="Diaz",
                                    phone="+1 555 0100", address=address))


def a_draft(harness, *, customer=None, account_id=None, **changes) -> DraftOrder:
    lines = (OrderLine("PRO-MONTHLY", D(3), D("49.00"), D("44.10"),
                       discount=Discount(percent=D(10))),
             OrderLine("ADDON-SEATS", D(4), D("10.00"), D("8.50"),
                       discount=Discount(amount=D("6.00"))))
    order = DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), lines=lines,
                       account_id=account_id,
                       customer=customer if customer or account_id else a_customer(),
                       terms=BillingTerms("Month", "Net 30", 15),
                       custom_fields=((harness.custom_field, "web"),))
    return dataclasses.replace(order, **changes)


def line_values(order: DraftOrder) -> list[tuple]:
    return [(line.sku, line.quantity, line.list_price, line.net_price) for line in order.lines]


def test_catalog_lists_the_sandbox_skus(billing):
    catalog = billing.catalog()
    assert {sku: (item.list_price, item.currency, item.billing_period)
            for sku, item in catalog.items()
            if sku in {"PRO-MONTHLY", "TEAM-ANNUAL", "ADDON-SEATS"}} == {
        "PRO-MONTHLY": (D("49.00"), "USD", "Month"),
        "TEAM-ANNUAL": (D("990.00"), "USD", "Annual"),
        "ADDON-SEATS": (D("10.00"), "USD", "Month"),
    }


def test_create_a_draft_with_a_new_account(billing, billing_harness):
    created = billing.create_order(a_draft(billing_harness), idempotency_key="k-create-1")

    assert created.order_id and created.account_id and created.status == OrderStatus.DRAFT
    assert line_values(created) == [("PRO-MONTHLY", 3, D("49.00"), D("44.10")),
                                    ("ADDON-SEATS", 4, D("10.00"), D("8.50"))]
    assert created.lines[0].discount == Discount(percent=D(10))
    assert all(line.line_id for line in created.lines)
    assert created.terms == BillingTerms("Month", "Net 30", 15)
    assert created.custom_field_map == {billing_harness.custom_field: "web"}
    assert created.checkout_url and created.order_id in created.checkout_url
    assert created.total == D("166.30")
    fetched = billing.get_order(created.order_id)
    assert fetched.customer.crm_id == CRM_ID and fetched.customer.email == "ana@acme.io"
    assert fetched.customer.account_id == created.account_id
    assert dataclasses.replace(fetched, customer=None) == dataclasses.replace(created,
                                                                              customer=None)


def test_create_an_activated_order_for_an_existing_account(billing, billing_harness):
    account = billing.create_account(a_customer(), idempotency_key="k-account-1")
    order = a_draft(billing_harness, account_id=account.account_id,
                    status=OrderStatus.ACTIVATED)

    created = billing.create_order(order, idempotency_key="k-create-2")
    assert created.status == OrderStatus.ACTIVATED
    assert created.account_id == account.account_id


def test_find_accounts_by_email_and_crm_id(billing):
    assert billing.find_account_by_email("ana@acme.io") is None
    assert billing.find_account_by_crm_id(CRM_ID) is None
    first = billing.create_account(a_customer(), idempotency_key="k-account-2")
    billing.create_account(a_customer(crm_id="001000000000009ZZZ"), idempotency_key="k-acc-3")

    by_email = billing.find_account_by_email("Ana@ACME.io")
    assert by_email.account_id == first.account_id  # the oldest of the two
    assert by_email.name == "Acme Inc" and by_email.bill_to.last_name == "Diaz"
    assert by_email.bill_to.address.city == "Austin"
    assert billing.find_account_by_crm_id(CRM_ID).account_id == first.account_id
    assert billing.find_account_by_email("nobody@acme.io") is None


def test_get_account_and_set_its_crm_id(billing):
    account = billing.create_account(a_customer(crm_id=None), idempotency_key="k-account-4")
    assert billing.get_account(account.account_id).crm_id is None

    billing.set_account_crm_id(account.account_id, "001000000000003CCC")
    assert billing.get_account(account.account_id).crm_id == "001000000000003CCC"
    assert billing.find_account_by_crm_id("001000000000003CCC").account_id == account.account_id
    with pytest.raises(NotFoundError):
        billing.get_account("A09999999")


def test_update_a_draft_replaces_lines_terms_and_custom_fields(billing, billing_harness):
    created = billing.create_order(a_draft(billing_harness), idempotency_key="k-create-3")
    pro = dataclasses.replace(created.lines[0], quantity=D(5))
    team = OrderLine("TEAM-ANNUAL", D(1), D("990.00"), D("990.00"))
    changed = dataclasses.replace(created, lines=(pro, team),
                                  terms=BillingTerms("Quarter", "Net 45", 1),
                                  custom_fields=((billing_harness.custom_field, "sales"),))

    updated = billing.update_order(changed)
    assert line_values(updated) == [("PRO-MONTHLY", 5, D("49.00"), D("44.10")),
                                    ("TEAM-ANNUAL", 1, D("990.00"), D("990.00"))]
    assert updated.lines[0].line_id == created.lines[0].line_id
    assert updated.lines[1].line_id not in {line.line_id for line in created.lines}
    assert updated.terms == BillingTerms("Quarter", "Net 45", 1)
    assert updated.custom_field_map == {billing_harness.custom_field: "sales"}
    fetched = billing.get_order(created.order_id)
    assert dataclasses.replace(fetched, customer=None) == dataclasses.replace(updated,
                                                                              customer=None)


def test_activate_is_idempotent_and_ends_drafting(billing, billing_harness):
    created = billing.create_order(a_draft(billing_harness), idempotency_key="k-create-4")

    activated = billing.activate_order(created.order_id)
    assert activated.status == OrderStatus.ACTIVATED
    again = billing.activate_order(created.order_id)
    assert (again.status, again.lines) == (activated.status, activated.lines)
    with pytest.raises(PermanentError) as refused:
        billing.update_order(dataclasses.replace(activated, lines=activated.lines[:1]))
    assert refused.value.code == "order_not_draft"


def test_cancel_and_delete(billing, billing_harness):
    created = billing.create_order(a_draft(billing_harness), idempotency_key="k-create-5")

    assert billing.cancel_order(created.order_id).status == OrderStatus.CANCELED
    billing.delete_order(created.order_id)
    with pytest.raises(NotFoundError):
        billing.get_order(created.order_id)
    billing.delete_order(created.order_id)  # already gone: fine


def test_list_orders_by_status_and_change_time(billing, billing_harness):
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    drafts = [billing.create_order(a_draft(billing_harness), idempotency_key=f"k-list-{n}")
              for n in range(3)]
    billing.activate_order(drafts[0].order_id)

    listed = {o.order_id: o.status for o in billing.list_orders(status=OrderStatus.DRAFT)}
    assert listed == {drafts[1].order_id: OrderStatus.DRAFT, drafts[2].order_id: OrderStatus.DRAFT}
    assert len(list(billing.list_orders(updated_since=before))) == 3
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert list(billing.list_orders(updated_since=future)) == []


def test_same_idempotency_key_creates_once(billing, billing_harness):
    order = a_draft(billing_harness)
    first = billing.create_order(order, idempotency_key="k-replay")
    second = billing.create_order(order, idempotency_key="k-replay")

    assert second.order_id == first.order_id
    assert len(list(billing.list_orders())) == 1


def test_a_key_reused_for_a_different_order_is_refused_and_creates_nothing(billing,
                                                                          billing_harness):
    first = billing.create_order(a_draft(billing_harness), idempotency_key="k-reused")
    other = a_draft(billing_harness, lines=(OrderLine("TEAM-ANNUAL", D(1), D("990.00"),
                                                      D("990.00")),))
    with pytest.raises(PermanentError) as refused:
        billing.create_order(other, idempotency_key="k-reused")
    assert not isinstance(refused.value, NotFoundError)
    assert refused.value.vendor == billing_harness.provider and not refused.value.retryable
    assert [o.order_id for o in billing.list_orders()] == [first.order_id]


def test_unknown_sku_is_permanent(billing, billing_harness):
    order = a_draft(billing_harness, lines=(OrderLine("GOLD-BARS", D(1), D(1), D(1)),))
    with pytest.raises(PermanentError) as refused:
        billing.create_order(order, idempotency_key="k-unknown-sku")
    assert refused.value.code == "unknown_sku"
    assert list(billing.list_orders()) == []


def test_invalid_order_is_permanent_with_the_vendors_reasons(billing, billing_harness):
    bad_line = OrderLine("PRO-MONTHLY", D(0), D("49.00"), D("49.00"))
    with pytest.raises(PermanentError) as refused:
        billing.create_order(a_draft(billing_harness, lines=(bad_line,)),
                             idempotency_key="k-invalid")
    assert not isinstance(refused.value, NotFoundError)
    assert refused.value.details and refused.value.vendor == billing_harness.provider


def test_unknown_order_is_not_found(billing):
    with pytest.raises(NotFoundError):
        billing.get_order("O-09999999")
    with pytest.raises(NotFoundError):
        billing.activate_order("O-09999999")


@pytest.mark.parametrize("failure", ["500", "429"])
def test_server_errors_and_rate_limits_are_transient(billing, billing_harness, failure):
    billing.catalog()  # warm any token and catalog cache so the failure hits the next call
    billing_harness.fail_next(failure)
    with pytest.raises(TransientError) as failed:
        billing.find_account_by_email("ana@acme.io")
    assert failed.value.vendor == billing_harness.provider
    assert billing.find_account_by_email("ana@acme.io") is None  # the next call works


def test_a_lost_answer_is_transient_and_the_retry_does_not_create_twice(billing_harness):
    billing = billing_harness.connector(timeout=(2.0, 0.5))
    billing.catalog()
    order = a_draft(billing_harness)
    billing_harness.fail_next("timeout")
    with pytest.raises(TransientError) as failed:
        billing.create_order(order, idempotency_key="k-timeout")
    assert failed.value.code == "timeout"

    retried = billing_harness.connector().create_order(order, idempotency_key="k-timeout")
    assert [o.order_id for o in billing.list_orders()] == [retried.order_id]
    time.sleep(1.5)  # let the emulator finish sending its late answer before the test ends


def test_expired_credentials_are_renewed_once(billing, billing_harness):
    if "token_expiry" not in billing_harness.capabilities:
        pytest.skip(f"{billing_harness.provider} has no expiring credentials")
    billing.catalog()
    billing_harness.expire_credentials()
    assert billing.find_account_by_crm_id(CRM_ID) is None


def test_every_call_is_recorded_without_secrets(billing_harness):
    records = []
    billing = billing_harness.connector(recorder=records.append)
    billing.create_order(a_draft(billing_harness), idempotency_key="k-recorded")

    assert records and all(r.vendor == billing_harness.provider for r in records)
    assert all(r.status and r.duration_ms >= 0 for r in records)
    assert any(r.method == "POST" and r.ok for r in records)
    leaked = re.compile(r'"({})": "(?!{})'.format("|".join(SECRET_KEYS), re.escape(REDACTED)),
                        re.IGNORECASE)
    for record in records:
        assert not leaked.search(record.request_excerpt + record.response_excerpt)
