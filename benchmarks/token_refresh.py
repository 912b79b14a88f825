"""Row group 4: a token refresh under a thundering herd.

One client holds a token the server has since expired (``expire_tokens``): its next call gets
UNAUTHENTICATED, refreshes the token and resends. 64 threads (or 64 asyncio tasks) sharing the
client are released together; the server's own counter of ``POST /oauth/token`` requests tells
how many refreshes they caused (single-flight: exactly 1). The time until every caller has its
response is compared with the same 64 callers released with a valid token: each caller of the
refresh round makes two RPCs (the rejected one and the resend) plus the one shared token
request, so about 2x is the expected ratio on a server-bound loopback.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from benchmarks._env import Env
from benchmarks._harness import Budget, Row, median, produces, run_async

CALLERS = 64
ONE_REQUEST = Budget("==", 1, on="value")


def _threads_once(call: Callable[[], object], callers: int) -> float:
    barrier = threading.Barrier(callers + 1)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(callers)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


async def _tasks_once(call: Callable[[], Awaitable[object]], callers: int) -> float:
    gate = asyncio.Event()

    async def worker() -> None:
        await gate.wait()
        await call()

    tasks = [asyncio.ensure_future(worker()) for _ in range(callers)]
    await asyncio.sleep(0)  # every task is now parked on the gate
    start = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    return time.perf_counter() - start


class _Rounds:
    """Token-endpoint requests and elapsed time of each round, herd and lone caller."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.requests: list[int] = []
        self.herd: list[float] = []
        self.valid: list[float] = []
        self.alone: list[float] = []

    def expire(self) -> int:
        """Expire every issued token server-side; returns the token-request count so far."""
        self.env.server.call("expire_tokens")
        return int(self.env.server.call("token_requests"))

    def counted(self, before: int) -> None:
        self.requests.append(int(self.env.server.call("token_requests")) - before)

    def rows(self, kind: str) -> list[Row]:
        self.env.renew_raw_token()  # expire_tokens also expired the raw side's token
        rounds = len(self.herd)
        return [
            Row(
                f"refresh.{kind}.token_requests",
                max(self.requests),
                "requests",
                1,
                "single flight",
                ONE_REQUEST,
                note=f"{CALLERS} {kind} after expire_tokens(); worst of {rounds} rounds: "
                f"{self.requests}",
            ),
            Row(
                f"refresh.{kind}.time",
                median(self.herd) * 1000,
                "ms",
                median(self.valid) * 1000,
                f"{CALLERS} callers, valid token",
                note=f"release -> all {CALLERS} responses; one caller alone through the same "
                f"refresh: {median(self.alone) * 1000:.1f} ms",
            ),
        ]


@produces("refresh.threads.token_requests", "refresh.threads.time")
def threads_64(env: Env) -> list[Row]:
    rounds = _Rounds(env)
    with env.client() as client:
        call = env.get_domain(client)
        call()
        for _ in range(env.settings.refresh_rounds):
            rounds.expire()
            start = time.perf_counter()
            call()
            rounds.alone.append(time.perf_counter() - start)
            rounds.valid.append(_threads_once(call, CALLERS))
            before = rounds.expire()
            rounds.herd.append(_threads_once(call, CALLERS))
            rounds.counted(before)
    return rounds.rows("threads")


@produces("refresh.tasks.token_requests", "refresh.tasks.time")
def tasks_64(env: Env) -> list[Row]:
    rounds = _Rounds(env)

    async def measure() -> None:
        async with env.async_client() as client:
            call = env.aget_domain(client)
            await call()
            for _ in range(env.settings.refresh_rounds):
                rounds.expire()
                start = time.perf_counter()
                await call()
                rounds.alone.append(time.perf_counter() - start)
                rounds.valid.append(await _tasks_once(call, CALLERS))
                before = rounds.expire()
                rounds.herd.append(await _tasks_once(call, CALLERS))
                rounds.counted(before)

    run_async(measure)
    return rounds.rows("tasks")


BENCHMARKS = (threads_64, tasks_64)
