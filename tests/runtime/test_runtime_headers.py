"""Every call carries the bearer token, the static Scalekit headers and the caller's metadata."""

from __future__ import annotations

import platform
import re
import sys

import grpc
import pytest
from _runtime_harness import DomainServicer, Driver

from scalekit_grpc import __version__

pytestmark = pytest.mark.timeout(10)


def test_bearer_token_and_static_headers(driver: Driver, servicer: DomainServicer) -> None:
    client = driver.client()
    driver.call(client)
    (call,) = servicer.calls
    assert call.header("authorization") == ["Bearer tok-1"]
    assert call.header("x-api-version") == ["20260226"]
    assert call.header("x-sdk-version") == [f"Scalekit-Python-gRPC/{__version__}"]


def test_user_agent_is_well_formed(driver: Driver, servicer: DomainServicer) -> None:
    driver.call(driver.client())
    (user_agent,) = servicer.calls[0].header("user-agent")
    assert isinstance(user_agent, str)
    python = ".".join(map(str, sys.version_info[:3]))
    prefix = (
        f"scalekit-grpc/{__version__} python/{python} grpc/{grpc.__version__} "
        f"({platform.system().lower()}; {platform.machine()})"
    )
    # grpc appends its own product tokens after ours.
    assert user_agent.startswith(prefix)
    assert re.match(
        r"^scalekit-grpc/\S+ python/\d+\.\d+\.\d+ grpc/\S+ \([^;()]+; [^;()]+\)", user_agent
    )


def test_api_version_is_configurable(driver: Driver, servicer: DomainServicer) -> None:
    driver.call(driver.client(api_version="20990101"))
    assert servicer.calls[0].header("x-api-version") == ["20990101"]


def test_caller_metadata_is_kept_alongside(driver: Driver, servicer: DomainServicer) -> None:
    client = driver.client()
    caller = [("x-request-tag", "abc"), ("x-trace-bin", b"\x00\x01\xff")]
    driver.call(client, metadata=caller)
    driver.call(client)  # the caller's metadata belongs to that call only
    first, second = servicer.calls
    assert first.header("x-request-tag") == ["abc"]
    assert first.header("x-trace-bin") == [b"\x00\x01\xff"]
    assert first.header("authorization") == ["Bearer tok-1"]
    assert first.header("x-sdk-version") == second.header("x-sdk-version")
    assert second.header("x-request-tag") == []


def test_headers_are_resent_on_the_reauth_attempt(driver: Driver, servicer: DomainServicer) -> None:
    servicer.token_ok = lambda token: token != "tok-1"
    driver.call(driver.client(), metadata=[("x-request-tag", "abc")])
    first, second = servicer.calls
    assert first.header("authorization") == ["Bearer tok-1"]
    assert second.header("authorization") == ["Bearer tok-2"]
    for call in (first, second):
        assert call.header("x-request-tag") == ["abc"]
        assert call.header("x-api-version") == ["20260226"]
