"""The JWKS cache against the loopback server: rotation, the unknown-kid storm, the stale window,
refused responses, timeouts, and single-flight fetches from threads and tasks (security bar
section 8, items 11-14)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from auth_testkit import NOW, Clock, FakeAuthServer, Issuer, b64url, jwk_of, rsa_key
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from scalekit_grpc.auth import AsyncAuthFlows, AuthConfig, AuthFlows
from scalekit_grpc.errors import (
    InvalidSignatureError,
    JWKSUnavailableError,
    KeyNotFoundError,
    TokenValidationError,
)

TTL = 300
COOLDOWN = 30
MAX_STALE = 3600


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def _random_kid_token(issuer: Issuer) -> str:
    """Structurally valid, signed with garbage, naming a random kid (cheap to make 1000 of)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": os.urandom(8).hex()}
    payload = issuer.claims()
    return (
        f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        f".{b64url(os.urandom(256))}"
    )


# --- rotation (item 12) -------------------------------------------------------------------------


def test_rotation_picks_up_a_new_kid_with_exactly_one_extra_fetch(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    assert flows.validate_access_token(issuer.token(kid="k1"))
    assert server.count("/keys") == 1
    server.set_jwks(issuer.jwks("k1", "k2"))
    clock.advance(COOLDOWN)
    assert flows.validate_access_token(issuer.token(kid="k2"))
    assert server.count("/keys") == 2
    for _ in range(20):
        assert flows.validate_access_token(issuer.token(kid="k2", jti=os.urandom(4).hex()))
        assert flows.validate_access_token(issuer.token(kid="k1"))
    assert server.count("/keys") == 2


def test_removed_kid_fails_after_the_next_refresh(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    old = issuer.token(kid="k1")
    assert flows.validate_access_token(old)
    assert len(flows._auth_validator.cache) == 1
    server.set_jwks(issuer.jwks("k2"))
    clock.advance(TTL - 1)
    assert flows.validate_access_token(old)  # still within the TTL
    assert server.count("/keys") == 1
    clock.advance(1)
    with pytest.raises(KeyNotFoundError):
        flows.validate_token(old)
    assert server.count("/keys") == 2
    assert len(flows._auth_validator.cache) == 0  # emptied when the key set changed
    assert flows.validate_access_token(issuer.token(kid="k2"))


def test_unchanged_key_set_keeps_the_verified_token_cache(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    token = issuer.token()
    assert flows.validate_access_token(token)
    generation = flows._auth_jwks.keyset.generation  # type: ignore[union-attr]
    clock.advance(TTL)
    assert flows.validate_access_token(token)
    assert server.count("/keys") == 2
    assert flows._auth_jwks.keyset.generation == generation  # type: ignore[union-attr]
    assert len(flows._auth_validator.cache) == 1


# --- the unknown-kid storm (item 11) ------------------------------------------------------------


def test_unknown_kid_storm_causes_at_most_one_fetch(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    valid = issuer.token()
    assert flows.validate_access_token(valid)
    assert server.count("/keys") == 1
    clock.advance(COOLDOWN)  # the cooldown has passed: one refetch is allowed
    storm = [_random_kid_token(issuer) for _ in range(1000)]
    for token in storm:
        clock.advance(0.001)  # 1000 tokens within one second
        with pytest.raises(KeyNotFoundError):
            flows.validate_token(token)
        assert flows.validate_access_token(valid)
    assert server.count("/keys") == 2
    assert flows.validate_access_token(valid)
    clock.advance(COOLDOWN)
    with pytest.raises(KeyNotFoundError):
        flows.validate_token(storm[0])
    assert server.count("/keys") == 3


def test_unknown_kid_within_cooldown_of_the_first_fetch_does_not_refetch(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    for _ in range(100):
        with pytest.raises(KeyNotFoundError):
            flows.validate_token(_random_kid_token(issuer))
    assert server.count("/keys") == 1


# --- endpoint down: stale window (item 13) ------------------------------------------------------


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_stale_window_then_jwks_unavailable(
    make_flows: Callable[..., AuthFlows],
    issuer: Issuer,
    server: FakeAuthServer,
    clock: Clock,
    mode: str,
) -> None:
    flows = make_flows(http_timeout=0.2)
    token = issuer.token(exp=NOW + 10 * 3600)
    assert flows.validate_access_token(token)
    server.keys_mode = mode
    clock.advance(TTL)
    assert flows.validate_access_token(token)  # refresh failed, last good set serves
    assert server.count("/keys") == 2
    clock.advance(1)
    assert flows.validate_access_token(token)  # within the failure backoff: no new attempt
    assert server.count("/keys") == 2
    clock.advance(MAX_STALE - 2)
    assert flows.validate_access_token(issuer.token(exp=NOW + 10 * 3600, jti="other"))
    assert server.count("/keys") == 3
    clock.advance(1)  # the set is now ttl + max_stale old
    with pytest.raises(JWKSUnavailableError):
        flows.validate_access_token(token)
    with pytest.raises(JWKSUnavailableError):
        flows.get_access_token_claims(token)
    server.keys_mode = "ok"
    clock.advance(5)
    assert flows.validate_access_token(token)


def test_first_fetch_failure_is_jwks_unavailable_and_backs_off(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    server.keys_mode = "fail"
    token = issuer.token()
    for _ in range(10):
        with pytest.raises(JWKSUnavailableError):
            flows.validate_access_token(token)
    assert server.count("/keys") == 1
    clock.advance(5)
    server.keys_mode = "ok"
    assert flows.validate_access_token(token)
    assert server.count("/keys") == 2


def test_hanging_endpoint_is_bounded_by_the_http_timeout(
    make_flows: Callable[..., AuthFlows], issuer: Issuer, server: FakeAuthServer
) -> None:
    flows = make_flows(http_timeout=0.3)
    server.keys_mode = "hang"
    start = time.monotonic()
    with pytest.raises(JWKSUnavailableError) as info:
        flows.validate_token(issuer.token())
    assert time.monotonic() - start < 2.0
    assert "timed out" in str(info.value)


# --- refused responses keep the previous set (item 14) ------------------------------------------


def _small_key_jwks() -> dict[str, Any]:
    return {"keys": [jwk_of(rsa_key("small", 1024), "k1")]}


REFUSED_DOCUMENTS: dict[str, Callable[[Issuer], Any]] = {
    "no-keys": lambda i: {"keys": []},
    "keys-not-a-list": lambda i: {"keys": {"k1": {}}},
    "rsa-1024": lambda i: _small_key_jwks(),
    "alg-rs384": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1", alg="RS384")]},
    "use-enc": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1", use="enc")]},
    "key-ops-sign": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1", key_ops=["sign"])]},
    "kty-oct": lambda i: {"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]},
    "private-key": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1", d="AQAB")]},
    "bad-modulus": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1", n="!!!")]},
    "no-kid": lambda i: {
        "keys": [{k: v for k, v in jwk_of(i.keys["k1"], "k1").items() if k != "kid"}]
    },
    "duplicate-kid": lambda i: {"keys": [jwk_of(i.keys["k1"], "k1"), jwk_of(i.keys["k2"], "k1")]},
    "51-keys": lambda i: {"keys": [jwk_of(i.keys["k1"], f"k{n}") for n in range(51)]},
    "array": lambda i: b"[]",
    "truncated": lambda i: b'{"keys": [',
}


@pytest.mark.parametrize("name", list(REFUSED_DOCUMENTS))
def test_refused_document_keeps_the_previous_set(
    name: str, flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    token = issuer.token()
    assert flows.validate_access_token(token)
    keyset = flows._auth_jwks.keyset
    server.set_jwks(REFUSED_DOCUMENTS[name](issuer))
    clock.advance(TTL)
    assert flows.validate_access_token(token)
    assert server.count("/keys") == 2
    assert flows._auth_jwks.keyset is keyset


@pytest.mark.parametrize("name", list(REFUSED_DOCUMENTS))
def test_refused_document_on_first_fetch_is_jwks_unavailable(
    name: str, flows: AuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.set_jwks(REFUSED_DOCUMENTS[name](issuer))
    with pytest.raises(JWKSUnavailableError):
        flows.validate_token(issuer.token())


@pytest.mark.parametrize("mode", ["redirect", "junk", "oversized", "not_object", "fail"])
def test_refused_response_keeps_the_previous_set(
    mode: str, flows: AuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    token = issuer.token()
    assert flows.validate_access_token(token)
    keyset = flows._auth_jwks.keyset
    server.keys_mode = mode
    clock.advance(TTL)
    assert flows.validate_access_token(token)
    assert flows._auth_jwks.keyset is keyset
    assert server.count("/keys") == 2
    assert server.count("/keys2") == 0  # the redirect was not followed


def test_unusable_keys_are_skipped_not_the_set(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.set_jwks(
        {
            "keys": [
                jwk_of(issuer.keys["k1"], "k1"),
                jwk_of(issuer.keys["k2"], "k2", alg="RS384"),
                {"kty": "RSA", "kid": "k3", "n": "bad", "e": "AQAB"},
                "not an object",
            ]
        }
    )
    assert flows.validate_access_token(issuer.token(kid="k1"))
    with pytest.raises(KeyNotFoundError):
        flows.validate_token(issuer.token(kid="k2"))
    assert set(flows._auth_jwks.keyset.keys) == {"k1"}  # type: ignore[union-attr]


def test_key_without_alg_member_is_usable(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.set_jwks({"keys": [jwk_of(issuer.keys["k1"], "k1", alg=None, use=None)]})
    assert flows.validate_access_token(issuer.token())


def test_es256_when_configured(
    make_flows: Callable[..., AuthFlows], issuer: Issuer, server: FakeAuthServer
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    p384 = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1()).public_key(), as_dict=True)
    server.set_jwks({"keys": [{**jwk, "kid": "e1"}, {**p384, "kid": "e2"}]})
    flows = make_flows(algorithms=("ES256",))
    claims = issuer.claims()
    assert flows.validate_access_token(
        jwt.encode(claims, key, algorithm="ES256", headers={"kid": "e1"})
    )
    with pytest.raises(KeyNotFoundError):  # a P-384 key cannot verify ES256
        flows.validate_token(jwt.encode(claims, key, algorithm="ES256", headers={"kid": "e2"}))
    with pytest.raises(TokenValidationError):
        flows.validate_token(issuer.token())  # RS256 is not allowed in this configuration
    other = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims, other, algorithm="ES256", headers={"kid": "e1"})
    with pytest.raises(InvalidSignatureError):
        flows.validate_token(forged)


@pytest.mark.parametrize("bad", [(), ("none",), ("HS256",), ("RS256", "HS512"), ("rs256",)])
def test_symmetric_or_unknown_algorithms_cannot_be_configured(
    config: AuthConfig, bad: tuple[str, ...]
) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError):
        replace(config, algorithms=bad)


# --- single-flight ------------------------------------------------------------------------------


def test_concurrent_threads_share_one_fetch(
    flows: AuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    n = 16
    gate = threading.Event()
    server.keys_gate = gate
    barrier = threading.Barrier(n)
    tokens = [issuer.token(jti=f"t{i}") for i in range(n)]
    results: list[bool] = [False] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = flows.validate_access_token(tokens[i])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: flows._auth_jwks.waiters == n - 1)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert all(results)
    assert server.count("/keys") == 1
    assert flows._auth_jwks.fetch_count == 1


async def test_concurrent_tasks_share_one_fetch(
    aflows: AsyncAuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    n = 16
    gate = threading.Event()
    server.keys_gate = gate
    start = asyncio.Event()
    tokens = [issuer.token(jti=f"t{i}") for i in range(n)]

    async def worker(token: str) -> bool:
        await start.wait()
        return await aflows.validate_access_token(token)

    tasks = [asyncio.create_task(worker(token)) for token in tokens]
    await asyncio.sleep(0)
    start.set()
    await asyncio.to_thread(_wait_until, lambda: aflows._auth_jwks.waiters == n - 1)
    gate.set()
    assert await asyncio.gather(*tasks) == [True] * n
    assert server.count("/keys") == 1


async def test_cancelled_waiters_do_not_cancel_the_shared_fetch(
    aflows: AsyncAuthFlows, issuer: Issuer, server: FakeAuthServer
) -> None:
    gate = threading.Event()
    server.keys_gate = gate
    leader = asyncio.create_task(aflows.validate_access_token(issuer.token(jti="a")))
    await asyncio.sleep(0)
    await asyncio.to_thread(_wait_until, lambda: aflows._auth_jwks.fetch_count == 1)
    waiter = asyncio.create_task(aflows.validate_access_token(issuer.token(jti="b")))
    survivor = asyncio.create_task(aflows.validate_access_token(issuer.token(jti="c")))
    await asyncio.to_thread(_wait_until, lambda: aflows._auth_jwks.waiters == 2)
    leader.cancel()
    waiter.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert await survivor is True
    for task in (leader, waiter):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert aflows._auth_jwks.keyset is not None
    assert server.count("/keys") == 1
    assert await aflows.validate_access_token(issuer.token(jti="d"))
    assert server.count("/keys") == 1


async def test_async_stale_window_and_unknown_kid_storm(
    aflows: AsyncAuthFlows, issuer: Issuer, server: FakeAuthServer, clock: Clock
) -> None:
    token = issuer.token(exp=NOW + 10 * 3600)
    assert await aflows.validate_access_token(token)
    clock.advance(COOLDOWN)
    for _ in range(200):
        with pytest.raises(KeyNotFoundError):
            await aflows.validate_token(_random_kid_token(issuer))
    assert server.count("/keys") == 2
    server.keys_mode = "fail"
    clock.advance(TTL)
    assert await aflows.validate_access_token(token)
    clock.advance(MAX_STALE)
    with pytest.raises(JWKSUnavailableError):
        await aflows.validate_access_token(token)


def test_threads_and_tasks_together_share_one_fetch(
    config: AuthConfig, issuer: Issuer, server: FakeAuthServer
) -> None:
    """A sync and an async front-end over one cache (as a client pair sharing state would)."""
    flows = AuthFlows(config)
    aflows = AsyncAuthFlows(config)
    aflows._auth_jwks = flows._auth_jwks  # share the key cache
    gate = threading.Event()
    server.keys_gate = gate
    results: list[bool] = []

    def sync_worker() -> None:
        results.append(flows.validate_access_token(issuer.token(jti="sync")))

    async def async_side() -> list[bool]:
        tasks = [aflows.validate_access_token(issuer.token(jti=f"a{i}")) for i in range(8)]
        return await asyncio.gather(*tasks)

    threads = [threading.Thread(target=sync_worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    loop_result: list[list[bool]] = []
    runner = threading.Thread(target=lambda: loop_result.append(asyncio.run(async_side())))
    runner.start()
    _wait_until(lambda: flows._auth_jwks.waiters == 15)
    gate.set()
    for thread in [*threads, runner]:
        thread.join(10)
    assert results == [True] * 8
    assert loop_result == [[True] * 8]
    assert server.count("/keys") == 1


def test_fetch_started_by_a_loop_that_closes_still_completes(
    config: AuthConfig, issuer: Issuer, server: FakeAuthServer
) -> None:
    aflows = AsyncAuthFlows(config)
    gate = threading.Event()
    server.keys_gate = gate

    async def give_up_early() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aflows.validate_access_token(issuer.token()), 0.05)

    asyncio.run(give_up_early())  # the loop that led the fetch is gone
    assert aflows._auth_jwks.fetch_count == 1
    gate.set()
    _wait_until(lambda: aflows._auth_jwks.keyset is not None)
    assert asyncio.run(aflows.validate_access_token(issuer.token(jti="later")))
    assert server.count("/keys") == 1
