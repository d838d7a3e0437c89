"""Soak under faults: draft orders through the whole pipeline while Salesforce fails 30% of calls
(503, timeouts, UNABLE_TO_LOCK_ROW, INVALID_SESSION_ID, bursts of REQUEST_LIMIT_EXCEEDED) and the
billing emulator delivers every webhook twice (`--duplicate`) and out of order — optionally with the
worker cluster killed (-9) three times, each in the middle of a batch of orders, and the web server
restarted with the second kill. Then every order must be in Salesforce exactly once with the right
lines, and no job dead.

The summary counts what happened: the kills that really came and the work each interrupted, and
the deliveries the hub answered "duplicate" (as the billing emulator's outbox recorded them).

    python -m bench.soak --orders 1000 [--crash] [--duplicate N] [--provider zuora|nue]
        [--database-url URL] [--timeout SECONDS] [--json]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests

from bench.pipeline import Hub

# 30% of Salesforce calls fail at random; REQUEST_LIMIT_EXCEEDED comes in bursts (`bursts`), as
# Salesforce's concurrent-request and daily limits do, not as a coin toss per call.
FAULTS = {"503": 0.09, "timeout": 0.04, "UNABLE_TO_LOCK_ROW": 0.09, "INVALID_SESSION_ID": 0.08}
SKUS = [("PRO-MONTHLY", "49"), ("TEAM-ANNUAL", "990"), ("ADDON-SEATS", "10")]
KILLS = 3  # with --crash
POLL_SECONDS = 0.5  # often enough to catch a batch in flight
RELEASE_SECONDS = 2  # how often the reordered deliveries held back are let go


def make_orders(n: int, seed: int = 7) -> list:
    from syncapp.domain.records import BillingTerms, Contact, Customer, DraftOrder, OrderLine, OrderStatus

    rng = random.Random(seed)
    orders = []
    for i in range(n):
        company = f"company{i % 40}"
        email = f"buyer{i}@{company}.example"
        lines = tuple(OrderLine(sku=sku, quantity=Decimal(rng.randint(1, 9)), list_price=Decimal(price),
                                net_price=Decimal(price)) for sku, price in rng.sample(SKUS, rng.randint(1, 3)))
        orders.append(DraftOrder(currency="USD", order_date=dt.date(2026, 11, 22), status=OrderStatus.DRAFT,
                                 lines=lines, terms=BillingTerms("Month", "Net 30", 1),
                                 customer=Customer(name=company.title(), email=email, currency="USD",
                                                   bill_to=Contact(email=email, first_name="B", last_name=str(i)))))
    return orders


def create_all(drafts) -> dict:
    """Create the drafts in billing (4 at a time); returns billing order id → expected lines."""
    from syncapp.connectors.billing import billing_connector

    def create(draft):
        order = billing_connector().create_order(draft, idempotency_key=str(uuid.uuid4()))
        return order.order_id, sorted((ln.sku, int(ln.quantity)) for ln in order.lines)

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(create, drafts))


def in_salesforce(sf) -> tuple[Counter, dict]:
    """How many Orders each billing id has in Salesforce, and each one's lines."""
    orders = Counter(r["Billing_Order_Id__c"] for r in sf.query_iter(
        "SELECT Billing_Order_Id__c FROM Order WHERE Billing_Order_Id__c != null"))
    lines: dict = {}
    for r in sf.query_iter("SELECT Order.Billing_Order_Id__c, PricebookEntry.ProductCode, Quantity FROM OrderItem"):
        key = (r.get("Order") or {}).get("Billing_Order_Id__c")
        lines.setdefault(key, []).append((r["PricebookEntry"]["ProductCode"], int(r["Quantity"])))
    return orders, {k: sorted(v) for k, v in lines.items()}


def bursts(hub: Hub, stop: threading.Event) -> None:
    """Every 15 s, a second and a half when every call is REQUEST_LIMIT_EXCEEDED."""
    while not stop.wait(15):
        try:
            hub.control("salesforce", fault_rates={**FAULTS, "REQUEST_LIMIT_EXCEEDED": 1.0})
            time.sleep(1.5)
            hub.control("salesforce", fault_rates=FAULTS)
        except requests.RequestException:  # the web server is restarting (--crash): next time
            continue


def run_until_synced(hub: Hub, subjects: list, *, kills_wanted: int, timeout: float, say) -> list[dict]:
    """Let the hub work until every order is synced and no job is active (or `timeout` runs out),
    killing the worker cluster (-9) `kills_wanted` times and restarting the web server with the
    second kill. Returns what each kill interrupted: its time, the Salesforce calls made so far,
    the orders synced and still to sync, the jobs in flight and active."""
    from syncapp.models import SyncJob

    kills, dead = [], set()  # dead: the leases of killed workers, which the sweep must recover
    began = time.monotonic()
    released = 0.0
    while time.monotonic() < began + timeout:
        if time.monotonic() - released >= RELEASE_SECONDS:
            hub.control("webhooks", action="release")
            released = time.monotonic()
        synced = SyncJob.objects.filter(status=SyncJob.Status.SUCCEEDED, subject__in=subjects).count()
        active = SyncJob.objects.filter(status__in=SyncJob.ACTIVE).count()
        if synced == len(subjects) and not active:
            break
        # Orders are synced a batch (up to 50) at a time, steps too coarse to place kills by at 40
        # orders. A kill comes instead in the middle of a batch taken up since the last kill, once
        # the hub has made a Salesforce call per order since then: spread, and never idle.
        in_flight = sum(1 for holder in SyncJob.objects.filter(status=SyncJob.Status.RUNNING)
                        .values_list("leased_by", flat=True) if holder not in dead)
        wanted = len(kills) < kills_wanted and in_flight and synced < len(subjects)
        calls = hub.state("salesforce")["counts"]["total"] if wanted else None
        if calls is not None and (not kills or calls >= kills[-1]["salesforce_calls"] + len(subjects)):
            hub.kill_workers()
            dead |= set(SyncJob.objects.filter(status=SyncJob.Status.RUNNING)
                        .values_list("leased_by", flat=True))
            kills.append({"second": round(time.monotonic() - began, 1), "salesforce_calls": calls,
                          "synced": synced, "outstanding": len(subjects) - synced, "in_flight": in_flight,
                          "active_jobs": active})
            say(f"kill -9 the worker cluster: {kills[-1]}")
            if len(kills) == 2:
                hub.restart_web()
                say("restarted the web server")
            hub.start_workers()
        time.sleep(POLL_SECONDS)
    return kills


def answered_duplicate() -> int:
    """How many of the billing emulator's deliveries the hub last answered 200 "duplicate": it had
    stored that event already. (The outbox keeps the answer to each delivery's last send.)"""
    from sandbox.webhooks.models import Delivery

    def status(body: str):
        try:
            return json.loads(body).get("status")
        except (ValueError, AttributeError):
            return None

    return sum(1 for body in Delivery.objects.filter(last_status_code=200).values_list("last_response", flat=True)
               if status(body) == "duplicate")


def soak(orders: int, *, crash: bool = False, duplicate: int = 2, provider: str = "zuora",
         database_url: str | None = None, timeout: float = 1800, quiet: bool = False) -> dict:
    say = (lambda *a: None) if quiet else print
    env = {"BILLING_PROVIDER": provider, "SALESFORCE_READ_TIMEOUT": "2", "SALESFORCE_LIMIT_PAUSE_SECONDS": "3"}
    with Hub(database_url=database_url, env=env) as hub:
        hub.configure_django()
        from sandbox.webhooks.models import Delivery
        from syncapp.connectors.salesforce import SalesforceConnector
        from syncapp.models import SyncJob, WebhookEvent

        hub.control("salesforce", fault_rates=FAULTS, timeout_seconds=3)
        hub.control("webhooks", duplicate=duplicate, reorder=True, reorder_batch=20)
        stop = threading.Event()
        threading.Thread(target=bursts, args=(hub, stop), daemon=True).start()
        started = time.monotonic()
        expected = create_all(make_orders(orders))
        say(f"created {len(expected)} draft orders in {provider} in {time.monotonic() - started:.1f}s")

        sf = SalesforceConnector.from_settings()
        kills = run_until_synced(hub, list(expected), kills_wanted=KILLS if crash else 0, timeout=timeout, say=say)
        elapsed = time.monotonic() - started
        stop.set()
        hub.control("salesforce", fault_rates={})
        counts, lines = in_salesforce(sf)
        jobs = Counter(SyncJob.objects.values_list("status", flat=True))
        faults = hub.state("salesforce")
        summary = {
            "orders": len(expected),
            "in_salesforce_once": sum(1 for oid in expected if counts.get(oid) == 1),
            "duplicated_in_salesforce": sum(1 for oid in expected if counts.get(oid, 0) > 1),
            "missing_in_salesforce": sum(1 for oid in expected if not counts.get(oid)),
            "wrong_lines": sum(1 for oid, want in expected.items() if counts.get(oid) and lines.get(oid) != want),
            "jobs": dict(jobs),
            "dead": jobs.get("dead", 0),
            "webhooks_emitted": Delivery.objects.count(),
            "webhooks_delivered": Delivery.objects.filter(status=Delivery.DELIVERED).count(),
            "webhooks_stored": WebhookEvent.objects.count(),
            "webhooks_answered_duplicate": answered_duplicate(),
            "salesforce_calls": faults["counts"]["total"],
            "crashes": len(kills),
            "kills": kills,
            "seconds": round(elapsed, 1),
        }
    summary["ok"] = (summary["in_salesforce_once"] == orders and summary["wrong_lines"] == 0
                     and summary["dead"] == 0 and not summary["jobs"].get("failed"))
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--crash", action="store_true",
                        help="kill -9 the workers 3 times mid-batch, restart the web server once")
    parser.add_argument("--duplicate", type=int, default=2,
                        help="send every webhook this many times (1: no duplicates)")
    parser.add_argument("--provider", default="zuora", choices=["zuora", "nue"])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for every order once created")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    args = parser.parse_args()
    summary = soak(args.orders, crash=args.crash, duplicate=args.duplicate, provider=args.provider,
                   database_url=args.database_url, timeout=args.timeout)
    if args.json:
        print(json.dumps(summary))
    else:
        width = max(map(len, summary))
        for key, value in summary.items():
            print(f"{key:<{width}}  {value}")
    raise SystemExit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
