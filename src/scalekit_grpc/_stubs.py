"""The generated stubs, bound to a pipeline channel and built on first use.

``client.stubs.domains.GetDomain(request)`` runs the whole pipeline like the wrapped methods do,
so an RPC this package does not wrap yet is still authenticated, bounded and translated.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import grpc
import grpc.aio

if TYPE_CHECKING:
    from scalekit_grpc.v1.connections.connections_pb2_grpc import (
        ConnectionServiceAsyncStub,
        ConnectionServiceStub,
    )
    from scalekit_grpc.v1.directories.directories_pb2_grpc import (
        DirectoryServiceAsyncStub,
        DirectoryServiceStub,
    )
    from scalekit_grpc.v1.domains.domains_pb2_grpc import DomainServiceAsyncStub, DomainServiceStub
    from scalekit_grpc.v1.sessions.sessions_pb2_grpc import (
        SessionServiceAsyncStub,
        SessionServiceStub,
    )
    from scalekit_grpc.v1.tokens.tokens_pb2_grpc import (
        ApiTokenServiceAsyncStub,
        ApiTokenServiceStub,
    )


class Stubs:
    """One generated stub per service (the same object on every access).

    With the asyncio client, the stubs' methods return awaitables.
    """

    def __init__(self, channel: grpc.Channel | grpc.aio.Channel) -> None:
        self._channel = channel

    @cached_property
    def tokens(self) -> ApiTokenServiceStub:
        from scalekit_grpc.v1.tokens.tokens_pb2_grpc import ApiTokenServiceStub

        return ApiTokenServiceStub(self._channel)

    @cached_property
    def domains(self) -> DomainServiceStub:
        from scalekit_grpc.v1.domains.domains_pb2_grpc import DomainServiceStub

        return DomainServiceStub(self._channel)

    @cached_property
    def connections(self) -> ConnectionServiceStub:
        from scalekit_grpc.v1.connections.connections_pb2_grpc import ConnectionServiceStub

        return ConnectionServiceStub(self._channel)

    @cached_property
    def directories(self) -> DirectoryServiceStub:
        from scalekit_grpc.v1.directories.directories_pb2_grpc import DirectoryServiceStub

        return DirectoryServiceStub(self._channel)

    @cached_property
    def sessions(self) -> SessionServiceStub:
        from scalekit_grpc.v1.sessions.sessions_pb2_grpc import SessionServiceStub

        return SessionServiceStub(self._channel)


class AsyncStubs(Stubs):
    """`Stubs` for the asyncio client: the same objects, typed as the generated async stubs."""

    if TYPE_CHECKING:

        @cached_property
        def tokens(self) -> ApiTokenServiceAsyncStub: ...

        @cached_property
        def domains(self) -> DomainServiceAsyncStub: ...

        @cached_property
        def connections(self) -> ConnectionServiceAsyncStub: ...

        @cached_property
        def directories(self) -> DirectoryServiceAsyncStub: ...

        @cached_property
        def sessions(self) -> SessionServiceAsyncStub: ...
