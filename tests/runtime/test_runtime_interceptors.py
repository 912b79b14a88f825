"""Caller interceptors run inside the pipeline: on every attempt, with the pipeline's headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio
import pytest
from _runtime_harness import DomainServicer, Driver, fail

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(10)


class Recorder:
    def __init__(self) -> None:
        self.attempts: list[dict[str, Any]] = []

    def record(self, details: Any) -> Any:
        metadata = dict(details.metadata or ())
        self.attempts.append(metadata)
        extra = (*tuple(details.metadata or ()), ("x-intercepted", "1"))
        return details._replace(metadata=extra)


class SyncInterceptor(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return continuation(self.recorder.record(details), request)


class AsyncInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self.recorder.record(details), request)


def _client(driver: Driver, recorder: Recorder) -> Any:
    cls = SyncInterceptor if driver.kind == "sync" else AsyncInterceptor
    return driver.client(interceptors=[cls(recorder)])


def test_interceptor_sees_every_attempt_with_the_headers(
    driver: Driver, servicer: DomainServicer
) -> None:
    recorder = Recorder()
    servicer.token_ok = lambda token: token != "tok-1"
    response = driver.call(_client(driver, recorder))
    assert response.domain.id == "dom_1"
    assert [a["authorization"] for a in recorder.attempts] == ["Bearer tok-1", "Bearer tok-2"]
    assert all(a["x-api-version"] == "20260226" for a in recorder.attempts)
    assert [call.header("x-intercepted") for call in servicer.calls] == [["1"], ["1"]]


def test_errors_through_an_interceptor_are_translated(
    driver: Driver, servicer: DomainServicer
) -> None:
    servicer.default = fail(grpc.StatusCode.NOT_FOUND, "nope")
    with pytest.raises(errors.NotFoundError) as info:
        driver.call(_client(driver, Recorder()))
    assert not isinstance(info.value, grpc.RpcError)
    assert servicer.attempts == 1
