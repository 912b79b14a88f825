"""Cancellation of in-flight asyncio calls: half of 1,000 are cancelled, the client stays healthy.

* While all 1,000 wait on the one token request (the token endpoint is slow), cancelling 500 of
  them does not cancel the shared refresh: the other 500 get the token and succeed, and there
  is exactly one token request. Cancelling every waiter still fills the token cache.
* While all 1,000 RPCs are held by the server (the mock's ``delay``), cancelling 500 of them
  leaves the other 500 to succeed, and the same client keeps working afterwards.

Waits are on events: the mock's recorder, task completion, and an `asyncio.Event` set once all
1,000 tasks have started.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hardening_kit import RequestWatcher

from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(60)
CALLS = 1000
HOLD = 5.0  # seconds the server holds each RPC: far longer than it takes to send all 1,000
TOKEN = "/oauth/token"


@pytest.fixture
def wide_server() -> Iterator[MockScalekitServer]:
    """A mock with a handler thread for each of the 1,000 calls, so all can be in flight."""
    server = MockScalekitServer(max_workers=CALLS + 64, max_recorded_requests=4 * CALLS).start()
    try:
        yield server
    finally:
        server.stop()


def _client(server: MockScalekitServer) -> AsyncScalekitClient:
    return AsyncScalekitClient(
        server.env_url, server.client_id, server.client_secret, grpc_target=server.grpc_target
    )


def _tally(results: list[Any]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for result in results:
        name = type(result).__name__
        tally[name] = tally.get(name, 0) + 1
    return tally


async def _start(client: AsyncScalekitClient, seed: SeedData) -> list[asyncio.Task[Any]]:
    started = 0
    all_started = asyncio.Event()

    async def call() -> Any:
        nonlocal started
        started += 1
        if started == CALLS:
            # Every earlier task has already run up to its first suspension point; this one
            # gets there before the waiter below is resumed.
            all_started.set()
        return await client.domains.get_domain(seed.organization_id, seed.domain_id)

    tasks = [asyncio.create_task(call()) for _ in range(CALLS)]
    await all_started.wait()
    return tasks


def test_cancelling_half_of_the_waiters_does_not_cancel_the_shared_refresh(
    wide_server: MockScalekitServer,
) -> None:
    server, watcher = wide_server, RequestWatcher(wide_server)
    seed = server.seed()
    server.delay_token_endpoint(1.0, count=1)

    async def main() -> None:
        async with _client(server) as client:
            tasks = await _start(client, seed)
            await watcher.await_http(TOKEN, 1)  # the one token request is in flight
            flight = client._tokens._flight
            assert flight is not None
            assert not any(task.done() for task in tasks)
            for task in tasks[::2]:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert _tally(results) == {"CancelledError": 500, "GetDomainResponse": 500}
            assert flight.done()
            assert not flight.cancelled()
            assert server.http_counts[TOKEN] == 1
            # The cancelled callers never sent their RPC; the others sent exactly one each.
            assert len(server.requests_for("GetDomain")) == 500
            # Healthy afterwards: more calls succeed on the cached token.
            again = await asyncio.gather(
                *(
                    client.domains.get_domain(seed.organization_id, seed.domain_id)
                    for _ in range(20)
                )
            )
            assert {type(r).__name__ for r in again} == {"GetDomainResponse"}
            assert server.http_counts[TOKEN] == 1

    asyncio.run(main())


def test_cancelling_every_waiter_still_fills_the_token_cache(
    server: MockScalekitServer, seed: SeedData, watcher: RequestWatcher
) -> None:
    server.delay_token_endpoint(0.5, count=1)

    async def main() -> None:
        async with _client(server) as client:
            tasks = [
                asyncio.create_task(client.domains.get_domain(seed.organization_id, seed.domain_id))
                for _ in range(100)
            ]
            await watcher.await_http(TOKEN, 1)
            flight = client._tokens._flight
            assert flight is not None
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert _tally(results) == {"CancelledError": 100}
            await flight  # nobody waits for it any more; it completes all the same
            assert server.requests == []
            await client.domains.get_domain(seed.organization_id, seed.domain_id)
            assert server.http_counts[TOKEN] == 1  # the cache was filled by the orphaned fetch

    asyncio.run(main())


def test_cancelling_half_of_1000_rpcs_held_by_the_server(wide_server: MockScalekitServer) -> None:
    """All 1,000 RPCs are confirmed in flight (received by the mock, none answered yet) before
    half are cancelled; the mock holds each for `HOLD` seconds, or until its call ends."""
    server, watcher = wide_server, RequestWatcher(wide_server)
    seed = server.seed()

    async def main() -> None:
        async with _client(server) as client:
            await client.domains.get_domain(seed.organization_id, seed.domain_id)  # token
            server.clear_requests()
            server.delay("GetDomain", HOLD)
            start = time.monotonic()
            tasks = await _start(client, seed)
            await watcher.await_rpcs(CALLS, "GetDomain")
            print(f"\n{CALLS} RPCs in flight after {time.monotonic() - start:.2f} s")
            assert not any(task.done() for task in tasks)  # all held at once
            for task in tasks[::2]:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert _tally(results) == {"CancelledError": 500, "GetDomainResponse": 500}
            server.clear_delays()
            again = await asyncio.gather(
                *(
                    client.domains.get_domain(seed.organization_id, seed.domain_id)
                    for _ in range(50)
                )
            )
            assert {type(r).__name__ for r in again} == {"GetDomainResponse"}
            assert server.http_counts[TOKEN] == 0  # cleared above; the token never changed
            assert len(server.requests_for("GetDomain")) == CALLS + 50

    asyncio.run(main())
