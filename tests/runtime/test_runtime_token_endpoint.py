"""Token-endpoint failures become typed errors after exactly one request; no RPC is attempted."""

from __future__ import annotations

import socket
import time

import pytest
from _runtime_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    DomainServicer,
    Driver,
    FakeClock,
    TokenEndpoint,
)

from scalekit_grpc import errors
from scalekit_grpc._credentials import FAILURE_BACKOFF

pytestmark = pytest.mark.timeout(15)


def test_invalid_client_is_an_authentication_error(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.mode = "status"
    endpoint.status = 401
    client = driver.client()
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(client)
    assert type(info.value) is errors.AuthenticationError
    assert info.value.status_code == 401
    assert "invalid_client" in info.value.body
    assert endpoint.requests == 1  # no retry loop
    assert servicer.attempts == 0


@pytest.mark.parametrize("status", [400, 403, 429, 500, 502, 503, 307])
def test_error_statuses_carry_status_and_body(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, status: int
) -> None:
    endpoint.mode = "status"
    endpoint.status = status
    endpoint.body = b"upstream says no " + b"x" * 20_000
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(driver.client())
    assert info.value.status_code == status
    assert info.value.body.startswith("upstream says no")
    assert len(info.value.body) < 9 * 1024  # truncated
    assert endpoint.requests == 1
    assert servicer.attempts == 0


def test_malformed_json_is_an_authentication_error(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.mode = "malformed"
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(driver.client())
    assert type(info.value) is errors.AuthenticationError
    assert info.value.status_code == 200
    assert endpoint.requests == 1
    assert servicer.attempts == 0


def test_2xx_without_access_token(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.mode = "no_token"
    with pytest.raises(errors.AuthenticationResponseMissingAccessTokenError) as info:
        driver.call(driver.client())
    assert isinstance(info.value, errors.AuthenticationError)
    assert endpoint.requests == 1
    assert servicer.attempts == 0


def test_hung_endpoint_fails_at_the_call_deadline(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.mode = "hang"
    client = driver.client(http_timeout=30.0)
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError):
        driver.call(client, timeout=0.5)
    assert 0.49 <= time.monotonic() - start < 2.0
    assert endpoint.requests == 1
    assert servicer.attempts == 0


def test_hung_endpoint_fails_at_the_http_timeout(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.mode = "hang"
    start = time.monotonic()
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(driver.client(http_timeout=0.3), timeout=10.0)
    assert 0.29 <= time.monotonic() - start < 2.0
    assert info.value.status_code is None
    assert servicer.attempts == 0


def test_unreachable_endpoint(driver: Driver, servicer: DomainServicer) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = driver.client(f"http://127.0.0.1:{port}", CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(client)
    assert info.value.status_code is None
    assert servicer.attempts == 0


def test_a_failed_fetch_is_remembered_for_a_short_backoff(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    clock = FakeClock()
    endpoint.modes.append("status")
    endpoint.status = 503
    client = driver.client()
    client._tokens._clock = clock
    with pytest.raises(errors.AuthenticationError):
        driver.call(client)
    clock.advance(FAILURE_BACKOFF * 0.9)
    # Inside the backoff: the same error at once, and the endpoint is left alone.
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(client)
    assert info.value.status_code == 503
    assert endpoint.requests == 1
    clock.advance(FAILURE_BACKOFF * 0.2)
    driver.call(client)
    assert endpoint.requests == 2
    assert servicer.tokens_seen() == ["tok-2"]


def test_a_failing_background_refresh_is_not_retried_on_every_call(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    clock = FakeClock()
    endpoint.expires_in = 100  # refresh margin: 50 s
    client = driver.client()
    client._tokens._clock = clock
    driver.call(client)
    endpoint.mode, endpoint.status = "status", 503
    clock.advance(60)  # stale: every call now wants a background refresh
    driver.call(client)
    driver.settle(client)  # the refresh failed
    for _ in range(10):
        driver.call(client)  # the stale token still works; no new refresh in the backoff
    assert endpoint.requests == 2
    clock.advance(FAILURE_BACKOFF)
    driver.call(client)
    driver.settle(client)
    assert endpoint.requests == 3
    assert servicer.tokens_seen() == ["tok-1"] * 13
