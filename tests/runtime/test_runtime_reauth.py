"""Re-auth: only UNAUTHENTICATED is resent, exactly once, after one compare-and-refresh."""

from __future__ import annotations

import threading

import grpc
import pytest
from _runtime_harness import DomainServicer, Driver, TokenEndpoint, fail, ok

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(15)


def test_401_once_refreshes_and_resends_once(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.script.extend([fail(grpc.StatusCode.UNAUTHENTICATED, "expired"), ok("dom_2")])
    response = driver.call(driver.client())
    assert response.domain.id == "dom_2"
    assert servicer.attempts == 2
    assert endpoint.requests == 2  # the first token and exactly one refresh
    assert servicer.tokens_seen() == ["tok-1", "tok-2"]


def test_token_rejected_by_the_server_is_replaced(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.token_ok = lambda token: token != "tok-1"
    client = driver.client()
    driver.call(client)
    driver.call(client)  # the refreshed token is cached: no new request
    assert servicer.tokens_seen() == ["tok-1", "tok-2", "tok-2"]
    assert endpoint.requests == 2


def test_401_always_gives_two_attempts_then_unauthenticated(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.default = fail(grpc.StatusCode.UNAUTHENTICATED, "no")
    with pytest.raises(errors.UnauthenticatedError) as info:
        driver.call(driver.client())
    assert servicer.attempts == 2
    assert endpoint.requests == 2
    assert info.value.http_status == 401
    assert isinstance(info.value.__cause__, grpc.RpcError)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (grpc.StatusCode.UNAVAILABLE, errors.UnavailableError),
        (grpc.StatusCode.INTERNAL, errors.InternalError),
        (grpc.StatusCode.PERMISSION_DENIED, errors.PermissionDeniedError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, errors.DeadlineExceededError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
        (grpc.StatusCode.NOT_FOUND, errors.NotFoundError),
    ],
)
def test_other_codes_are_raised_after_one_attempt(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    code: grpc.StatusCode,
    error: type[errors.ApiError],
) -> None:
    servicer.default = fail(code, "boom")
    with pytest.raises(error) as info:
        driver.call(driver.client())
    assert type(info.value) is error
    assert info.value.grpc_code is code
    assert servicer.attempts == 1
    assert endpoint.requests == 1


def test_concurrent_401s_cause_one_refresh(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    n = 20
    servicer.token_ok = lambda token: token != "tok-1"
    # Every caller is rejected with tok-1 before any of them can refresh it.
    servicer.reject_barrier = threading.Barrier(n)
    results = driver.gather(driver.client(), n)
    assert [type(r).__name__ for r in results] == ["GetDomainResponse"] * n
    assert endpoint.requests == 2
    assert servicer.attempts == 2 * n
    assert sorted(servicer.tokens_seen()) == ["tok-1"] * n + ["tok-2"] * n


def test_late_401s_reuse_the_refreshed_token(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    """Compare-and-refresh: callers rejected with tok-1 *after* it was replaced fetch nothing."""
    n = 20
    servicer.token_ok = lambda token: token != "tok-1"
    servicer.reject_barrier = threading.Barrier(n)
    servicer.stagger_rejections = True  # 19 rejections arrive once tok-2 is in use
    results = driver.gather(driver.client(), n)
    assert [type(r).__name__ for r in results] == ["GetDomainResponse"] * n
    assert endpoint.requests == 2
    assert servicer.attempts == 2 * n


def test_failed_refresh_raises_the_authentication_error(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    servicer.token_ok = lambda token: token != "tok-1"
    endpoint.modes.append("ok")
    endpoint.mode = "status"
    endpoint.status = 401
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(driver.client())
    assert info.value.status_code == 401
    assert servicer.attempts == 1
    assert endpoint.requests == 2
