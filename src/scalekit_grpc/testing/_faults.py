"""Request recording, fault tables and the call gate every Scalekit RPC passes through.

The gate is a server interceptor that wraps each ``/scalekit.v1.*`` handler and applies, in this
order: record the request -> injected delay -> bearer-token check -> injected failure -> the
servicer, turning any `ApiError` into a status with a packed ``ErrorInfo`` in the
``grpc-status-details-bin`` trailer. Reflection and health RPCs pass through untouched.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import grpc
from google.protobuf.message import Message
from google.rpc import status_pb2

from scalekit_grpc.testing._state import ApiError
from scalekit_grpc.v1.connections import connections_pb2
from scalekit_grpc.v1.directories import directories_pb2
from scalekit_grpc.v1.domains import domains_pb2
from scalekit_grpc.v1.errdetails import errdetails_pb2
from scalekit_grpc.v1.sessions import sessions_pb2
from scalekit_grpc.v1.tokens import tokens_pb2

if TYPE_CHECKING:
    _Interceptor = grpc.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.ServerInterceptor

_log = logging.getLogger("scalekit_grpc.testing")

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_NO_DEADLINE = 1e9  # grpcio reports ~9.2e18 seconds left when the client set no deadline

SERVICE_NAMES: tuple[str, ...] = tuple(
    service.full_name
    for module in (tokens_pb2, domains_pb2, connections_pb2, directories_pb2, sessions_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
)


def _all_methods() -> dict[str, str]:
    """Short and qualified spellings -> full method path, for every RPC of the five services."""
    table: dict[str, str] = {}
    for module in (tokens_pb2, domains_pb2, connections_pb2, directories_pb2, sessions_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                full = f"/{service.full_name}/{method.name}"
                for alias in (full, full[1:], f"{service.name}/{method.name}", method.name):
                    table[alias] = full
    return table


METHODS = _all_methods()
FULL_METHODS: frozenset[str] = frozenset(METHODS.values())


def resolve_method(method: str) -> str:
    """The full method path for ``"GetDomain"``, ``"DomainService/GetDomain"`` or the full path.

    ``"*"`` (any method) is returned as is.
    """
    if method == "*":
        return method
    try:
        return METHODS[method]
    except KeyError:
        raise ValueError(f"unknown Scalekit RPC method: {method!r}") from None


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One RPC as the mock received it (before auth and faults)."""

    method: str
    """The full method path, e.g. ``/scalekit.v1.domains.DomainService/GetDomain``."""
    request: Message
    """The deserialised request message."""
    metadata: tuple[tuple[str, str | bytes], ...]
    """The invocation metadata, in order (keys lower-case)."""
    time_remaining: float | None
    """Seconds left before the client's deadline on arrival, or ``None`` without a deadline."""

    @property
    def name(self) -> str:
        """The bare method name, e.g. ``GetDomain``."""
        return self.method.rsplit("/", 1)[-1]

    def header(self, key: str) -> str | bytes | None:
        """The first metadata value for ``key`` (case-insensitive), or ``None``."""
        key = key.lower()
        for k, v in self.metadata:
            if k == key:
                return v
        return None

    def headers(self, key: str) -> list[str | bytes]:
        """Every metadata value for ``key`` (case-insensitive), in order."""
        key = key.lower()
        return [v for k, v in self.metadata if k == key]


@dataclass(frozen=True, slots=True)
class RecordedHttpRequest:
    """One request to the mock's HTTP endpoints."""

    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    headers: Mapping[str, str]


class Recorder:
    """Bounded logs of RPCs and HTTP requests (oldest dropped first) plus per-path HTTP counts."""

    def __init__(self, max_records: int) -> None:
        self._lock = threading.Lock()
        self._rpcs: deque[RecordedRequest] = deque(maxlen=max_records)
        self._http: deque[RecordedHttpRequest] = deque(maxlen=max_records)
        self._http_counts: Counter[str] = Counter()

    def record_rpc(self, record: RecordedRequest) -> None:
        with self._lock:
            self._rpcs.append(record)

    def record_http(self, record: RecordedHttpRequest) -> None:
        with self._lock:
            self._http.append(record)
            self._http_counts[record.path] += 1

    def rpcs(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._rpcs)

    def http(self) -> list[RecordedHttpRequest]:
        with self._lock:
            return list(self._http)

    def http_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._http_counts)

    def clear(self) -> None:
        with self._lock:
            self._rpcs.clear()
            self._http.clear()
            self._http_counts.clear()


@dataclass(slots=True)
class _RpcFailure:
    code: grpc.StatusCode
    remaining: int
    message: str | None
    error_info: errdetails_pb2.ErrorInfo | None


@dataclass(slots=True)
class _HttpFailure:
    status: int
    body: bytes
    content_type: str
    remaining: int


MalformedKind = Literal["not_json", "missing_access_token", "empty"]


@dataclass(slots=True)
class FaultTable:
    """Injected RPC failures and delays, and token-endpoint faults. Thread-safe."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: dict[str, list[_RpcFailure]] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _token_failures: list[_HttpFailure] = field(default_factory=list)
    _token_delay: float = 0.0
    _token_delay_remaining: int | None = None
    _token_malformed: list[tuple[MalformedKind, int]] = field(default_factory=list)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._delays.clear()
            self._token_failures.clear()
            self._token_delay = 0.0
            self._token_delay_remaining = None
            self._token_malformed.clear()

    # RPCs

    def add_failure(
        self,
        method: str,
        code: grpc.StatusCode,
        count: int,
        message: str | None,
        error_info: errdetails_pb2.ErrorInfo | None,
    ) -> None:
        if code is grpc.StatusCode.OK:
            raise ValueError("fail_next needs an error code, not OK")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.setdefault(method, []).append(
                _RpcFailure(code, count, message, error_info)
            )

    def take_failure(self, method: str) -> _RpcFailure | None:
        """Consume one injected failure for ``method`` (exact entries before ``"*"`` ones)."""
        with self._lock:
            if not self._failures:
                return None
            for key in (method, "*"):
                queue = self._failures.get(key)
                if queue:
                    head = queue[0]
                    head.remaining -= 1
                    if head.remaining <= 0:
                        queue.pop(0)
                        if not queue:
                            del self._failures[key]
                    return head
            return None

    def set_delay(self, method: str, seconds: float | None) -> None:
        with self._lock:
            if seconds is None or seconds <= 0:
                self._delays.pop(method, None)
            else:
                self._delays[method] = float(seconds)

    def clear_delays(self) -> None:
        with self._lock:
            self._delays.clear()

    def delay_for(self, method: str) -> float:
        with self._lock:
            if not self._delays:
                return 0.0
            return self._delays.get(method, self._delays.get("*", 0.0))

    # token endpoint

    def add_token_failure(self, status: int, body: bytes, content_type: str, count: int) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._token_failures.append(_HttpFailure(status, body, content_type, count))

    def set_token_delay(self, seconds: float | None, count: int | None) -> None:
        with self._lock:
            self._token_delay = max(float(seconds or 0.0), 0.0)
            self._token_delay_remaining = count if self._token_delay else None

    def add_token_malformed(self, kind: MalformedKind, count: int) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._token_malformed.append((kind, count))

    def take_token_delay(self) -> float:
        with self._lock:
            delay = self._token_delay
            if delay and self._token_delay_remaining is not None:
                self._token_delay_remaining -= 1
                if self._token_delay_remaining <= 0:
                    self._token_delay, self._token_delay_remaining = 0.0, None
            return delay

    def take_token_failure(self) -> _HttpFailure | None:
        with self._lock:
            if not self._token_failures:
                return None
            head = self._token_failures[0]
            head.remaining -= 1
            if head.remaining <= 0:
                self._token_failures.pop(0)
            return head

    def take_token_malformed(self) -> MalformedKind | None:
        with self._lock:
            if not self._token_malformed:
                return None
            kind, remaining = self._token_malformed[0]
            if remaining <= 1:
                self._token_malformed.pop(0)
            else:
                self._token_malformed[0] = (kind, remaining - 1)
            return kind


def build_status(
    code: grpc.StatusCode,
    message: str,
    *,
    error_code: str,
    violations: tuple[tuple[str, str], ...] = (),
    resource: tuple[str, str] | None = None,
    error_info: errdetails_pb2.ErrorInfo | None = None,
) -> status_pb2.Status:
    """A ``google.rpc.Status`` with one packed ``scalekit.v1.errdetails.ErrorInfo``.

    The ErrorInfo always carries an ``error_code`` and a ``request_info.request_id``.
    """
    info = errdetails_pb2.ErrorInfo()
    if error_info is not None:
        info.CopyFrom(error_info)
    if not info.error_code:
        info.error_code = error_code
    if not info.request_info.request_id:
        info.request_info.request_id = new_request_id()
    for name, description in violations:
        constraint = "required" if description == "is required" else "valid"
        info.validation_error_info.field_violations.add(
            field=name, description=description, constraint=constraint
        )
    if resource is not None and not info.HasField("resource_info"):
        kind, ident = resource
        info.resource_info.resource_name = ident
        info.resource_info.description = kind
    status = status_pb2.Status(code=code.value[0], message=message)
    status.details.add().Pack(info)
    return status


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, status: status_pb2.Status) -> None:
    context.set_trailing_metadata(((STATUS_DETAILS_KEY, status.SerializeToString()),))
    context.abort(code, status.message)


Behavior = Callable[[Any, grpc.ServicerContext], Any]


class CallGate(_Interceptor):
    """The one path every Scalekit RPC takes through the mock (see the module docstring)."""

    def __init__(
        self,
        *,
        faults: FaultTable,
        recorder: Recorder,
        check_token: Callable[[str], str | None],
    ) -> None:
        self._faults = faults
        self._recorder = recorder
        self._check_token = check_token
        self._cache: dict[
            str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]
        ] = {}
        self._cache_lock = threading.Lock()

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method not in FULL_METHODS or handler.unary_unary is None:
            return handler
        cached = self._cache.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = grpc.unary_unary_rpc_method_handler(
            self._wrap(method, handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
        with self._cache_lock:
            self._cache[method] = (handler, wrapped)
        return wrapped

    def _auth_error(self, metadata: tuple[tuple[str, str | bytes], ...]) -> ApiError | None:
        value = next((v for k, v in metadata if k == "authorization"), None)
        if not isinstance(value, str) or not value:
            return ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing authorization metadata",
                error_code="UNAUTHENTICATED",
            )
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "authorization must be a Bearer token",
                error_code="UNAUTHENTICATED",
            )
        problem = self._check_token(token.strip())
        if problem is None:
            return None
        return ApiError(grpc.StatusCode.UNAUTHENTICATED, problem, error_code="UNAUTHENTICATED")

    def _wrap(self, method: str, inner: Behavior) -> Behavior:
        def behavior(request: Any, context: grpc.ServicerContext) -> Any:
            metadata = tuple((k, v) for k, v in context.invocation_metadata())
            remaining = context.time_remaining()
            self._recorder.record_rpc(
                RecordedRequest(
                    method=method,
                    request=request,
                    metadata=metadata,
                    time_remaining=None
                    if remaining is None or remaining > _NO_DEADLINE
                    else remaining,
                )
            )
            delay = self._faults.delay_for(method)
            if delay > 0:
                # Wakes early when the call ends (deadline, cancellation, server stop).
                done = threading.Event()
                if context.add_callback(done.set):
                    done.wait(delay)
                if not context.is_active():
                    context.abort(grpc.StatusCode.CANCELLED, "call ended while delayed")

            failure: tuple[grpc.StatusCode, status_pb2.Status] | None = None
            try:
                auth = self._auth_error(metadata)
                if auth is not None:
                    raise auth
                injected = self._faults.take_failure(method)
                if injected is not None:
                    message = injected.message or f"injected failure: {injected.code.name}"
                    status = build_status(
                        injected.code,
                        message,
                        error_code=injected.code.name,
                        error_info=injected.error_info,
                    )
                    failure = (injected.code, status)
                else:
                    return inner(request, context)
            except ApiError as exc:
                status = build_status(
                    exc.code,
                    exc.message,
                    error_code=exc.error_code,
                    violations=exc.violations,
                    resource=exc.resource,
                )
                failure = (exc.code, status)
            except Exception:
                _log.exception("mock servicer failed on %s", method)
                code = grpc.StatusCode.INTERNAL
                failure = (
                    code,
                    build_status(code, "internal error in the mock server", error_code="INTERNAL"),
                )
            _abort(context, *failure)
            return None  # unreachable: abort raises

        return behavior
