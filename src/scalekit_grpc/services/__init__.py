"""The service surface: one sync and one asyncio class per Scalekit v1 service.

Each class is built on the client's pipeline channel and only builds requests and unwraps
responses; auth, headers, deadlines, the re-auth retry and error translation happen in the
pipeline. The clients expose them as ``client.tokens``, ``client.domains``,
``client.connections``, ``client.directories`` and ``client.sessions``.
"""

from scalekit_grpc.services.connections import AsyncConnectionsService, ConnectionsService
from scalekit_grpc.services.directories import AsyncDirectoriesService, DirectoriesService
from scalekit_grpc.services.domains import AsyncDomainsService, DomainsService
from scalekit_grpc.services.sessions import AsyncSessionsService, SessionsService
from scalekit_grpc.services.tokens import AsyncTokensService, TokensService

__all__ = [
    "AsyncConnectionsService",
    "AsyncDirectoriesService",
    "AsyncDomainsService",
    "AsyncSessionsService",
    "AsyncTokensService",
    "ConnectionsService",
    "DirectoriesService",
    "DomainsService",
    "SessionsService",
    "TokensService",
]
