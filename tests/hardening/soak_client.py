"""The client half of the soak (`test_hardening_soak.py`), run in a process of its own.

The mock server stays in the test process; the client runs here, so that this process's RSS
(``/proc/self/status``) is the client's alone, not the mock's growing state, and the two do not
share one GIL. Reads a JSON spec on stdin, writes a JSON report on stdout.

Each worker (a thread with the sync client, or a task with the asyncio client) cycles through ten
calls across the five services, one per step: five reads and five writes (a token, a domain, a
connection and a directory created in the worker's own organization; one of its pre-made
sessions revoked), starting at a different step per worker.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

STEPS = 10
WRITES = ("tokens", "domains", "connections", "dirs", "revoked")


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def revokes_for(index: int, calls: int) -> int:
    """How many sessions worker ``index`` revokes in ``calls`` calls (its step-9 calls)."""
    return sum(1 for i in range(calls) if (i + index) % STEPS == 9)


@dataclass
class Worker:
    index: int
    org: str
    sessions: list[str]
    writes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WRITES, 0))
    errors: list[str] = field(default_factory=list)


def call(client: Any, seed: dict[str, str], worker: Worker, i: int) -> tuple[Any, str | None]:
    """The i-th call of a worker (a coroutine for the asyncio client) and what it writes."""
    from scalekit_grpc.v1.connections import connections_pb2 as cx

    from scalekit_grpc.options import CreateTokenOptions, ListTokensOptions

    step = (i + worker.index) % STEPS
    w, org = worker.index, worker.org
    if step == 0:
        return client.tokens.create_token(org, CreateTokenOptions(description=f"{w}/{i}")), "tokens"
    if step == 1:
        return client.tokens.list_tokens(seed["org"], ListTokensOptions(page_size=5)), None
    if step == 2:
        return client.domains.create_domain(org, f"w{w}-{i}.soak.example"), "domains"
    if step == 3:
        return client.domains.get_domain(seed["org"], seed["domain"]), None
    if step == 4:
        connection = cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC)
        return client.connections.create_connection(org, connection), "connections"
    if step == 5:
        return client.connections.list_connections(seed["org"]), None
    if step == 6:
        return client.directories.create_directory(org), "dirs"
    if step == 7:
        return client.directories.list_directory_users(seed["org"], seed["directory"]), None
    if step == 8:
        return client.sessions.get_session(seed["session"]), None
    return client.sessions.revoke_session(worker.sessions[i // STEPS]), "revoked"


class Progress:
    """Per-call bookkeeping in constant memory (so that it cannot show up as RSS growth): a
    latency histogram in 5 ms buckets, and an RSS sample each time a tenth of the calls is done
    (taken by the call that completes it)."""

    BUCKET = 0.005

    def __init__(self, total_calls: int) -> None:
        self._lock = threading.Lock()
        self._step = max(1, total_calls // 10)
        self._done = 0
        self._buckets = [0] * 2001  # the last one collects everything from 10 s up
        self.slowest = 0.0
        self.rss_samples: list[int] = []

    def count_call(self, latency: float) -> None:
        with self._lock:
            self._done += 1
            self._buckets[min(int(latency / self.BUCKET), len(self._buckets) - 1)] += 1
            self.slowest = max(self.slowest, latency)
            if self._done % self._step == 0:
                self.rss_samples.append(rss_kib())

    def percentile(self, fraction: float) -> float:
        """The upper edge of the bucket holding that fraction of the calls."""
        wanted, seen = fraction * self._done, 0
        for index, count in enumerate(self._buckets):
            seen += count
            if seen >= wanted:
                return (index + 1) * self.BUCKET
        return self.slowest


class ReauthCounter(logging.Handler):
    """Counts the pipeline's "UNAUTHENTICATED: refreshing ..." debug records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("UNAUTHENTICATED"):
            self.count += 1


def run_threads(spec: dict[str, Any], workers: list[Worker], series: Progress) -> dict[str, Any]:
    from scalekit_grpc.client import ScalekitClient

    calls, warm = spec["calls"], spec["warm_calls"]
    warmed = threading.Barrier(len(workers) + 1)
    resume = threading.Event()
    client = ScalekitClient(
        spec["env_url"], spec["client_id"], spec["client_secret"], grpc_target=spec["grpc_target"]
    )

    def run(worker: Worker) -> None:
        for i in range(calls):
            if i == warm:
                warmed.wait(120)
                resume.wait(120)
            begun = time.monotonic()
            try:
                _, wrote = call(client, spec["seed"], worker, i)
            except Exception as exc:  # reported
                worker.errors.append(repr(exc))
            else:
                if wrote is not None:
                    worker.writes[wrote] += 1
            series.count_call(time.monotonic() - begun)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    with client:
        start = time.monotonic()
        for thread in threads:
            thread.start()
        warmed.wait(120)  # every worker has made its warm-up calls
        gc.collect()
        rss_warm = rss_kib()
        resume.set()
        for thread in threads:
            thread.join()
        duration = time.monotonic() - start
        gc.collect()
        return {
            "duration": duration,
            "rss_warm": rss_warm,
            "rss_end": rss_kib(),
            "fetches": client._tokens.fetch_count,
        }


async def run_tasks(
    spec: dict[str, Any], workers: list[Worker], series: Progress
) -> dict[str, Any]:
    from scalekit_grpc.aio import AsyncScalekitClient

    calls, warm = spec["calls"], spec["warm_calls"]
    warmed = 0
    all_warm, resume = asyncio.Event(), asyncio.Event()
    client = AsyncScalekitClient(
        spec["env_url"], spec["client_id"], spec["client_secret"], grpc_target=spec["grpc_target"]
    )

    async def run(worker: Worker) -> None:
        nonlocal warmed
        for i in range(calls):
            if i == warm:
                warmed += 1
                if warmed == len(workers):
                    all_warm.set()
                await resume.wait()
            begun = time.monotonic()
            try:
                pending, wrote = call(client, spec["seed"], worker, i)
                await pending
            except Exception as exc:  # reported
                worker.errors.append(repr(exc))
            else:
                if wrote is not None:
                    worker.writes[wrote] += 1
            series.count_call(time.monotonic() - begun)

    async with client:
        start = time.monotonic()
        tasks = [asyncio.create_task(run(worker)) for worker in workers]
        await asyncio.wait_for(all_warm.wait(), 120)
        gc.collect()
        rss_warm = rss_kib()
        resume.set()
        await asyncio.gather(*tasks)
        duration = time.monotonic() - start
        gc.collect()
        return {
            "duration": duration,
            "rss_warm": rss_warm,
            "rss_end": rss_kib(),
            "fetches": client._tokens.fetch_count,
        }


def main() -> None:
    spec = json.load(sys.stdin)
    logger = logging.getLogger("scalekit_grpc.pipeline")
    reauths = ReauthCounter()
    logger.addHandler(reauths)
    logger.setLevel(logging.DEBUG)
    workers = [
        Worker(index=w["index"], org=w["org"], sessions=w["sessions"]) for w in spec["workers"]
    ]
    series = Progress(len(workers) * spec["calls"])
    if spec["mode"] == "threads":
        report = run_threads(spec, workers, series)
    else:
        report = asyncio.run(run_tasks(spec, workers, series))
    errors = [error for worker in workers for error in worker.errors]
    report.update(
        latency_p50=series.percentile(0.50),
        latency_p99=series.percentile(0.99),
        latency_max=series.slowest,
        rss_series=series.rss_samples,
        reauths=reauths.count,
        error_count=len(errors),
        errors=errors[:5],
        writes=[worker.writes for worker in workers],
        calls=len(workers) * spec["calls"],
    )
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
