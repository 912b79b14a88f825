"""Pytest fixtures for testing against the mock Scalekit server (registered as a ``pytest11``
plugin, so they are available once scalekit-grpc is installed).

* ``scalekit_server``: a `MockScalekitServer`. One server runs per test session (started on
  first use, stopped at the end) and is `reset` before every test, so each test starts from an
  empty environment with no faults, no records and no valid tokens, while paying the start-up
  cost once. A test that stops it gets a new server in the next test (with a new address).
* ``scalekit_client``: a `scalekit_grpc.client.ScalekitClient` for that server, closed after
  the test.
* ``async_scalekit_client``: a `scalekit_grpc.aio.AsyncScalekitClient`, closed after the test
  (needs pytest-asyncio; mark the test ``@pytest.mark.asyncio``).

The imports stay inside the fixtures, so loading the plugin costs nothing for test runs that do
not use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scalekit_grpc.aio import AsyncScalekitClient
    from scalekit_grpc.client import ScalekitClient
    from scalekit_grpc.testing.server import MockScalekitServer


class _SessionServer:
    """The session's server, started on first use (and again if a test stopped it)."""

    def __init__(self) -> None:
        self._server: MockScalekitServer | None = None

    def get(self) -> MockScalekitServer:
        if self._server is None or not self._server.running:
            from scalekit_grpc.testing.server import MockScalekitServer

            self._server = MockScalekitServer().start()
        return self._server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture(scope="session")
def _scalekit_server_session() -> Iterator[_SessionServer]:
    holder = _SessionServer()
    try:
        yield holder
    finally:
        holder.stop()


@pytest.fixture
def scalekit_server(_scalekit_server_session: _SessionServer) -> MockScalekitServer:
    """The session's mock server, reset to an empty environment for this test."""
    server = _scalekit_server_session.get()
    server.reset()
    return server


@pytest.fixture
def scalekit_client(scalekit_server: MockScalekitServer) -> Iterator[ScalekitClient]:
    """A sync client for ``scalekit_server``, closed after the test."""
    from scalekit_grpc.client import ScalekitClient

    client = ScalekitClient(
        scalekit_server.env_url,
        scalekit_server.client_id,
        scalekit_server.client_secret,
        grpc_target=scalekit_server.grpc_target,
    )
    try:
        yield client
    finally:
        client.close()


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio

    @pytest.fixture(name="async_scalekit_client")
    def _async_scalekit_client_unavailable() -> None:
        """Needs pytest-asyncio."""
        pytest.skip("async_scalekit_client needs pytest-asyncio")

else:

    @pytest_asyncio.fixture
    async def async_scalekit_client(
        scalekit_server: MockScalekitServer,
    ) -> AsyncIterator[AsyncScalekitClient]:
        """An asyncio client for ``scalekit_server``, closed after the test."""
        from scalekit_grpc.aio import AsyncScalekitClient

        client = AsyncScalekitClient(
            scalekit_server.env_url,
            scalekit_server.client_id,
            scalekit_server.client_secret,
            grpc_target=scalekit_server.grpc_target,
        )
        try:
            yield client
        finally:
            await client.close()
