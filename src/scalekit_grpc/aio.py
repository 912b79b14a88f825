"""`AsyncScalekitClient`: the asyncio client over grpc.aio, a thin shell over the shared logic.

Same constructor, same behaviour as `ScalekitClient`; methods that do I/O are coroutines and
pagers are async iterators. Create and use it inside one running event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import grpc
import grpc.aio

from scalekit_grpc import _config, _settings
from scalekit_grpc._credentials import AsyncTokenSource
from scalekit_grpc._pipeline import AsyncInvoker, AsyncPipelineChannel
from scalekit_grpc._stubs import AsyncStubs
from scalekit_grpc.auth import AsyncAuthFlows
from scalekit_grpc.client import env_settings

if TYPE_CHECKING:
    from types import TracebackType

    from scalekit_grpc.services import (
        AsyncConnectionsService,
        AsyncDirectoriesService,
        AsyncDomainsService,
        AsyncSessionsService,
        AsyncTokensService,
    )


class AsyncScalekitClient(AsyncAuthFlows):
    """An asyncio client for the Scalekit API over gRPC.

    Takes the same arguments as `ScalekitClient` (``interceptors`` are grpc.aio client
    interceptors here). The constructor does no network I/O.
    """

    def __init__(
        self,
        env_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        timeout: float | None = _config.DEFAULT_TIMEOUT,
        api_version: str = _config.DEFAULT_API_VERSION,
        grpc_target: str | None = None,
        channel_credentials: grpc.ChannelCredentials | None = None,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        channel_options: _config.ChannelOptions = (),
        allow_insecure: bool = False,
        retry_unavailable: bool = False,
        http_timeout: float = _config.DEFAULT_TIMEOUT,
        jwks_ttl: timedelta | None = None,
        token_algorithms: Sequence[str] | None = None,
    ) -> None:
        settings = _settings.resolve(
            env_url,
            client_id,
            client_secret,
            timeout=timeout,
            api_version=api_version,
            grpc_target=grpc_target,
            secure=channel_credentials is not None,
            allow_insecure=allow_insecure,
            channel_options=channel_options,
            retry_unavailable=retry_unavailable,
            http_timeout=http_timeout,
            jwks_ttl=jwks_ttl,
            token_algorithms=token_algorithms,
        )
        self._config = settings.config
        options = settings.channel_options
        if self._config.use_tls:
            channel = grpc.aio.secure_channel(
                self._config.grpc_target,
                channel_credentials or grpc.ssl_channel_credentials(),
                options=options,
                interceptors=interceptors or None,
            )
        else:
            channel = grpc.aio.insecure_channel(
                self._config.grpc_target, options=options, interceptors=interceptors or None
            )
        self._tokens = AsyncTokenSource(self._config, http_timeout=settings.http_timeout)
        self._channel = AsyncPipelineChannel(channel, AsyncInvoker(self._config, self._tokens))
        self._closed = False
        self._init_auth(settings.auth)

    @classmethod
    def from_env(cls, **kwargs: object) -> AsyncScalekitClient:
        """Build a client from the ``SCALEKIT_*`` environment variables (see `ScalekitClient`)."""
        env_url, client_id, client_secret = env_settings(kwargs)
        return cls(env_url, client_id, client_secret, **kwargs)  # type: ignore[arg-type]

    @property
    def env_url(self) -> str:
        """The normalised environment URL (no trailing slash)."""
        return self._config.env_url

    @property
    def client_id(self) -> str:
        return self._config.client_id

    @property
    def channel(self) -> grpc.aio.Channel:
        """The pipeline channel: any generated stub built on it gets the whole pipeline."""
        return self._channel

    @cached_property
    def stubs(self) -> AsyncStubs:
        """The generated stub of each service on the pipeline channel (methods are awaitable)."""
        return AsyncStubs(self._channel)

    @cached_property
    def tokens(self) -> AsyncTokensService:
        """API tokens (coroutines; ``iter_tokens`` is an async pager)."""
        from scalekit_grpc.services.tokens import AsyncTokensService

        return AsyncTokensService(self._channel)

    @cached_property
    def domains(self) -> AsyncDomainsService:
        """Organization domains."""
        from scalekit_grpc.services.domains import AsyncDomainsService

        return AsyncDomainsService(self._channel)

    @cached_property
    def connections(self) -> AsyncConnectionsService:
        """SSO and app connections, organization- and environment-level."""
        from scalekit_grpc.services.connections import AsyncConnectionsService

        return AsyncConnectionsService(self._channel)

    @cached_property
    def directories(self) -> AsyncDirectoriesService:
        """Directory sync: directories, their users and groups."""
        from scalekit_grpc.services.directories import AsyncDirectoriesService

        return AsyncDirectoriesService(self._channel)

    @cached_property
    def sessions(self) -> AsyncSessionsService:
        """User sessions."""
        from scalekit_grpc.services.sessions import AsyncSessionsService

        return AsyncSessionsService(self._channel)

    async def close(self) -> None:
        """Close the channel. Idempotent."""
        if not self._closed:
            self._closed = True
            await self._channel.close()

    async def __aenter__(self) -> AsyncScalekitClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(env_url={self._config.env_url!r}, "
            f"client_id={self._config.client_id!r}, grpc_target={self._config.grpc_target!r})"
        )
