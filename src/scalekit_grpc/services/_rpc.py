"""What every service module shares: the precondition check and the typed hand-off to a stub.

The services receive the client's pipeline channel, build the generated stubs on it and call
them through `unary` / `unary_async`, passing the caller's ``timeout`` (which may be `DEFAULT`)
and ``metadata`` straight through: the pipeline owns deadlines, auth, headers and error
translation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from google.protobuf import struct_pb2

from scalekit_grpc._types import Metadata, Timeout
from scalekit_grpc.errors import PreconditionError

if TYPE_CHECKING:
    import grpc
    import grpc.aio

Context: TypeAlias = "struct_pb2.Struct | Mapping[str, Any]"
"""A connection or directory context: a `Struct`, or a JSON-like mapping converted to one."""

ReqT = TypeVar("ReqT")
RespT = TypeVar("RespT")


def require(value: str, error: type[PreconditionError], name: str) -> str:
    """``value`` if non-empty, else raise ``error`` (before any I/O)."""
    if not value:
        raise error(f"{name} is required and must be a non-empty string")
    return value


def unary(
    method: grpc.UnaryUnaryMultiCallable[ReqT, RespT],
    request: ReqT,
    timeout: Timeout,
    metadata: Metadata | None,
) -> RespT:
    """Call a stub method of a pipeline channel.

    grpc's type stubs know only ``float | None`` timeouts and tuple metadata; the pipeline's
    multicallables also take `DEFAULT` and any sequence of pairs, hence the widened view.
    """
    call: Callable[..., RespT] = method
    return call(request, timeout=timeout, metadata=metadata)


async def unary_async(
    method: grpc.aio.UnaryUnaryMultiCallable[ReqT, RespT],
    request: ReqT,
    timeout: Timeout,
    metadata: Metadata | None,
) -> RespT:
    """`unary` for the asyncio pipeline channel."""
    call: Callable[..., Awaitable[RespT]] = method
    return await call(request, timeout=timeout, metadata=metadata)


def to_struct(value: Context) -> struct_pb2.Struct:
    """A `Struct` from a `Struct` (copied) or a JSON-like mapping.

    Raises:
        TypeError: a value that cannot be represented in a Struct (sets, objects...).
        ValueError: a float that is not finite, and similar protobuf rejections.
    """
    struct = struct_pb2.Struct()
    if isinstance(value, struct_pb2.Struct):
        struct.CopyFrom(value)
    elif isinstance(value, Mapping):
        struct.update(value)
    else:
        raise TypeError(f"context must be a Struct or a mapping, not {type(value).__name__}")
    return struct
