"""A recording gRPC server for all five v1 services, a token endpoint, and client drivers.

* `Recorder`: every RPC of the five generated servicers lands here. It records the method, the
  request, the invocation metadata and the remaining deadline, then answers from a per-method
  handler (default: a richly filled response message, so results are worth comparing).
* `TokenEndpoint`: ``POST /oauth/token`` on a `ThreadingHTTPServer`; counts requests.
* `Services`: the five service objects of one client (sync or asyncio), built on the client's
  pipeline channel, so every call goes through auth, headers, deadline and error translation.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor, empty_pb2
from google.protobuf.message import Message
from scalekit_grpc.v1.connections import connections_pb2, connections_pb2_grpc
from scalekit_grpc.v1.directories import directories_pb2, directories_pb2_grpc
from scalekit_grpc.v1.domains import domains_pb2, domains_pb2_grpc
from scalekit_grpc.v1.sessions import sessions_pb2, sessions_pb2_grpc
from scalekit_grpc.v1.tokens import tokens_pb2, tokens_pb2_grpc

from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient
from scalekit_grpc.services import (
    AsyncConnectionsService,
    AsyncDirectoriesService,
    AsyncDomainsService,
    AsyncSessionsService,
    AsyncTokensService,
    ConnectionsService,
    DirectoriesService,
    DomainsService,
    SessionsService,
    TokensService,
)

CLIENT_ID = "skc_services_test"
CLIENT_SECRET = "services-test-secret"
ACCESS_TOKEN = "services-access-token"

# (pb2 module, pb2_grpc module, service name) of the five services.
SERVICES = (
    (tokens_pb2, tokens_pb2_grpc, "ApiTokenService"),
    (domains_pb2, domains_pb2_grpc, "DomainService"),
    (connections_pb2, connections_pb2_grpc, "ConnectionService"),
    (directories_pb2, directories_pb2_grpc, "DirectoryService"),
    (sessions_pb2, sessions_pb2_grpc, "SessionService"),
)


def all_rpcs() -> set[str]:
    """Every RPC of the five services as ``Service/Method``."""
    return {
        f"{name}/{method.name}"
        for module, _, name in SERVICES
        for method in module.DESCRIPTOR.services_by_name[name].methods
    }


# --- response filler ------------------------------------------------------------------------


def filled(cls: type[Message], depth: int = 0) -> Message:
    """An instance of ``cls`` with every singular field set (nested to two levels), so that a
    result that went through the wire and back can be compared meaningfully."""
    message = cls()
    if depth > 2:
        return message
    for field in cls.DESCRIPTOR.fields:
        if field.containing_oneof is not None and not field.has_presence:
            continue
        if field.containing_oneof is not None and field.containing_oneof.fields[0] is not field:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entries = getattr(message, field.name)
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is None:
                entries[f"{field.name}-key"] = _scalar(value_field)
            else:
                entries[f"{field.name}-key"].CopyFrom(
                    filled(_message_class(value_field), depth + 1)
                )
            continue
        if field.is_repeated:
            if field.message_type is not None:
                sub = getattr(message, field.name).add()
                sub.CopyFrom(filled(_message_class(field), depth + 1))
            elif field.type == descriptor.FieldDescriptor.TYPE_STRING:
                getattr(message, field.name).append(f"{field.name}-0")
            continue
        if field.message_type is not None:
            getattr(message, field.name).CopyFrom(filled(_message_class(field), depth + 1))
        else:
            setattr(message, field.name, _scalar(field))
    return message


def _message_class(field: descriptor.FieldDescriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(field.message_type)


def _scalar(field: descriptor.FieldDescriptor) -> Any:
    kind = field.type
    if kind == descriptor.FieldDescriptor.TYPE_STRING:
        return f"{field.name}-value"
    if kind == descriptor.FieldDescriptor.TYPE_BOOL:
        return True
    if kind == descriptor.FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values[-1].number
    if kind in (descriptor.FieldDescriptor.TYPE_DOUBLE, descriptor.FieldDescriptor.TYPE_FLOAT):
        return 1.5
    if kind == descriptor.FieldDescriptor.TYPE_BYTES:
        return b"bytes"
    return 7


# --- recording servicer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One RPC as the server saw it."""

    rpc: str
    request: Message
    metadata: dict[str, str | bytes]
    time_remaining: float | None


Handler = Callable[[Message], Message]


class Abort(Exception):
    """Raise from a handler to answer with a gRPC status."""

    def __init__(self, code: grpc.StatusCode, message: str = "scripted failure") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Recorder:
    """The state behind every servicer method: recorded calls plus per-RPC handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.handlers: dict[str, Handler] = {}
        self._responses: dict[str, type[Message]] = {}

    def reset(self) -> None:
        with self._lock:
            self.calls = []
            self.handlers = {}

    def on(self, rpc: str, handler: Handler) -> None:
        """Answer ``rpc`` (``"Service/Method"``) with ``handler(request)``."""
        assert rpc in all_rpcs(), rpc
        self.handlers[rpc] = handler

    def calls_to(self, rpc: str) -> list[Call]:
        return [call for call in self.calls if call.rpc == rpc]

    def default_response(self, rpc: str) -> Message:
        cls = self._responses[rpc]
        return cls() if cls is empty_pb2.Empty else filled(cls)

    def _serve(self, rpc: str, request: Message, context: grpc.ServicerContext) -> Message:
        metadata = {key: value for key, value in context.invocation_metadata()}
        copy = type(request)()
        copy.CopyFrom(request)
        with self._lock:
            self.calls.append(Call(rpc, copy, metadata, context.time_remaining()))
            handler = self.handlers.get(rpc)
        try:
            return handler(request) if handler else self.default_response(rpc)
        except Abort as abort:
            context.abort(abort.code, abort.message)
            raise AssertionError("unreachable") from None

    def servicers(self) -> list[tuple[Any, Callable[[Any, grpc.Server], None]]]:
        """One instance of each generated servicer, every method routed to `_serve`."""
        built = []
        for module, grpc_module, name in SERVICES:
            service = module.DESCRIPTOR.services_by_name[name]
            methods: dict[str, Any] = {}
            for method in service.methods:
                rpc = f"{name}/{method.name}"
                self._responses[rpc] = _response_class(method)
                methods[method.name] = self._method(rpc)
            base = getattr(grpc_module, f"{name}Servicer")
            cls = type(f"Recording{name}", (base,), methods)
            built.append((cls(), getattr(grpc_module, f"add_{name}Servicer_to_server")))
        return built

    def _method(self, rpc: str) -> Callable[[Any, Message, grpc.ServicerContext], Message]:
        def method(_self: Any, request: Message, context: grpc.ServicerContext) -> Message:
            return self._serve(rpc, request, context)

        return method


def _response_class(method: descriptor.MethodDescriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(method.output_type)


class GrpcServer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        for servicer, add in self.recorder.servicers():
            add(servicer, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop(grace=None).wait()


# --- token endpoint -------------------------------------------------------------------------


class TokenEndpoint:
    """``POST /oauth/token`` answering a fixed client-credentials token."""

    def __init__(self) -> None:
        self.requests = 0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                endpoint.requests += 1
                body = json.dumps(
                    {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# --- the services of one client -------------------------------------------------------------


@dataclass(frozen=True)
class Services:
    """The five services of one client; ``is_async`` says whether calls return coroutines."""

    is_async: bool
    tokens: Any
    domains: Any
    connections: Any
    directories: Any
    sessions: Any


def sync_services(client: ScalekitClient) -> Services:
    channel = client.channel
    return Services(
        False,
        TokensService(channel),
        DomainsService(channel),
        ConnectionsService(channel),
        DirectoriesService(channel),
        SessionsService(channel),
    )


def async_services(client: AsyncScalekitClient) -> Services:
    channel = client.channel
    return Services(
        True,
        AsyncTokensService(channel),
        AsyncDomainsService(channel),
        AsyncConnectionsService(channel),
        AsyncDirectoriesService(channel),
        AsyncSessionsService(channel),
    )


async def resolve(value: Any) -> Any:
    """Await ``value`` if the call was async."""
    import inspect

    return await value if inspect.isawaitable(value) else value


async def collect(pager: Any, *, pages: bool = False) -> list[Any]:
    """All items (or pages) of a sync or async pager."""
    source = pager.pages if pages else pager
    if hasattr(source, "__aiter__"):
        return [item async for item in source]
    return list(source)
