"""The loopback servers and client drivers behind the runtime tests.

* `DomainServicer`: a real `DomainServiceServicer` on a grpc server at 127.0.0.1, port 0. It
  records every call's metadata and remaining deadline and answers from a script, or checks the
  bearer token (to make re-auth and expiry happen naturally), or hangs until released.
* `TokenEndpoint`: a `ThreadingHTTPServer` serving ``POST /oauth/token`` that counts requests,
  records the form fields, issues ``tok-1``, ``tok-2``..., and fails, hangs or holds at a gate
  on demand.
* `SyncDriver` / `AsyncDriver`: one interface over `ScalekitClient` and `AsyncScalekitClient`,
  so that every behaviour is proven for both with the same test body. The asyncio client runs
  on an event loop in a dedicated thread; `AsyncDriver.gather` starts N tasks together on it.

Nothing here sleeps to order events: waits are on `threading.Condition`s with a timeout that only
bounds a failing test.
"""

from __future__ import annotations

import asyncio
import collections
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2
from scalekit_grpc.v1.domains import domains_pb2, domains_pb2_grpc
from scalekit_grpc.v1.errdetails import errdetails_pb2

from scalekit_grpc._types import DEFAULT
from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient

CLIENT_ID = "client-id"
CLIENT_SECRET = "sek-secret"
# How long a *failing* test may wait for an event before giving up (never reached when green).
WAIT = 10.0
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


def wait_until(cond: threading.Condition, predicate: Callable[[], bool], what: str) -> None:
    with cond:
        if not cond.wait_for(predicate, timeout=WAIT):
            raise AssertionError(f"timed out waiting for {what}")


class FakeClock:
    """The token clock of a client under test (``client._tokens._clock``): lifetimes and the
    failure backoff run on it, call deadlines stay on the real monotonic clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 1000.0

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


# --- gRPC -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One scripted answer: a response, or an abort with a status and optional details."""

    code: grpc.StatusCode = grpc.StatusCode.OK
    message: str = ""
    response: domains_pb2.GetDomainResponse | None = None
    error_info: errdetails_pb2.ErrorInfo | None = None
    # Extra google.protobuf.Any details placed before the ErrorInfo (foreign types).
    other_details: tuple[any_pb2.Any, ...] = ()
    # Raw bytes for grpc-status-details-bin, overriding the above (corrupt-details tests).
    details_bin: bytes | None = None


def ok(domain_id: str = "dom_1") -> Outcome:
    return Outcome(
        response=domains_pb2.GetDomainResponse(
            domain=domains_pb2.Domain(id=domain_id, domain="example.com")
        )
    )


def fail(
    code: grpc.StatusCode,
    message: str = "",
    *,
    error_info: errdetails_pb2.ErrorInfo | None = None,
    other_details: Iterable[any_pb2.Any] = (),
    details_bin: bytes | None = None,
) -> Outcome:
    return Outcome(
        code=code,
        message=message,
        error_info=error_info,
        other_details=tuple(other_details),
        details_bin=details_bin,
    )


@dataclass(frozen=True)
class RecordedCall:
    method: str
    metadata: tuple[tuple[str, str | bytes], ...]
    time_remaining: float | None  # None: the client set no deadline

    @property
    def token(self) -> str | None:
        for key, value in self.metadata:
            if key == "authorization" and isinstance(value, str):
                return value.removeprefix("Bearer ")
        return None

    def header(self, name: str) -> list[str | bytes]:
        return [value for key, value in self.metadata if key == name]


class DomainServicer(domains_pb2_grpc.DomainServiceServicer):
    """Records each call, then answers: hang, token check, script, or the default outcome."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.calls: list[RecordedCall] = []
        self.script: collections.deque[Outcome] = collections.deque()
        self.default: Outcome = ok()
        # Token check: when set, a call whose bearer token fails it gets UNAUTHENTICATED.
        self.token_ok: Callable[[str | None], bool] | None = None
        # Rejected calls wait here first, so that N callers are all rejected with one token.
        self.reject_barrier: threading.Barrier | None = None
        # Then only the first rejection is sent at once; the others wait until some call's
        # token is accepted (so they arrive after a refresh has completed).
        self.stagger_rejections = False
        self._rejections = 0
        self._accepted = threading.Event()
        self.hang = False
        self.release = threading.Event()

    def reset(self) -> None:
        self.release.set()  # free any worker still hanging from the previous test
        with self.cond:
            self.calls.clear()
            self.script.clear()
            self.default = ok()
            self.token_ok = None
            self.reject_barrier = None
            self.stagger_rejections = False
            self._rejections = 0
            self.hang = False
        self._accepted.set()
        self._accepted = threading.Event()
        self.release = threading.Event()

    @property
    def attempts(self) -> int:
        with self.cond:
            return len(self.calls)

    def tokens_seen(self) -> list[str | None]:
        with self.cond:
            return [call.token for call in self.calls]

    def wait_for_calls(self, n: int) -> None:
        wait_until(self.cond, lambda: len(self.calls) >= n, f"{n} RPC attempts")

    def _answer(self, method: str, context: grpc.ServicerContext) -> Any:
        remaining = context.time_remaining()
        call = RecordedCall(
            method=method,
            metadata=tuple((m.key, m.value) for m in context.invocation_metadata()),
            # grpc reports "no deadline" as ~2**63 seconds.
            time_remaining=None if remaining > 1e9 else remaining,
        )
        with self.cond:
            self.calls.append(call)
            self.cond.notify_all()
            hang, token_ok, barrier = self.hang, self.token_ok, self.reject_barrier
            stagger, accepted = self.stagger_rejections, self._accepted
            outcome = self.script.popleft() if self.script else self.default
            release = self.release
        if hang:
            release.wait(WAIT)
            context.abort(grpc.StatusCode.ABORTED, "released at teardown")
        if token_ok is not None:
            if token_ok(call.token):
                accepted.set()
            else:
                if barrier is not None:
                    barrier.wait(WAIT)
                with self.cond:
                    self._rejections += 1
                    first = self._rejections == 1
                if stagger and not first:
                    accepted.wait(WAIT)
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "token rejected")
        return self._apply(outcome, context)

    @staticmethod
    def _apply(outcome: Outcome, context: grpc.ServicerContext) -> Any:
        if outcome.code is grpc.StatusCode.OK:
            return outcome.response or domains_pb2.GetDomainResponse()
        details = outcome.details_bin
        if details is None and (outcome.error_info is not None or outcome.other_details):
            status = status_pb2.Status(code=outcome.code.value[0], message=outcome.message)
            status.details.extend(outcome.other_details)
            if outcome.error_info is not None:
                status.details.add().Pack(outcome.error_info)
            details = status.SerializeToString()
        if details is not None:
            context.set_trailing_metadata(((_STATUS_DETAILS_KEY, details),))
        context.abort(outcome.code, outcome.message)
        raise AssertionError("unreachable: abort raises")

    def GetDomain(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._answer("GetDomain", context)

    def CreateDomain(self, request: Any, context: grpc.ServicerContext) -> Any:
        result = self._answer("CreateDomain", context)
        return domains_pb2.CreateDomainResponse(domain=result.domain)


class GrpcServer:
    def __init__(self) -> None:
        self.servicer = DomainServicer()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=80))
        domains_pb2_grpc.add_DomainServiceServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.servicer.release.set()
        self.server.stop(grace=None).wait(WAIT)


# --- Token endpoint -------------------------------------------------------------------------


class _HttpServer(http.server.ThreadingHTTPServer):
    # The default listen backlog (5) resets connections when many clients fetch at once, which
    # only happens when the single-flight is broken; then we want a count, not a reset.
    request_queue_size = 256


class TokenEndpoint:
    """``POST /oauth/token`` on loopback (one per test); every knob is read per request."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.forms: list[dict[str, str]] = []
        self.raw_bodies: list[bytes] = []
        self.issued: dict[str, float] = {}  # token -> `clock()` when it was issued
        self.expires_in: int | None = 3600
        self.token_prefix = "tok-"
        # "ok", "status" (answer `status` with `body`), "malformed" (2xx, cut-off JSON),
        # "no_token" (2xx without access_token), "hang" (until teardown), "echo" (401 with a
        # body repeating the request, raw and JSON-escaped).
        self.mode = "ok"
        self.modes: collections.deque[str] = collections.deque()  # used first, one per request
        self.status = 401
        self.body: bytes = b'{"error":"invalid_client"}'
        self.delay = 0.0  # seconds each request takes after the gate
        self.clock: Callable[[], float] = time.monotonic
        self.gate = threading.Event()
        self.gate.set()
        self.release = threading.Event()  # ends hangs and delays at teardown
        self.server = _HttpServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def requests(self) -> int:
        with self.cond:
            return len(self.forms)

    def wait_for_requests(self, n: int) -> None:
        wait_until(self.cond, lambda: len(self.forms) >= n, f"{n} token requests")

    def hold(self) -> None:
        """Hold every token request at the gate until `open_gate`."""
        self.gate.clear()

    def open_gate(self) -> None:
        self.gate.set()

    def stop(self) -> None:
        self.release.set()
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    def _respond(self, mode: str) -> tuple[int, bytes]:
        with self.cond:
            if mode == "status":
                return self.status, self.body
            if mode == "malformed":  # cut short after the token: the body holds a secret
                token = f"{self.token_prefix}{len(self.forms)}"
                return 200, f'{{"token_type": "Bearer", "access_token": "{token}", '.encode()
            if mode == "no_token":
                return 200, b'{"token_type": "Bearer", "expires_in": 3600}'
            if mode == "echo":
                body = self.raw_bodies[-1].decode()
                form = self.forms[-1]
                echoed = {"error": "invalid_client", "request": body, "form": form}
                return 401, (body + "\n" + json.dumps(echoed)).encode()
            token = f"{self.token_prefix}{len(self.forms)}"
            self.issued[token] = self.clock()
            payload: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                payload["expires_in"] = self.expires_in
            return 200, json.dumps(payload).encode()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if self.path != "/oauth/token":
                    self._send(404, b"{}")
                    return
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                with endpoint.cond:
                    endpoint.forms.append(form)
                    endpoint.raw_bodies.append(raw)
                    endpoint.cond.notify_all()
                    gate, release = endpoint.gate, endpoint.release
                    mode = endpoint.modes.popleft() if endpoint.modes else endpoint.mode
                    delay = endpoint.delay
                gate.wait(WAIT)
                if delay:
                    release.wait(delay)  # a slow endpoint; the release only cuts it short
                if mode == "hang":
                    release.wait(WAIT)
                    return
                status, body = endpoint._respond(mode)
                self._send(status, body)

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up first

        return Handler


# --- Drivers --------------------------------------------------------------------------------


def request(domain_id: str = "dom_1") -> domains_pb2.GetDomainRequest:
    return domains_pb2.GetDomainRequest(id=domain_id, organization_id="org_1")


class Driver:
    """Builds clients and makes calls; the same interface for the sync and asyncio clients."""

    kind = "sync"

    def __init__(self, grpc_server: GrpcServer, endpoint: TokenEndpoint) -> None:
        self.grpc_server = grpc_server
        self.endpoint = endpoint
        self.clients: list[Any] = []

    def client_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("grpc_target", self.grpc_server.target)
        # Short enough that a hung endpoint never outlives a test.
        kwargs.setdefault("http_timeout", 3.0)
        return kwargs

    client_class: type[Any] = ScalekitClient

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A client on the loopback servers; ``from_env=True`` builds it with ``from_env``."""
        raise NotImplementedError

    def _build(self, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        if kwargs.pop("from_env", False):
            return self.client_class.from_env(**self.client_kwargs(**kwargs))
        return self.client_class(*_default_args(self, args), **self.client_kwargs(**kwargs))

    def call(self, client: Any, *, method: str = "GetDomain", **kwargs: Any) -> Any:
        raise NotImplementedError

    def gather(self, client: Any, n: int, **kwargs: Any) -> list[Any]:
        """N concurrent GetDomain calls released together; each result or exception."""
        raise NotImplementedError

    def settle(self, client: Any) -> None:
        """Wait until the client's token fetch in flight, if any, has finished."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _default_args(driver: Driver, args: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(args) if args else (driver.endpoint.url, CLIENT_ID, CLIENT_SECRET)


def _call_kwargs(kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    req = kwargs.pop("request", None) or request()
    kwargs.setdefault("timeout", DEFAULT)
    return req, kwargs


class SyncDriver(Driver):
    def client(self, *args: Any, **kwargs: Any) -> ScalekitClient:
        client: ScalekitClient = self._build(args, kwargs)
        self.clients.append(client)
        return client

    def call(self, client: Any, *, method: str = "GetDomain", **kwargs: Any) -> Any:
        req, kwargs = _call_kwargs(kwargs)
        if method == "CreateDomain":
            req = domains_pb2.CreateDomainRequest(organization_id="org_1")
        return getattr(client.stubs.domains, method)(req, **kwargs)

    def gather(self, client: Any, n: int, **kwargs: Any) -> list[Any]:
        barrier = threading.Barrier(n)

        def one(_: int) -> Any:
            barrier.wait(WAIT)
            try:
                return self.call(client, **dict(kwargs))
            except Exception as exc:
                return exc

        with futures.ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(one, range(n)))

    def settle(self, client: Any) -> None:
        flight = client._tokens._flight
        if flight is not None:
            flight._done.wait(WAIT)

    def close(self) -> None:
        for client in self.clients:
            client.close()


class AsyncDriver(Driver):
    """Runs the asyncio client on a private event loop in its own thread."""

    kind = "async"
    client_class = AsyncScalekitClient

    def __init__(self, grpc_server: GrpcServer, endpoint: TokenEndpoint) -> None:
        super().__init__(grpc_server, endpoint)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = WAIT) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def client(self, *args: Any, **kwargs: Any) -> AsyncScalekitClient:
        async def build() -> AsyncScalekitClient:  # grpc.aio channels belong to a loop
            client: AsyncScalekitClient = self._build(args, kwargs)
            return client

        client = self.run(build())
        self.clients.append(client)
        return client

    async def acall(self, client: Any, *, method: str = "GetDomain", **kwargs: Any) -> Any:
        req, kwargs = _call_kwargs(kwargs)
        if method == "CreateDomain":
            req = domains_pb2.CreateDomainRequest(organization_id="org_1")
        return await getattr(client.stubs.domains, method)(req, **kwargs)

    def call(self, client: Any, *, method: str = "GetDomain", **kwargs: Any) -> Any:
        return self.run(self.acall(client, method=method, **kwargs))

    def gather(self, client: Any, n: int, **kwargs: Any) -> list[Any]:
        async def all_at_once() -> list[Any]:
            # Created in one loop step: none of them runs before all exist.
            tasks = [asyncio.ensure_future(self.acall(client, **dict(kwargs))) for _ in range(n)]
            return list(await asyncio.gather(*tasks, return_exceptions=True))

        return self.run(all_at_once())

    def settle(self, client: Any) -> None:
        async def settled() -> None:
            flight = client._tokens._flight
            if flight is not None:
                await asyncio.wait([flight], timeout=WAIT)

        self.run(settled())

    def close(self) -> None:
        async def shutdown() -> None:
            for client in self.clients:
                await client.close()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self.loop.shutdown_default_executor()

        try:
            self.run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(WAIT)
            self.loop.close()
