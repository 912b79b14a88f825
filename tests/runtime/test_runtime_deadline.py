"""One deadline per call: 10 s by default, covering the token wait, the attempts and the re-auth."""

from __future__ import annotations

import time

import grpc
import pytest
from _runtime_harness import DomainServicer, Driver, TokenEndpoint

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(15)


def test_default_deadline_is_ten_seconds(driver: Driver, servicer: DomainServicer) -> None:
    driver.call(driver.client())
    remaining = servicer.calls[0].time_remaining
    assert remaining is not None
    assert 9.0 < remaining <= 10.0


def test_client_default_is_configurable(driver: Driver, servicer: DomainServicer) -> None:
    driver.call(driver.client(timeout=3.0))
    remaining = servicer.calls[0].time_remaining
    assert remaining is not None
    assert 2.0 < remaining <= 3.0


def test_explicit_timeout_wins(driver: Driver, servicer: DomainServicer) -> None:
    client = driver.client()
    driver.call(client, timeout=2.5)
    driver.call(client, timeout=30)
    short, long = (call.time_remaining for call in servicer.calls)
    assert short is not None
    assert 1.5 < short <= 2.5
    # grpc-timeout on the wire is rounded up (coarser units for longer timeouts).
    assert long is not None
    assert 29.0 < long <= 30.2


def test_timeout_none_means_no_deadline(driver: Driver, servicer: DomainServicer) -> None:
    driver.call(driver.client(), timeout=None)
    driver.call(driver.client(timeout=None))
    assert [call.time_remaining for call in servicer.calls] == [None, None]


def test_hanging_server_gives_deadline_exceeded_on_time(
    driver: Driver, servicer: DomainServicer
) -> None:
    client = driver.client()
    driver.call(client)  # warm the token cache: time only the RPC
    servicer.hang = True
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError) as info:
        driver.call(client, timeout=0.3)
    elapsed = time.monotonic() - start
    assert 0.29 <= elapsed < 2.0
    assert info.value.grpc_code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert info.value.http_status == 504
    assert servicer.attempts == 2  # the warm-up and the one attempt: no retry


def test_slow_token_endpoint_eats_into_the_rpc_budget(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.delay = 0.6
    start = time.monotonic()
    driver.call(driver.client(), timeout=2.0)
    token_wait = time.monotonic() - start
    remaining = servicer.calls[0].time_remaining
    assert remaining is not None
    assert token_wait >= 0.6
    # The RPC got what was left of the one 2 s budget, not a fresh 2 s.
    assert remaining <= 2.0 - 0.6 + 0.05
    assert remaining > 0.5


def test_reauth_with_a_hung_token_endpoint_ends_at_the_deadline(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.token_ok = lambda token: token != "tok-1"
    endpoint.delay = 0.5  # the first token takes half the budget...
    endpoint.modes.append("ok")
    endpoint.mode = "hang"  # ...and the refresh after the 401 never answers
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError):
        driver.call(driver.client(http_timeout=30.0), timeout=1.0)
    elapsed = time.monotonic() - start
    # One budget: 1 s in all, not 0.5 s plus a fresh 1 s for the re-auth.
    assert 0.99 <= elapsed < 1.4
    assert servicer.attempts == 1
    assert endpoint.requests == 2


def test_reauth_refresh_and_resend_share_the_budget(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.token_ok = lambda token: token != "tok-1"
    endpoint.delay = 0.4  # each of the two token requests takes 0.4 s
    driver.call(driver.client(), timeout=3.0)
    first, second = (call.time_remaining for call in servicer.calls)
    assert first is not None
    assert second is not None
    assert first <= 3.0 - 0.4 + 0.05
    assert second <= 3.0 - 0.8 + 0.05
    assert second < first


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_past_deadline_fails_before_any_io(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, timeout: float
) -> None:
    with pytest.raises(errors.DeadlineExceededError):
        driver.call(driver.client(), timeout=timeout)
    assert endpoint.requests == 0
    assert servicer.attempts == 0


@pytest.mark.parametrize(
    ("timeout", "error"),
    [(float("nan"), ValueError), (float("inf"), ValueError), ("5", TypeError), (True, TypeError)],
)
def test_invalid_timeout_is_refused_before_any_io(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    timeout: object,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        driver.call(driver.client(), timeout=timeout)
    assert endpoint.requests == 0
    assert servicer.attempts == 0
