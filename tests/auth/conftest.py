"""Fixtures of the auth tests (helpers live in auth_testkit.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from auth_testkit import CLIENT_ID, CLIENT_SECRET, Clock, FakeAuthServer, Issuer

from scalekit_grpc._types import Secret
from scalekit_grpc.auth import AsyncAuthFlows, AuthConfig, AuthFlows


@pytest.fixture(scope="session")
def shared_server() -> Iterator[FakeAuthServer]:
    fake = FakeAuthServer()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def server(shared_server: FakeAuthServer) -> Iterator[FakeAuthServer]:
    shared_server.reset()
    try:
        yield shared_server
    finally:
        shared_server.release.set()
        if shared_server.keys_gate is not None:
            shared_server.keys_gate.set()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(server: FakeAuthServer) -> Issuer:
    issuer = Issuer(server.url)
    server.set_jwks(issuer.jwks("k1"))
    return issuer


@pytest.fixture
def config(server: FakeAuthServer, clock: Clock) -> AuthConfig:
    return AuthConfig(
        env_url=server.url,
        client_id=CLIENT_ID,
        client_secret=Secret(CLIENT_SECRET),
        http_timeout=2.0,
        clock=clock,
    )


@pytest.fixture
def make_flows(config: AuthConfig) -> Callable[..., AuthFlows]:
    def make(**overrides: Any) -> AuthFlows:
        return AuthFlows(replace(config, **overrides))

    return make


@pytest.fixture
def flows(make_flows: Callable[..., AuthFlows], issuer: Issuer) -> AuthFlows:
    return make_flows()


@pytest.fixture
def aflows(config: AuthConfig, issuer: Issuer) -> AsyncAuthFlows:
    return AsyncAuthFlows(config)
