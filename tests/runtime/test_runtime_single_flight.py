"""Single-flight: N callers needing a token at once cause one token request and share its outcome.

The token endpoint holds the request at its gate until every caller has joined the flight (a
counting wrapper around the join points tells us), so removing the single-flight makes N requests
and these tests fail.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import pytest
from _runtime_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    WAIT,
    DomainServicer,
    Driver,
    GrpcServer,
    TokenEndpoint,
    request,
    wait_until,
)
from scalekit_grpc.v1.domains import domains_pb2

from scalekit_grpc import _credentials, errors
from scalekit_grpc.aio import AsyncScalekitClient

pytestmark = pytest.mark.timeout(20)
N = 64


class Joins:
    """Counts callers that joined a token flight (sync: waiting on it; async: awaiting it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cond = threading.Condition()
        self.count = 0
        sync_wait = _credentials._Flight.wait
        async_join = _credentials.AsyncTokenSource._join

        def counting_wait(flight: Any, deadline: float | None) -> Any:
            self._joined()
            return sync_wait(flight, deadline)

        def counting_join(source: Any, seen: Any) -> Any:
            flight = async_join(source, seen)
            # The caller awaits the flight right after this, without yielding in between.
            self._joined()
            return flight

        monkeypatch.setattr(_credentials._Flight, "wait", counting_wait)
        monkeypatch.setattr(_credentials.AsyncTokenSource, "_join", counting_join)

    def _joined(self) -> None:
        with self.cond:
            self.count += 1
            self.cond.notify_all()

    def wait_for(self, n: int) -> None:
        wait_until(self.cond, lambda: self.count >= n, f"{n} callers in the token flight")


@pytest.fixture
def joins(monkeypatch: pytest.MonkeyPatch) -> Joins:
    return Joins(monkeypatch)


@pytest.fixture
def background() -> Iterator[futures.ThreadPoolExecutor]:
    with futures.ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


def _gated_gather(
    driver: Driver,
    endpoint: TokenEndpoint,
    joins: Joins,
    background: futures.ThreadPoolExecutor,
    client: Any,
    n: int = N,
) -> list[Any]:
    endpoint.hold()
    pending = background.submit(driver.gather, client, n)
    joins.wait_for(n)
    endpoint.wait_for_requests(1)
    endpoint.open_gate()
    return pending.result(WAIT)


def test_concurrent_callers_share_one_token_request(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    joins: Joins,
    background: futures.ThreadPoolExecutor,
) -> None:
    client = driver.client()
    results = _gated_gather(driver, endpoint, joins, background, client)
    assert all(isinstance(r, domains_pb2.GetDomainResponse) for r in results), results[:3]
    assert endpoint.requests == 1
    assert servicer.tokens_seen() == ["tok-1"] * N
    # Callers arriving after the flight are served from the cache.
    later = driver.gather(client, N)
    assert all(isinstance(r, domains_pb2.GetDomainResponse) for r in later)
    assert endpoint.requests == 1


@pytest.mark.parametrize("status", [401, 503])
def test_concurrent_callers_all_get_the_shared_error(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    joins: Joins,
    background: futures.ThreadPoolExecutor,
    status: int,
) -> None:
    endpoint.mode = "status"
    endpoint.status = status
    results = _gated_gather(driver, endpoint, joins, background, driver.client())
    assert all(isinstance(r, errors.AuthenticationError) for r in results), results[:3]
    assert {r.status_code for r in results} == {status}
    # Each caller raises its own exception object (tracebacks are not shared across threads).
    assert len({id(r) for r in results}) == N
    assert endpoint.requests == 1
    assert servicer.attempts == 0


def test_a_waiter_that_times_out_does_not_stop_the_fetch(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    joins: Joins,
    background: futures.ThreadPoolExecutor,
) -> None:
    client = driver.client()
    endpoint.hold()
    pending = background.submit(driver.gather, client, 4)
    joins.wait_for(4)
    with pytest.raises(errors.DeadlineExceededError):
        driver.call(client, timeout=0.2)
    endpoint.open_gate()
    results = pending.result(WAIT)
    assert all(isinstance(r, domains_pb2.GetDomainResponse) for r in results)
    assert endpoint.requests == 1


def test_a_late_fetch_still_fills_the_cache(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    client = driver.client()
    endpoint.hold()
    with pytest.raises(errors.DeadlineExceededError):
        driver.call(client, timeout=0.2)
    endpoint.open_gate()
    driver.call(client)
    assert endpoint.requests == 1
    assert servicer.tokens_seen() == ["tok-1"]


async def test_cancelling_a_waiter_never_cancels_the_shared_fetch(
    grpc_server: GrpcServer,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    joins: Joins,
) -> None:
    endpoint.hold()
    async with AsyncScalekitClient(
        endpoint.url, CLIENT_ID, CLIENT_SECRET, grpc_target=grpc_server.target, http_timeout=3.0
    ) as client:
        tasks = [asyncio.create_task(client.stubs.domains.GetDomain(request())) for _ in range(8)]
        await asyncio.to_thread(joins.wait_for, 8)
        # tasks[0] started the fetch; cancel it and another waiter.
        tasks[0].cancel()
        tasks[5].cancel()
        await asyncio.to_thread(endpoint.wait_for_requests, 1)
        endpoint.open_gate()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert isinstance(results[5], asyncio.CancelledError)
    survivors = [r for i, r in enumerate(results) if i not in (0, 5)]
    assert all(isinstance(r, domains_pb2.GetDomainResponse) for r in survivors), survivors
    assert endpoint.requests == 1
    assert servicer.tokens_seen() == ["tok-1"] * 6
