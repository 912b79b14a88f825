"""Fixtures for the client-runtime tests: one gRPC server per session (its servicer reset around
each test), one token endpoint per test, and a `driver` that runs each test against both the sync
and the asyncio client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _runtime_harness import (
    AsyncDriver,
    DomainServicer,
    Driver,
    GrpcServer,
    SyncDriver,
    TokenEndpoint,
)


@pytest.fixture(scope="session")
def grpc_server() -> Iterator[GrpcServer]:
    server = GrpcServer()
    yield server
    server.stop()


@pytest.fixture
def servicer(grpc_server: GrpcServer) -> Iterator[DomainServicer]:
    grpc_server.servicer.reset()
    yield grpc_server.servicer
    grpc_server.servicer.reset()


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    # One per test: a background refresh still running when a test ends cannot reach the next
    # test's endpoint and skew its request count.
    endpoint = TokenEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture(params=["sync", "async"])
def driver(
    request: pytest.FixtureRequest,
    grpc_server: GrpcServer,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
) -> Iterator[Driver]:
    """Both clients, one test body: ``driver.client()``, ``driver.call(client, ...)``."""
    made: Driver = (
        SyncDriver(grpc_server, endpoint)
        if request.param == "sync"
        else AsyncDriver(grpc_server, endpoint)
    )
    try:
        yield made
    finally:
        # Free hung handlers first, so that closing the clients never waits on them.
        servicer.release.set()
        endpoint.release.set()
        endpoint.open_gate()
        made.close()
