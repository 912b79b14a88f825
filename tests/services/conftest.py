"""Fixtures for the service tests: one recording gRPC server and one token endpoint per session
(reset before each test), and both clients built on them through the real pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from _services_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    GrpcServer,
    Recorder,
    Services,
    TokenEndpoint,
    async_services,
    sync_services,
)

from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient


@pytest.fixture(scope="session")
def services_server() -> Iterator[GrpcServer]:
    server = GrpcServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def services_token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def recorder(services_server: GrpcServer) -> Iterator[Recorder]:
    services_server.recorder.reset()
    yield services_server.recorder
    services_server.recorder.reset()


@pytest.fixture(scope="session")
def sync_client(
    services_server: GrpcServer, services_token_endpoint: TokenEndpoint
) -> Iterator[ScalekitClient]:
    client = ScalekitClient(
        services_token_endpoint.url,
        CLIENT_ID,
        CLIENT_SECRET,
        grpc_target=services_server.target,
    )
    yield client
    client.close()


@pytest.fixture
def sync(sync_client: ScalekitClient, recorder: Recorder) -> Services:
    return sync_services(sync_client)


@pytest.fixture
async def async_client(
    services_server: GrpcServer, services_token_endpoint: TokenEndpoint
) -> AsyncIterator[AsyncScalekitClient]:
    client = AsyncScalekitClient(
        services_token_endpoint.url,
        CLIENT_ID,
        CLIENT_SECRET,
        grpc_target=services_server.target,
    )
    yield client
    await client.close()


@pytest.fixture
def aio(async_client: AsyncScalekitClient, recorder: Recorder) -> Services:
    return async_services(async_client)


@pytest.fixture(params=["sync", "async"])
def svc(request: pytest.FixtureRequest) -> Services:
    """Each test using this runs once per client flavour."""
    name = "sync" if request.param == "sync" else "aio"
    services: Services = request.getfixturevalue(name)
    return services
