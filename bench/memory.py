"""The worker cluster's memory as orders go through it, up to 10,000.

A whole hub in child processes; checked-out customers save draft orders in the Zuora emulator in
rounds of `--step`; after each round is in Salesforce, the resident memory (RSS, from /proc) of
every process of the django-q2 cluster is read: the sentinel, monitor and pusher live as long as
the cluster, the workers are recycled after Q_CLUSTER["recycle"] tasks (hub/settings.py).

    python -m bench.memory [--orders 10000] [--step 1000]

Target: flat from 1,000 to 10,000 orders.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.calls import wait_synced
from bench.goals import Goal, print_goals
from bench.pipeline import Hub, process_tree
from bench.workload import checked_out_customers, create_drafts


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(total: int, step: int, timeout: float) -> list[dict]:
    rows = []
    with Hub(env={"BILLING_PROVIDER": "zuora", "HUB_LOG_LEVEL": "WARNING"}) as hub:
        hub.configure_django()
        customers = checked_out_customers(50, "memory")
        synced, started = 0, time.monotonic()
        while synced < total:
            ids = create_drafts(customers, min(step, total - synced), seed=synced)
            wait_synced(ids, timeout)
            synced += len(ids)
            pids = process_tree(hub.workers.pid)
            sizes = sorted((rss_mib(pid) for pid in pids), reverse=True)
            rows.append({"orders": synced, "processes": len(pids), "total MiB": sum(sizes),
                         "largest MiB": sizes[0], "seconds": time.monotonic() - started})
            print(f"{synced} orders synced", file=sys.stderr, flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    rows = run(args.orders, args.step, args.timeout)
    print("\nWorker cluster memory (RSS) as orders are synced\n")
    header = f"{'orders':>7} {'processes':>10} {'total MiB':>10} {'largest MiB':>12} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['orders']:>7} {r['processes']:>10} {r['total MiB']:>10.1f} {r['largest MiB']:>12.1f} "
              f"{r['seconds']:>8.0f}")
    first, last = rows[0]["total MiB"], rows[-1]["total MiB"]
    growth = (last - first) / first if first else 0.0
    print(f"\nfrom {rows[0]['orders']} to {rows[-1]['orders']} orders: {first:.1f} → {last:.1f} MiB")
    print_goals([Goal(f"memory growth, {rows[0]['orders']} → {rows[-1]['orders']} orders (flat)", growth * 100, "<=",
                      10, " %")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
