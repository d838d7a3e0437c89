"""The self-service workload the pipeline benchmarks share: customers who went through checkout
(their Salesforce Account exists and their billing account carries its id as the CRM id), each
saving a draft order of one to three plans in billing, which sends its webhook to the hub.

Runs in a process whose Django points at the hub under test (`Hub.configure_django()`) and talks
to the emulators only through the hub's own connectors, as the hub does.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

SKUS = [("PRO-MONTHLY", "49"), ("TEAM-ANNUAL", "990"), ("ADDON-SEATS", "10")]


def checked_out_customers(count: int, run: str) -> list:
    """`count` customers as checkout leaves them: a Salesforce Account and a billing account
    whose CRM id is that Account's Id."""
    from syncapp.connectors.billing import billing_connector
    from syncapp.connectors.salesforce import SalesforceConnector
    from syncapp.domain.records import Contact, Customer

    sf = SalesforceConnector.from_settings()
    billing = billing_connector()
    customers = []
    for i in range(count):
        company, email = f"Bench {run} {i}", f"buyer{i}@bench-{run}-{i}.example"
        account_id = sf.create("Account", {"Name": company, "Website": f"bench-{run}-{i}.example"})
        customer = Customer(name=company, email=email, currency="USD", crm_id=account_id,
                            bill_to=Contact(email=email, first_name="Bench", last_name=str(i)))
        customers.append(billing.create_account(customer, idempotency_key=str(uuid.uuid4())))
    return customers


def draft(customer, rng: random.Random):
    from syncapp.domain.records import BillingTerms, DraftOrder, OrderLine, OrderStatus

    lines = tuple(OrderLine(sku=sku, quantity=Decimal(rng.randint(1, 9)), list_price=Decimal(price),
                            net_price=Decimal(price)) for sku, price in rng.sample(SKUS, rng.randint(1, 3)))
    return DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT, lines=lines,
                      terms=BillingTerms("Month", "Net 30", 1), account_id=customer.account_id, customer=customer)


def create_drafts(customers: list, count: int, *, seed: int = 7, threads: int = 4) -> list[str]:
    """Save `count` draft orders in billing (`threads` at a time); returns their ids."""
    from syncapp.connectors.billing import billing_connector

    rng = random.Random(seed)
    drafts = [draft(customers[i % len(customers)], rng) for i in range(count)]

    def create(order):
        return billing_connector().create_order(order, idempotency_key=str(uuid.uuid4())).order_id

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(create, drafts))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]
