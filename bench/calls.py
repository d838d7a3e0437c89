"""Outside calls per order — one order alone, then a burst — next to
the naive one-call-per-record baseline (`bench/naive.py`).

A whole hub in child processes; checked-out customers (their Account known) save draft orders
in the Zuora emulator. The hub's calls are the ones it recorded itself for those orders' jobs
(`SyncAttempt`, logins left out: Salesforce does not count them against the allocation). For
the burst, the emulator holds its webhooks until every draft is saved and then lets them all go
at once, as a billing platform catching up after an outage would.

    python -m bench.calls [--burst 1000]

Targets: at most 1 Salesforce call for an order alone, at most 0.1 per order in the burst.
Then every outside call the hub made for those orders, by vendor and by kind (login, token,
catalog, read, write), against the targets: once warm, an order alone costs 1 Salesforce
call and 1 billing call, logins and tokens included; a burst at most 0.1 Salesforce and 1.05
billing calls per order.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from bench.goals import Goal, print_goals
from bench.pipeline import Hub
from bench.workload import checked_out_customers, create_drafts


def wait_synced(ids: list[str], timeout: float) -> None:
    from syncapp.models import SyncJob

    deadline = time.monotonic() + timeout
    while SyncJob.objects.filter(subject__in=ids, status=SyncJob.Status.SUCCEEDED).count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"not all {len(ids)} orders synced within {timeout:.0f} s")
        time.sleep(0.5)


def hub_calls(ids: list[str]) -> int:
    from syncapp.models import SyncAttempt

    return (SyncAttempt.objects.filter(vendor="salesforce", job__subject__in=ids).exclude(operation="login")
            .count())


KINDS = ("login", "token", "catalog", "read", "write")


def kind_of(operation: str, method: str) -> str:
    if operation == "login":
        return "login"
    if "token" in operation:  # Zuora's OAuth token
        return "token"
    if operation == "catalog":
        return "catalog"
    return "read" if method.upper() in ("GET", "HEAD") else "write"


def calls_by_kind(ids: list[str]) -> dict[str, Counter]:
    """Every outside call recorded for these orders' jobs: {vendor: Counter(kind)}."""
    from syncapp.models import SyncAttempt

    found: dict[str, Counter] = {}
    for vendor, operation, method in SyncAttempt.objects.filter(job__subject__in=ids).values_list(
            "vendor", "operation", "method"):
        found.setdefault(vendor, Counter())[kind_of(operation, method)] += 1
    return found


def naive_calls(ids: list[str]) -> int:
    from bench.naive import sync_naively
    from syncapp.connectors.billing import billing_connector
    from syncapp.connectors.salesforce import SalesforceConnector

    sf, billing = SalesforceConnector.from_settings(), billing_connector()
    sf.limits()  # log in first; then count only the sync's own calls
    before = sf.calls
    for order_id in ids:
        sync_naively(sf, billing.get_order(order_id))
    return sf.calls - before


def run(burst: int, timeout: float) -> list[tuple]:
    with Hub(env={"BILLING_PROVIDER": "zuora", "HUB_LOG_LEVEL": "WARNING"}) as hub:
        hub.configure_django()
        customers = checked_out_customers(20, "calls")
        # The first order of a fresh hub also looks the price book up once; the steady state is after it.
        warm_up = create_drafts(customers[:1], 1)
        wait_synced(warm_up, timeout)

        alone = create_drafts(customers[1:2], 1)
        wait_synced(alone, timeout)

        hub.control("webhooks", paused=True)
        many = create_drafts(customers, burst)
        print(f"saved {len(many)} drafts with their webhooks held", file=sys.stderr, flush=True)
        released = time.monotonic()
        hub.control("webhooks", paused=False)  # the emulator's senders find them all due at once
        wait_synced(many, timeout)
        seconds = time.monotonic() - released
        rows = [("first order of a fresh hub", 1, hub_calls(warm_up), naive_calls(warm_up), calls_by_kind(warm_up)),
                ("one order alone", 1, hub_calls(alone), naive_calls(alone), calls_by_kind(alone)),
                (f"burst of {burst}", burst, hub_calls(many), naive_calls(many), calls_by_kind(many))]
    print(f"the burst synced in {seconds:.1f} s", file=sys.stderr)
    return rows


def print_kinds(rows: list[tuple]) -> None:
    print("\nEvery outside call per order, by vendor and kind\n")
    header = f"{'case':<28} {'vendor':<11}" + "".join(f"{kind:>9}" for kind in KINDS) + f"{'total':>9}"
    print(header)
    print("-" * len(header))
    for case, orders, _, _, by_vendor in rows:
        for vendor, kinds in sorted(by_vendor.items()):
            print(f"{case:<28} {vendor:<11}" + "".join(f"{kinds[k] / orders:>9.3f}" for k in KINDS)
                  + f"{sum(kinds.values()) / orders:>9.3f}")


def per_order(row: tuple, billing: bool) -> float:
    _, orders, _, _, by_vendor = row
    return sum(sum(kinds.values()) for vendor, kinds in by_vendor.items()
               if (vendor != "salesforce") == billing) / orders


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    rows = run(args.burst, args.timeout)
    print("\nSalesforce API calls per order (billing → Salesforce, known accounts, 1-3 lines each)\n")
    header = f"{'case':<28} {'orders':>7} {'hub calls':>10} {'per order':>10} {'naive calls':>12} {'per order':>10}"
    print(header)
    print("-" * len(header))
    for case, orders, hub, naive, _ in rows:
        print(f"{case:<28} {orders:>7} {hub:>10} {hub / orders:>10.3f} {naive:>12} {naive / orders:>10.2f}")
    print_kinds(rows)
    alone, burst = rows[1], rows[2]
    print_goals([
        Goal("order alone, warm: Salesforce calls", per_order(alone, billing=False), "<=", 1),
        Goal("order alone, warm: billing calls", per_order(alone, billing=True), "<=", 1),
        Goal(f"burst of {args.burst}: Salesforce calls per order", per_order(burst, billing=False), "<=", 0.1),
        Goal(f"burst of {args.burst}: billing calls per order", per_order(burst, billing=True), "<=", 1.05),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
