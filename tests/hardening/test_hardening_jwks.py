"""JWKS faults against the mock server's real ``/keys`` and its real key rotation.

* Rotation: a token with a new kid verifies with exactly one extra fetch (once the refetch
  cooldown allows one), and a removed kid fails after the next refresh.
* The endpoint goes down after a success: the last good set serves through the stale window,
  then validation fails with `JWKSUnavailableError` (not a token error), and recovers.
* An unknown-kid storm of 1,000 tokens within one second, from 8 threads and 200 asyncio tasks
  at once, causes at most one JWKS request per cache, while a valid token keeps verifying.

Time moves only through the injectable clock, except in the storm, which is about real time.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator

import pytest
from auth_testkit import Clock, b64url
from hardening_kit import free_port

from scalekit_grpc.auth import AsyncAuthFlows, AuthConfig, AuthFlows
from scalekit_grpc.errors import (
    JWKSUnavailableError,
    KeyNotFoundError,
    TokenValidationError,
)
from scalekit_grpc.testing import MockScalekitServer

pytestmark = pytest.mark.timeout(60)
KEYS = "/keys"
TTL, COOLDOWN, MAX_STALE, BACKOFF = 300.0, 30.0, 3600.0, 5.0


def _flows(server: MockScalekitServer, clock: Clock | None = None) -> AuthFlows:
    return AuthFlows(
        AuthConfig(
            server.env_url,
            server.client_id,
            clock=clock if clock is not None else time.time,
            http_timeout=2.0,
        )
    )


def _unknown_kid_token(server: MockScalekitServer) -> str:
    """Well-formed and unexpired, naming a kid the JWKS has never had (garbage signature)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "snk_" + os.urandom(8).hex()}
    now = int(time.time())
    claims = {"iss": server.env_url, "sub": "x", "exp": now + 3600, "iat": now}
    return (
        f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        f".{b64url(os.urandom(256))}"
    )


def test_rotation_new_kid_one_extra_fetch_removed_kid_fails(server: MockScalekitServer) -> None:
    clock = Clock(time.time())
    flows = _flows(server, clock)
    old = server.issue_access_token()
    assert flows.validate_access_token(old)
    assert server.http_counts[KEYS] == 1

    server.rotate_keys(keep_old=True)
    new = server.issue_access_token()
    # Within the cooldown after the last fetch an unknown kid is refused without a refetch.
    with pytest.raises(KeyNotFoundError):
        flows.validate_token(new)
    assert server.http_counts[KEYS] == 1
    clock.advance(COOLDOWN)
    assert flows.validate_access_token(new)
    assert server.http_counts[KEYS] == 2  # exactly one extra fetch
    assert flows.validate_access_token(old)  # kept in the JWKS, still good
    assert flows.validate_access_token(new)
    assert server.http_counts[KEYS] == 2

    server.rotate_keys(keep_old=False)  # the old keys leave the JWKS
    newest = server.issue_access_token()
    clock.advance(COOLDOWN)
    assert flows.validate_access_token(newest)
    assert server.http_counts[KEYS] == 3
    for gone in (old, new):  # their kids are gone from the set fetched just now
        with pytest.raises(KeyNotFoundError):
            flows.validate_token(gone)
    assert server.http_counts[KEYS] == 3  # the cooldown also holds for removed kids


def test_endpoint_down_after_a_success_stale_window_then_unavailable_then_recovery() -> None:
    http_port = free_port()
    first = MockScalekitServer(http_port=http_port, client_id="skc_jwks").start()
    second: MockScalekitServer | None = None
    try:
        first.token_lifetime = 10 * 3600  # outlives every clock jump below
        clock = Clock(time.time())
        flows = _flows(first, clock)
        token = first.issue_access_token()
        assert flows.validate_access_token(token)
        jwks = flows._auth_jwks
        assert jwks.fetch_count == 1

        first.stop()  # the JWKS endpoint is down from now on
        clock.advance(TTL)  # the set is due for a refresh, which fails
        assert flows.validate_access_token(token)
        assert jwks.fetch_count == 2
        clock.advance(BACKOFF - 1)  # inside the failure backoff: no new attempt
        assert flows.validate_access_token(token)
        assert jwks.fetch_count == 2
        clock.advance(MAX_STALE - BACKOFF)  # 1 s before the stale limit: still served
        assert flows.validate_access_token(token)
        assert jwks.fetch_count == 3
        clock.advance(1.0)  # ttl + max_stale old: no usable key set
        with pytest.raises(JWKSUnavailableError) as info:
            flows.validate_token(token)
        assert not isinstance(info.value, TokenValidationError)  # the token may be fine
        assert jwks.fetch_count == 3  # within the backoff of the last failure

        # The endpoint comes back (a new environment on the same port, new keys).
        second = MockScalekitServer(http_port=http_port, client_id="skc_jwks").start()
        second.token_lifetime = 10 * 3600
        clock.advance(BACKOFF)
        fresh = second.issue_access_token()
        assert flows.validate_access_token(fresh)
        assert second.http_counts[KEYS] == 1
        with pytest.raises(KeyNotFoundError):  # the old environment's kid is gone
            flows.validate_token(token)
    finally:
        first.stop()
        if second is not None:
            second.stop()


@pytest.fixture
def storm_server() -> Iterator[MockScalekitServer]:
    server = MockScalekitServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_unknown_kid_storm_from_threads_and_tasks(storm_server: MockScalekitServer) -> None:
    """About elapsed time: 1,000 unknown-kid tokens (800 from 8 threads, 200 from asyncio tasks)
    all within one second of real time, on cold caches, interleaved with a valid token."""
    server = storm_server
    flows = _flows(server)
    aflows = AsyncAuthFlows(AuthConfig(server.env_url, server.client_id, http_timeout=2.0))
    valid = server.issue_access_token()
    storm = [_unknown_kid_token(server) for _ in range(1000)]
    refused: list[int] = [0, 0]
    lock = threading.Lock()
    barrier = threading.Barrier(9)
    failures: list[BaseException] = []

    def thread_storm(tokens: list[str]) -> None:
        try:
            barrier.wait(10)
            for token in tokens:
                with pytest.raises(KeyNotFoundError):
                    flows.validate_token(token)
                assert flows.validate_access_token(valid)
                with lock:
                    refused[0] += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    async def one(token: str) -> None:
        with pytest.raises(KeyNotFoundError):
            await aflows.validate_token(token)
        assert await aflows.validate_access_token(valid)
        refused[1] += 1

    async def task_storm(tokens: list[str]) -> None:
        await asyncio.gather(*(one(token) for token in tokens))

    threads = [
        threading.Thread(target=thread_storm, args=(storm[100 * i : 100 * (i + 1)],))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    start = time.monotonic()
    barrier.wait(10)
    asyncio.run(task_storm(storm[800:]))
    for thread in threads:
        thread.join(10)
    elapsed = time.monotonic() - start
    print(f"\nunknown-kid storm: 1000 tokens (+1000 valid ones) in {elapsed:.3f} s")
    assert failures == []
    assert refused == [800, 200]
    assert elapsed < 1.0, elapsed
    # One fetch per cache (the cold start); no unknown kid caused another.
    assert flows._auth_jwks.fetch_count == 1
    assert aflows._auth_jwks.fetch_count == 1
    assert server.http_counts[KEYS] == 2
