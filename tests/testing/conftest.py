"""Helpers for testing the mock server itself with raw generated stubs (no client library)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.rpc import status_pb2
from scalekit_grpc.v1.connections import connections_pb2_grpc
from scalekit_grpc.v1.directories import directories_pb2_grpc
from scalekit_grpc.v1.domains import domains_pb2_grpc
from scalekit_grpc.v1.errdetails import errdetails_pb2
from scalekit_grpc.v1.sessions import sessions_pb2_grpc
from scalekit_grpc.v1.tokens import tokens_pb2_grpc

from scalekit_grpc.testing import MockScalekitServer


class _Authed:
    """A generated stub whose calls carry the bearer token (and an x-api-version)."""

    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        self._stub = stub
        self._metadata = metadata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("metadata", self._metadata)
            kwargs.setdefault("timeout", 10)
            return method(request, **kwargs)

        return call


class Api:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self.token = token
        md = (("authorization", f"Bearer {token}"), ("x-api-version", "20260312"))
        self.tokens = _Authed(tokens_pb2_grpc.ApiTokenServiceStub(channel), md)
        self.domains = _Authed(domains_pb2_grpc.DomainServiceStub(channel), md)
        self.connections = _Authed(connections_pb2_grpc.ConnectionServiceStub(channel), md)
        self.directories = _Authed(directories_pb2_grpc.DirectoryServiceStub(channel), md)
        self.sessions = _Authed(sessions_pb2_grpc.SessionServiceStub(channel), md)


@pytest.fixture
def server(scalekit_server: MockScalekitServer) -> MockScalekitServer:
    """The plugin's server (reset for each test): the plugin is under test too."""
    return scalekit_server


@pytest.fixture
def channel(server: MockScalekitServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.grpc_target) as ch:
        yield ch


@pytest.fixture
def api(server: MockScalekitServer, channel: grpc.Channel) -> Api:
    return Api(channel, server.issue_access_token())


def _error_info(exc: grpc.RpcError) -> errdetails_pb2.ErrorInfo:
    """The ErrorInfo packed in the grpc-status-details-bin trailer (asserting it is there)."""
    call: Any = exc
    raw = dict(call.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    assert status.code == call.code().value[0]
    assert status.message == call.details()
    assert len(status.details) == 1
    info = errdetails_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.error_code
    assert info.request_info.request_id.startswith("req_")
    return info


class HttpReply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> HttpReply:
    """One HTTP request with urllib, never following redirects, errors returned not raised."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return HttpReply(resp.status, dict(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpReply(exc.code, dict(exc.headers.items()), exc.read())


@pytest.fixture
def error_info() -> Any:
    """``error_info(rpc_error) -> ErrorInfo``, asserting the rich status is well formed."""
    return _error_info


@pytest.fixture
def http() -> Any:
    """``http(method, url, form=..., headers=...) -> HttpReply`` (no redirects followed)."""
    return _http
