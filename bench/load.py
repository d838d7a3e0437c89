"""HTTP load generators for the benchmarks: plain Python threads, one keep-alive `http.client`
connection each, no dependency. The same client drives every side of a comparison, so its own
cost (it shares the machine with the server) weighs on both alike.

- `closed_loop`: N connections each send the next request as soon as the last one answers — the
  server's throughput at that concurrency.
- `open_loop`: requests are due at a fixed rate whatever the server does, and each latency is
  counted from when the request was *due*, so a stalled server shows up in the percentiles
  instead of silently slowing the client down (no coordinated omission).
"""
from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

# A request to send: (path, body, headers); called with a sequence number unique within the run.
MakeRequest = Callable[[int], tuple[str, bytes, dict]]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, answers with an expected status only
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)


class Connection:
    """One keep-alive connection; reconnects once when the server closed it between requests."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def post(self, path: str, body: bytes, headers: dict) -> int:
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


SUCCESS = range(200, 300)


def _send(conn: Connection, request, result: Result, started: float, expected: Collection[int]) -> None:
    path, body, headers = request
    try:
        status = conn.post(path, body, headers)
    except OSError as err:
        result.errors[type(err).__name__] += 1
        return
    result.statuses[status] += 1
    if status in expected:
        result.latencies.append(time.perf_counter() - started)


def closed_loop(host: str, port: int, make_request: MakeRequest, *, connections: int, duration: float,
                warmup: float = 1.0, expected: Collection[int] = SUCCESS) -> Result:
    """Each connection sends back to back for `warmup` + `duration` seconds; only the last
    `duration` seconds are measured, and only answers with an `expected` status count."""
    numbers = itertools.count()
    results = [Result() for _ in range(connections)]
    ready = threading.Barrier(connections + 1)
    begin = [0.0]

    def run(result: Result):
        conn = Connection(host, port)
        ready.wait()
        measure_from, end = begin[0] + warmup, begin[0] + warmup + duration
        while (now := time.perf_counter()) < end:
            sink = result if now >= measure_from else Result()
            _send(conn, make_request(next(numbers)), sink, now, expected)
        conn.close()

    threads = [threading.Thread(target=run, args=(r,), daemon=True) for r in results]
    for t in threads:
        t.start()
    begin[0] = time.perf_counter()
    ready.wait()
    for t in threads:
        t.join()
    total = Result(elapsed=duration)
    for r in results:
        total.merge(r)
    return total


def open_loop(host: str, port: int, make_request: MakeRequest, *, rate: float, duration: float,
              senders: int = 32, expected: Collection[int] = SUCCESS) -> Result:
    """Send `rate` requests per second for `duration` seconds: request i is due at start + i/rate
    and is sent by sender i mod `senders` (more senders than requests in flight)."""
    count = int(rate * duration)
    results = [Result() for _ in range(senders)]
    start = time.perf_counter() + 0.5  # let every sender connect first

    def run(k: int):
        conn = Connection(host, port)
        for i in range(k, count, senders):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            _send(conn, make_request(i), results[k], due, expected)
        conn.close()

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Result(elapsed=time.perf_counter() - start)
    for r in results:
        total.merge(r)
    return total
