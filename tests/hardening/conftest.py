"""Fixtures of the hardening suite (issue 8); the helpers are in hardening_kit.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hardening_kit import RequestWatcher

from scalekit_grpc.testing import MockScalekitServer, SeedData


@pytest.fixture
def server() -> Iterator[MockScalekitServer]:
    """A fresh mock per test: a hung handler or background refresh left by one test can never
    reach the next one's counters."""
    mock = MockScalekitServer().start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def seed(server: MockScalekitServer) -> SeedData:
    return server.seed()


@pytest.fixture
def watcher(server: MockScalekitServer) -> RequestWatcher:
    return RequestWatcher(server)


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> str:
    """Each test body runs against `ScalekitClient` and `AsyncScalekitClient`."""
    return str(request.param)
