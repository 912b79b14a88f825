"""The one path every RPC takes: metadata -> deadline -> re-auth retry -> error translation.

The clients wrap their gRPC channel in a *pipeline channel* (`PipelineChannel`, or
`AsyncPipelineChannel` over grpc.aio): a real `grpc.Channel` whose unary-unary multicallables run
`Invoker.invoke`. Generated stubs built on it, our service classes and the ``client.stubs``
accessor therefore all get the same pipeline, and nothing else in the package touches a gRPC
call object.

Per call, in this order:

1. ``timeout``: `DEFAULT` means the client's default (10 s), ``None`` no deadline, a number that
   many seconds. It becomes one monotonic deadline for the whole call: the token wait, the first
   attempt, the refresh after a 401 and the resend all share it. A deadline already past (a
   timeout of zero or less) raises `DeadlineExceededError` before any I/O; NaN and infinity are
   refused (``None`` is the way to say "no deadline").
2. Metadata: ``authorization`` plus the static ``x-api-version``/``x-sdk-version`` pairs, built
   once per token, then the caller's metadata appended.
3. Re-auth: only on UNAUTHENTICATED and only once; the refresh asks for a token other than the
   rejected one, so concurrent 401s share one token request. Every other status is raised after
   exactly one attempt.
4. Errors: `grpc.RpcError` becomes the `ApiError` subclass for its code (`errors.py`), with the
   original error as ``__cause__``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio

from scalekit_grpc._config import MAX_TIMEOUT, ClientConfig
from scalekit_grpc._credentials import AccessToken, AsyncTokenSource, TokenSource
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import (
    ClientClosedError,
    ClientSecretRequiredError,
    DeadlineExceededError,
    translate_rpc_error,
)

_log = logging.getLogger("scalekit_grpc.pipeline")
_UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
_STREAMING_UNSUPPORTED = "the Scalekit v1 services are unary; streaming RPCs are not supported"


# ValidateToken answers UNAUTHENTICATED for the *API token* it was asked about, not for our
# access token: re-authenticating there would throw away a good access token (and send a token
# request) for every bogus API token someone presents. Expiry of our own token is handled by the
# proactive refresh; the next call of any other method re-authenticates if it was revoked.
NO_REAUTH_METHODS = frozenset({"/scalekit.v1.tokens.ApiTokenService/ValidateToken"})
_METADATA_KEY = re.compile(r"[0-9a-z_.-]+\Z")
_RESERVED_KEYS = frozenset({"authorization", "x-api-version", "x-sdk-version", "user-agent"})


def _deadline(timeout: Timeout, default: float | None) -> float | None:
    """The call's monotonic deadline; a timeout of zero or less is already past.

    Raises:
        TypeError: ``timeout`` is not a number, None or `DEFAULT`.
        ValueError: ``timeout`` is NaN, infinite or beyond `MAX_TIMEOUT` (``None`` means no
            deadline).
    """
    if timeout is DEFAULT:
        timeout = default
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError("timeout must be a number of seconds, None or DEFAULT")
    if not math.isfinite(timeout) or timeout > MAX_TIMEOUT:
        raise ValueError(
            f"timeout must be a finite number of seconds up to {MAX_TIMEOUT:.0e}; "
            "pass None for no deadline"
        )
    return time.monotonic() + float(timeout)


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceededError("deadline exceeded before the request could be sent")
    return remaining


def caller_metadata(metadata: Metadata | None) -> tuple[tuple[str, str | bytes], ...]:
    """The caller's metadata as a tuple of checked pairs (it is sent again on a resend).

    Raises:
        TypeError: not a sequence of (key, value) pairs, or a value of the wrong type.
        ValueError: a key gRPC would refuse (or one the client sets itself), or a text value
            with characters a header cannot carry. Values never appear in the message.
    """
    if not metadata:
        return ()
    if isinstance(metadata, str | bytes) or hasattr(metadata, "keys"):
        raise TypeError("metadata must be a sequence of (key, value) pairs, not a mapping")
    pairs: list[tuple[str, str | bytes]] = []
    for pair in metadata:
        if isinstance(pair, str | bytes) or len(pair) != 2:
            raise TypeError("metadata must be a sequence of (key, value) pairs")
        key, value = pair
        if not isinstance(key, str) or not _METADATA_KEY.match(key) or key.startswith("grpc-"):
            raise ValueError(
                f"metadata key {key!r} is invalid: use lowercase ASCII letters, digits, "
                "'-', '_' and '.', not starting with 'grpc-'"
            )
        if key in _RESERVED_KEYS:
            raise ValueError(f"metadata key {key!r} is set by the client itself")
        if key.endswith("-bin"):
            if not isinstance(value, bytes):
                raise TypeError(f"the value of binary metadata key {key!r} must be bytes")
        elif not isinstance(value, str):
            raise TypeError(f"the value of metadata key {key!r} must be a str")
        elif not value.isascii() or not value.isprintable():
            raise ValueError(f"the value of metadata key {key!r} must be printable ASCII")
        pairs.append((key, value))
    return tuple(pairs)


def _status_code(exc: grpc.RpcError) -> object:
    code = getattr(exc, "code", None)
    try:
        return code() if callable(code) else None
    except Exception:  # a half-built RpcError (from an interceptor) has no usable code
        return None


class _InvokerBase:
    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self.closed = False

    def _check_usable(self) -> None:
        if self.closed:
            raise ClientClosedError("the client is closed")
        if self._config.client_secret is None:
            raise ClientSecretRequiredError(
                "a client secret is required for management RPCs; construct the client with one"
            )

    def _closed_error(self) -> ClientClosedError:
        return ClientClosedError("the client was closed while the call was in progress")


class Invoker(_InvokerBase):
    """The sync choke point."""

    def __init__(self, config: ClientConfig, tokens: TokenSource) -> None:
        super().__init__(config)
        self.tokens = tokens

    def invoke(
        self,
        rpc: grpc.UnaryUnaryMultiCallable[Any, Any],
        request: Any,
        timeout: Timeout,
        metadata: Metadata | None,
        options: dict[str, Any],
        reauth: bool = True,
    ) -> Any:
        self._check_usable()
        deadline = _deadline(timeout, self._config.timeout)
        extra = caller_metadata(metadata)
        _remaining(deadline)  # an already-past deadline fails here, before any I/O
        token = self.tokens.get(deadline)
        try:
            return self._attempt(rpc, request, deadline, token, extra, options)
        except grpc.RpcError as exc:
            if not reauth or _status_code(exc) is not _UNAUTHENTICATED:
                raise translate_rpc_error(exc) from exc
        _log.debug("UNAUTHENTICATED: refreshing the access token and resending once")
        token = self.tokens.get(deadline, rejected=token)
        try:
            return self._attempt(rpc, request, deadline, token, extra, options)
        except grpc.RpcError as exc:
            raise translate_rpc_error(exc) from exc

    def _attempt(
        self,
        rpc: grpc.UnaryUnaryMultiCallable[Any, Any],
        request: Any,
        deadline: float | None,
        token: AccessToken,
        extra: tuple[tuple[str, str | bytes], ...],
        options: dict[str, Any],
    ) -> Any:
        if self.closed:
            raise self._closed_error()
        try:
            return rpc(
                request,
                timeout=_remaining(deadline),
                metadata=(*token.metadata, *extra) if extra else token.metadata,
                **options,
            )
        except ValueError:
            if self.closed:  # grpc: "Cannot invoke RPC on closed channel!"
                raise self._closed_error() from None
            raise


class AsyncInvoker(_InvokerBase):
    """The asyncio choke point; the same steps as `Invoker`, awaiting where it blocks."""

    def __init__(self, config: ClientConfig, tokens: AsyncTokenSource) -> None:
        super().__init__(config)
        self.tokens = tokens

    async def invoke(
        self,
        rpc: grpc.aio.UnaryUnaryMultiCallable[Any, Any],
        request: Any,
        timeout: Timeout,
        metadata: Metadata | None,
        options: dict[str, Any],
        reauth: bool = True,
    ) -> Any:
        self._check_usable()
        deadline = _deadline(timeout, self._config.timeout)
        extra = caller_metadata(metadata)
        _remaining(deadline)  # an already-past deadline fails here, before any I/O
        token = await self.tokens.get(deadline)
        try:
            return await self._attempt(rpc, request, deadline, token, extra, options)
        except grpc.RpcError as exc:
            if not reauth or _status_code(exc) is not _UNAUTHENTICATED:
                raise translate_rpc_error(exc) from exc
        _log.debug("UNAUTHENTICATED: refreshing the access token and resending once")
        token = await self.tokens.get(deadline, rejected=token)
        try:
            return await self._attempt(rpc, request, deadline, token, extra, options)
        except grpc.RpcError as exc:
            raise translate_rpc_error(exc) from exc

    async def _attempt(
        self,
        rpc: grpc.aio.UnaryUnaryMultiCallable[Any, Any],
        request: Any,
        deadline: float | None,
        token: AccessToken,
        extra: tuple[tuple[str, str | bytes], ...],
        options: dict[str, Any],
    ) -> Any:
        if self.closed:
            raise self._closed_error()
        try:
            return await rpc(
                request,
                timeout=_remaining(deadline),
                metadata=(*token.metadata, *extra) if extra else token.metadata,
                **options,
            )
        except grpc.RpcError:
            raise
        except Exception:
            if self.closed:  # grpc.aio: UsageError("Channel is closed.")
                raise self._closed_error() from None
            raise


_NO_OPTIONS: dict[str, Any] = {}


def _call_options(
    credentials: grpc.CallCredentials | None,
    wait_for_ready: bool | None,
    compression: grpc.Compression | None,
) -> dict[str, Any]:
    if credentials is None and wait_for_ready is None and compression is None:
        return _NO_OPTIONS  # the common case: no dict built per call
    options: dict[str, Any] = {}
    if credentials is not None:
        options["credentials"] = credentials
    if wait_for_ready is not None:
        options["wait_for_ready"] = wait_for_ready
    if compression is not None:
        options["compression"] = compression
    return options


class PipelineMultiCallable:
    """What a generated stub's method is when the stub sits on a pipeline channel.

    One class for both clients: with `AsyncInvoker` the call returns the coroutine of
    `AsyncInvoker.invoke`, to be awaited.
    """

    __slots__ = ("_invoke", "_reauth", "_rpc")

    def __init__(self, invoke: Callable[..., Any], rpc: Any, *, reauth: bool = True) -> None:
        self._invoke = invoke
        self._rpc = rpc
        self._reauth = reauth

    def __call__(
        self,
        request: Any,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        options = _call_options(credentials, wait_for_ready, compression)
        return self._invoke(self._rpc, request, timeout, metadata, options, self._reauth)


Serializer = Callable[[Any], bytes] | None
Deserializer = Callable[[bytes], Any] | None


class PipelineChannel(grpc.Channel):
    """A `grpc.Channel` whose unary calls all run through the sync pipeline."""

    def __init__(self, channel: grpc.Channel, invoker: Invoker) -> None:
        self._channel = channel
        self._invoker = invoker

    def unary_unary(  # type: ignore[override]
        self,
        method: str,
        request_serializer: Serializer = None,
        response_deserializer: Deserializer = None,
        _registered_method: bool | None = False,
    ) -> PipelineMultiCallable:
        rpc = self._channel.unary_unary(
            method,
            request_serializer=request_serializer,
            response_deserializer=response_deserializer,
            _registered_method=_registered_method,  # type: ignore[call-arg]
        )
        return PipelineMultiCallable(
            self._invoker.invoke, rpc, reauth=method not in NO_REAUTH_METHODS
        )

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def subscribe(
        self, callback: Callable[[grpc.ChannelConnectivity], None], try_to_connect: bool = False
    ) -> None:
        self._channel.subscribe(callback, try_to_connect=try_to_connect)

    def unsubscribe(self, callback: Callable[[grpc.ChannelConnectivity], None]) -> None:
        self._channel.unsubscribe(callback)

    def close(self) -> None:
        self._invoker.closed = True
        self._channel.close()

    def __enter__(self) -> PipelineChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncPipelineChannel(grpc.aio.Channel):
    """A `grpc.aio.Channel` whose unary calls all run through the asyncio pipeline."""

    def __init__(self, channel: grpc.aio.Channel, invoker: AsyncInvoker) -> None:
        self._channel = channel
        self._invoker = invoker

    def unary_unary(  # type: ignore[override]
        self,
        method: str,
        request_serializer: Serializer = None,
        response_deserializer: Deserializer = None,
        _registered_method: bool | None = False,
    ) -> PipelineMultiCallable:
        rpc = self._channel.unary_unary(
            method,
            request_serializer=request_serializer,
            response_deserializer=response_deserializer,
            _registered_method=_registered_method,  # type: ignore[call-arg]
        )
        return PipelineMultiCallable(
            self._invoker.invoke, rpc, reauth=method not in NO_REAUTH_METHODS
        )

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_STREAMING_UNSUPPORTED)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._channel.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._channel.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._channel.channel_ready()

    async def close(self, grace: float | None = None) -> None:
        self._invoker.closed = True
        await self._channel.close(grace)

    async def __aenter__(self) -> AsyncPipelineChannel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
