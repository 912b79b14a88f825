"""The opt-in UNAVAILABLE retry: gRPC's own policy, read-only methods only, inside the deadline."""

from __future__ import annotations

import grpc
import pytest
from _runtime_harness import DomainServicer, Driver, fail, ok

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(15)
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


def test_default_makes_exactly_one_attempt(driver: Driver, servicer: DomainServicer) -> None:
    servicer.script.extend([fail(UNAVAILABLE, "down"), ok()])
    with pytest.raises(errors.UnavailableError):
        driver.call(driver.client())
    assert servicer.attempts == 1


def test_read_only_rpc_succeeds_after_one_unavailable(
    driver: Driver, servicer: DomainServicer
) -> None:
    servicer.script.extend([fail(UNAVAILABLE, "down"), ok("dom_9")])
    response = driver.call(driver.client(retry_unavailable=True))
    assert response.domain.id == "dom_9"
    assert servicer.attempts == 2


def test_retries_are_bounded(driver: Driver, servicer: DomainServicer) -> None:
    servicer.default = fail(UNAVAILABLE, "down")
    with pytest.raises(errors.UnavailableError):
        driver.call(driver.client(retry_unavailable=True))
    assert servicer.attempts == 3


def test_writes_are_never_retried(driver: Driver, servicer: DomainServicer) -> None:
    servicer.script.extend([fail(UNAVAILABLE, "down"), ok()])
    with pytest.raises(errors.UnavailableError):
        driver.call(driver.client(retry_unavailable=True), method="CreateDomain")
    assert [call.method for call in servicer.calls] == ["CreateDomain"]


@pytest.mark.parametrize("code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAUTHENTICATED])
def test_other_codes_are_not_retried_by_the_policy(
    driver: Driver, servicer: DomainServicer, code: grpc.StatusCode
) -> None:
    servicer.default = fail(code, "no")
    with pytest.raises(errors.ApiError):
        driver.call(driver.client(retry_unavailable=True))
    # UNAUTHENTICATED still gets exactly its one re-auth resend, nothing more.
    assert servicer.attempts == (2 if code is grpc.StatusCode.UNAUTHENTICATED else 1)
