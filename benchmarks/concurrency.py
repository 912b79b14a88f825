"""Row group 2: throughput under concurrency, one shared client vs one shared raw stub.

16 threads share one sync client (or one raw stub on one channel); 256 asyncio tasks share one
async client (or one grpc.aio raw stub). Each repetition runs both sides back to back, in
alternating order, and the row reports the median calls per second of each side.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from benchmarks._env import Env
from benchmarks._harness import Budget, Row, median, produces, run_async

THREADS = 16
TASKS = 256
BUDGET = Budget(">=", 0.90)


def _threads_rate(call: Callable[[], object], threads: int, calls: int) -> tuple[float, float]:
    """Calls per second of ``threads`` threads making ``calls`` calls each, started together,
    and the process CPU time per call (µs)."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            for _ in range(calls):
                call()
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for t in pool:
        t.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if errors:
        raise errors[0]
    return threads * calls / elapsed, cpu * 1e6 / (threads * calls)


async def _tasks_rate(
    call: Callable[[], Awaitable[object]], tasks: int, calls: int
) -> tuple[float, float]:
    """`_threads_rate` for ``tasks`` asyncio tasks."""

    async def worker() -> None:
        for _ in range(calls):
            await call()

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return tasks * calls / elapsed, cpu * 1e6 / (tasks * calls)


class _Reps:
    """Rates and CPU per call of each side, repetition by repetition."""

    def __init__(self) -> None:
        self.rates: dict[str, list[float]] = {"raw": [], "client": []}
        self.cpu: dict[str, list[float]] = {"raw": [], "client": []}

    def add(self, side: str, rate_cpu: tuple[float, float]) -> None:
        self.rates[side].append(rate_cpu[0])
        self.cpu[side].append(rate_cpu[1])

    def row(self, name: str, floor: str, detail: str) -> Row:
        rates, cpu = self.rates, self.cpu
        spread = ", ".join(f"{k} {min(v):,.0f}-{max(v):,.0f}/s" for k, v in rates.items())
        return Row(
            name,
            median(rates["client"]),
            "calls/s",
            median(rates["raw"]),
            floor,
            BUDGET,
            note=f"{detail}; {len(rates['raw'])} alternating reps ({spread}); process CPU per "
            f"call {median(cpu['client']):.0f} µs vs {median(cpu['raw']):.0f} µs raw",
        )


@produces("concurrency.sync.16_threads")
def threads_16(env: Env) -> list[Row]:
    s = env.settings
    channel = env.raw_channel()
    reps = _Reps()
    with env.client() as client:
        sides = {"raw": env.raw_get_domain(channel), "client": env.get_domain(client)}
        for call in sides.values():  # connect, fetch the token, warm up
            _threads_rate(call, THREADS, 2)
        for rep in range(s.concurrency_reps):
            for name in ("raw", "client") if rep % 2 == 0 else ("client", "raw"):
                reps.add(name, _threads_rate(sides[name], THREADS, s.thread_calls))
    channel.close()
    detail = f"client.domains.get_domain; {THREADS} threads x {s.thread_calls} calls"
    return [reps.row("concurrency.sync.16_threads", "raw stub", detail)]


@produces("concurrency.async.256_tasks")
def tasks_256(env: Env) -> list[Row]:
    s = env.settings
    reps = _Reps()

    async def measure() -> None:
        channel = env.raw_aio_channel()
        async with env.async_client() as client:
            sides = {"raw": env.raw_aget_domain(channel), "client": env.aget_domain(client)}
            for call in sides.values():
                await _tasks_rate(call, TASKS, 1)
            for rep in range(s.concurrency_reps):
                for name in ("raw", "client") if rep % 2 == 0 else ("client", "raw"):
                    reps.add(name, await _tasks_rate(sides[name], TASKS, s.task_calls))
        await channel.close(None)

    run_async(measure)
    detail = f"client.domains.get_domain; {TASKS} tasks x {s.task_calls} calls"
    return [reps.row("concurrency.async.256_tasks", "grpc.aio raw stub", detail)]


BENCHMARKS = (threads_16, tasks_256)
