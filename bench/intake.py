"""The webhook intake against the server's cheapest views, on the same server in the same run.

For each database the hub runs under gunicorn as `make run` starts it (gthread, 2 workers x 8
threads, sandbox on; access log off) on a free port with a fresh HUB_DATA_DIR, migrated, with no
worker cluster (only the web server is measured; the queued jobs wait). Then:

1. closed loop: N keep-alive connections send back to back to each endpoint in turn, --rounds
   times (a machine slower for a while then weighs on each alike):
   - `POST /api/v1/<no such path>`: the JSON 404 under the API, the cheapest answer the hub itself
     has (no database, the same middleware; Django logs a warning line for each 404) — the
     yardstick of the intake goal;
   - `POST /bench/bare`: a bare Django view made for the benchmark (reads the body, answers 202
     JSON, same middleware), cheaper still: a stricter comparison, printed beside it;
   - `POST /api/v1/webhooks/zuora`: a valid Standard Webhooks signature, a unique webhook-id and a
     new order per request (verify, store the event — one row in one statement; the cluster's
     dispatcher creates its job later — and answer 202).
   Throughput and p50/p99; the ratios intake / JSON 404 and intake / bare view.
2. open loop at a fixed rate (100 requests/s): p50/p99 latency counted from when each request was
   due, each delivery new (none answered as a duplicate).
3. with --pickup, a second hub with its worker cluster (dispatcher and 2 workers): deliveries at
   --pickup-rate (5/s: low, so what is measured is the pick-up, not a backlog) for
   --pickup-duration seconds, and for each the time from its event's row to the first outside
   call its job recorded (the billing read) — how soon the dispatcher and a worker pick new work
   up (target: p99 under 1 s).

    python -m bench.intake [--configs sqlite,postgres,postgres+redis] [--duration 15] [--rounds 3]
        [--rate 100] [--rate-duration 15] [--connections 16] [--pickup [--pickup-rate 5]]

PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/hub_bench; the
database is dropped and created afresh). Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/15).
A configuration whose service is not reachable is skipped. Targets: intake at least half the JSON
404's throughput in the same run (and, stricter, half the bare view's); p99 under 50 ms at 100
requests/s.
"""
from __future__ import annotations

import argparse
import base64
import json
import math
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from standardwebhooks import Webhook

from bench.goals import Goal, print_goals
from bench.load import Result, closed_loop, open_loop
from bench.pipeline import Hub

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/hub_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
CONFIGS = ("sqlite", "postgres", "postgres+redis")
TARGET_RATIO, TARGET_P99_MS = 0.5, 50.0
TARGET_PICKUP_P99_MS = 1000.0


def bare_request(i: int) -> tuple[str, bytes, dict]:
    body = json.dumps({"type": "order.created", "data": {"order_id": f"BARE-{i}"}}).encode()
    return "/bench/bare", body, {"Content-Type": "application/json"}


def not_found_request(i: int) -> tuple[str, bytes, dict]:
    return "/api/v1/no-such-endpoint", b"{}", {"Content-Type": "application/json"}


def intake_requests(secret: str, run: str):
    """Signed deliveries, each with its own webhook-id and order (a new job per request)."""
    webhook = Webhook(secret)

    def make(i: int) -> tuple[str, bytes, dict]:
        now = datetime.now(UTC)
        msg_id = f"msg_{run}_{i}"
        body = json.dumps({"type": "order.created", "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "data": {"order_id": f"O-{run}-{i}", "account_id": "A-1"}})
        return "/api/v1/webhooks/zuora", body.encode(), {
            "Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": webhook.sign(msg_id, now, body)}

    return make


def fresh_postgres(url: str) -> str:
    """Drop and create the benchmark's own database; returns its URL."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def start_hub(config: str, secret: str) -> Hub:
    env = {"HUB_ROOT_URLCONF": "bench.bare", "ZUORA_WEBHOOK_SECRET": secret, "HUB_LOG_LEVEL": "WARNING",
           "BILLING_PROVIDER": "zuora", "REDIS_URL": REDIS_URL if config == "postgres+redis" else ""}
    if "HUB_Q_NAME" in os.environ:
        env["HUB_Q_NAME"] = os.environ["HUB_Q_NAME"]
    hub = Hub(database_url=fresh_postgres(POSTGRES_URL) if config.startswith("postgres") else None, env=env)
    if config == "sqlite":
        hub.env.pop("DATABASE_URL", None)  # the default: HUB_DATA_DIR/hub.sqlite3
    hub.migrate()
    hub.start_web()
    return hub


def measure(config: str, args) -> list[dict]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    hub = start_hub(config, secret)
    host, port = "127.0.0.1", hub.port
    rows = []
    try:
        # The closed loops take turns, `--rounds` times, so that a machine slower for a while
        # weighs on every endpoint alike. Each intake run gets deliveries of its own: numbers
        # restart with every run, and a delivery sent again is a duplicate, which costs less.
        closed = {"JSON 404": Result(), "bare view": Result(), "webhook intake": Result()}
        for _ in range(args.rounds):
            for name, total in closed.items():
                make = {"JSON 404": not_found_request, "bare view": bare_request}.get(name) or \
                    intake_requests(secret, secrets.token_hex(3))
                result = closed_loop(host, port, make, connections=args.connections,
                                     duration=args.duration / args.rounds,
                                     expected=(404,) if name == "JSON 404" else (202,))
                total.merge(result)
                total.elapsed += result.elapsed
        rows += [row(config, name, f"closed, {args.connections} conns", total) for name, total in closed.items()]
        for name, make in (("webhook intake", intake_requests(secret, secrets.token_hex(3))),
                           ("bare view", bare_request)):
            result = open_loop(host, port, make, rate=args.rate, duration=args.rate_duration, expected=(202,))
            rows.append(row(config, name, f"open, {args.rate:g}/s", result))
    finally:
        hub.stop()
        if config == "postgres+redis":
            import redis

            redis.Redis.from_url(REDIS_URL).delete(f"django_q:{hub.env['HUB_Q_NAME']}:q")
    return rows


def measure_pickup(config: str, args) -> dict:
    """Deliveries to a hub whose cluster runs: event stored → its job's first outside call, in ms."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    hub = start_hub(config, secret)
    try:
        hub.start_workers()
        time.sleep(5)  # the cluster starts
        result = open_loop("127.0.0.1", hub.port, intake_requests(secret, secrets.token_hex(3)),
                           rate=args.pickup_rate, duration=args.pickup_duration)
        deadline, delays = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            delays = pickup_delays(config, hub)
            if len(delays) >= len(result.latencies):
                break
            time.sleep(1)
    finally:
        hub.stop()
    ordered = sorted(delays)
    pick = lambda p: ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan  # noqa: E731
    return {"config": config, "sent": len(result.latencies), "picked": len(ordered), "p50": pick(50), "p99": pick(99),
            "max": ordered[-1] if ordered else math.nan}


PICKUP_SQL = ("SELECT e.received_at, MIN(a.created_at) FROM syncapp_webhookevent e "
              "JOIN syncapp_syncattempt a ON a.job_id = e.job_id GROUP BY e.id, e.received_at")


def pickup_delays(config: str, hub: Hub) -> list[float]:
    if config.startswith("postgres"):
        import psycopg

        with psycopg.connect(hub.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as conn:
            pairs = conn.execute(PICKUP_SQL).fetchall()
    else:
        import sqlite3

        with sqlite3.connect(hub.data_dir / "hub.sqlite3") as conn:
            pairs = [(datetime.fromisoformat(a), datetime.fromisoformat(b))
                     for a, b in conn.execute(PICKUP_SQL).fetchall()]
    return [(picked - received).total_seconds() * 1000 for received, picked in pairs]


def row(config, endpoint, mode, result) -> dict:
    failed = sum(result.statuses.values()) - len(result.latencies) + sum(result.errors.values())
    return {"config": config, "endpoint": endpoint, "mode": mode, "rps": result.rate,
            "p50": result.percentile(50), "p99": result.percentile(99), "ok": len(result.latencies),
            "failed": failed}


def print_table(rows: list[dict]) -> None:
    header = f"{'database':<15} {'endpoint':<15} {'load':<18} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} " \
             f"{'ok':>7} {'failed':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['config']:<15} {r['endpoint']:<15} {r['mode']:<18} {r['rps']:>8.0f} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {r['ok']:>7} {r['failed']:>6}")


def goals(rows: list[dict], rate: float) -> list[Goal]:
    found = []
    for config in dict.fromkeys(r["config"] for r in rows):
        mine = {(r["endpoint"], r["mode"].split(",")[0]): r for r in rows if r["config"] == config}
        intake = mine["webhook intake", "closed"]["rps"]
        found += [Goal(f"{config}: intake / JSON 404 throughput", intake / mine["JSON 404", "closed"]["rps"], ">=",
                       TARGET_RATIO),
                  Goal(f"{config}: intake / bare view (stricter)", intake / mine["bare view", "closed"]["rps"], ">=",
                       TARGET_RATIO),
                  Goal(f"{config}: intake p99 at {rate:g} req/s", mine["webhook intake", "open"]["p99"], "<",
                       TARGET_P99_MS, " ms")]
    return found


def pickup_goals(found: list[dict]) -> list[Goal]:
    print(f"\n{'database':<15} {'sent':>6} {'picked up':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for r in found:
        print(f"{r['config']:<15} {r['sent']:>6} {r['picked']:>10} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['max']:>8.0f}")
    return [Goal(f"{r['config']}: webhook to its job's first call, p99", r["p99"], "<", TARGET_PICKUP_P99_MS, " ms")
            for r in found]


def available(configs: list[str]) -> list[str]:
    usable = []
    for config in configs:
        try:
            if config.startswith("postgres"):
                fresh_postgres(POSTGRES_URL)
            if config == "postgres+redis" and not redis_reachable(REDIS_URL):
                raise RuntimeError(f"Redis not reachable at {REDIS_URL}")
        except Exception as err:  # a missing service skips its configuration, loudly
            print(f"skipping {config}: {err}", file=sys.stderr)
            continue
        usable.append(config)
    return usable


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of closed loop per endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop turns the endpoints take")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s of the open-loop runs")
    parser.add_argument("--rate-duration", type=float, default=15.0)
    parser.add_argument("--pickup", action="store_true", help="also measure how soon workers pick jobs up")
    parser.add_argument("--pickup-rate", type=float, default=5.0, help="deliveries/s: low, so the workers keep up")
    parser.add_argument("--pickup-duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    rows, pickups = [], []
    for config in available([c.strip() for c in args.configs.split(",") if c.strip()]):
        print(f"measuring {config} ...", file=sys.stderr, flush=True)
        rows += measure(config, args)
        if args.pickup:
            pickups.append(measure_pickup(config, args))
    print(f"\nWebhook intake vs the JSON 404 and a bare Django view (gunicorn gthread 2x8, {os.cpu_count()} CPUs shared with "
          "the load generator)\n")
    print_table(rows)
    print_goals(goals(rows, args.rate) + (pickup_goals(pickups) if pickups else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
