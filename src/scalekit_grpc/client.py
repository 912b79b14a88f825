"""`ScalekitClient`: the sync client. It owns the channel, the token source and the services.

The constructor does no network I/O: gRPC connects lazily and the first access token is fetched
by the first RPC that needs one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

import grpc

from scalekit_grpc import _config, _settings
from scalekit_grpc._credentials import TokenSource
from scalekit_grpc._pipeline import Invoker, PipelineChannel
from scalekit_grpc._stubs import Stubs
from scalekit_grpc.auth import AuthFlows

if TYPE_CHECKING:
    from types import TracebackType

    from scalekit_grpc.services import (
        ConnectionsService,
        DirectoriesService,
        DomainsService,
        SessionsService,
        TokensService,
    )


def env_settings(kwargs: dict[str, object]) -> tuple[str, str, str | None]:
    """``(env_url, client_id, client_secret)`` from the ``SCALEKIT_*`` environment variables.

    ``SCALEKIT_GRPC_TARGET``, when set and ``grpc_target`` is not passed, goes into ``kwargs``.
    """
    target = os.environ.get(_config.GRPC_TARGET_VAR)
    if target and "grpc_target" not in kwargs:
        kwargs["grpc_target"] = target
    return (
        os.environ.get(_config.ENV_URL_VAR, ""),
        os.environ.get(_config.CLIENT_ID_VAR, ""),
        os.environ.get(_config.CLIENT_SECRET_VAR) or None,
    )


class ScalekitClient(AuthFlows):
    """A thread-safe client for the Scalekit API over gRPC.

    Args:
        env_url: Your Scalekit environment URL, e.g. ``https://yourapp.scalekit.com``.
        client_id: The API client id.
        client_secret: The API client secret; needed for every management RPC (without it they
            raise `ClientSecretRequiredError` before any I/O).
        timeout: The default deadline of each call in seconds (10 s); ``None`` for none. It
            covers the whole call: token wait, first attempt, re-auth and resend.
        api_version: The ``x-api-version`` header.
        grpc_target: ``host:port`` of the gRPC endpoint; defaults to the env URL's host and
            port (443 for https).
        channel_credentials: TLS credentials for the channel (default: system roots when the env
            URL is https).
        interceptors: Extra `grpc` client interceptors, run inside the pipeline on each attempt.
        channel_options: Extra gRPC channel arguments.
        allow_insecure: Allow plaintext to a non-loopback host (loopback is always allowed).
        retry_unavailable: Let gRPC retry UNAVAILABLE on read-only methods (up to 3 attempts,
            within the call's deadline). Off by default: by default nothing is retried except
            the one re-auth after UNAUTHENTICATED.
        http_timeout: The timeout of each token-endpoint or JWKS request, in seconds.
        jwks_ttl: How long a fetched JWKS is used before it is refreshed (default 5 min).
        token_algorithms: The JWS algorithms accepted when validating tokens (default
            ``("RS256",)``; asymmetric algorithms only).

    Besides the services (``client.domains`` ...), the client carries the authentication
    helpers of `AuthFlows`: ``validate_token``, ``validate_access_token``,
    ``get_access_token_claims``, ``get_authorization_url``, ``authenticate_with_code``,
    ``refresh_access_token``, ``get_logout_url``, ``verify_webhook_payload`` and the rest.

    Raises:
        EnvironmentUrlRequiredError: ``env_url`` is empty or not http(s).
        ClientIdRequiredError: ``client_id`` is empty.
        InsecureTransportError: plaintext to a non-loopback host without ``allow_insecure``.
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
        interceptors: Sequence[grpc.UnaryUnaryClientInterceptor[Any, Any]] = (),
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
            channel = grpc.secure_channel(
                self._config.grpc_target,
                channel_credentials or grpc.ssl_channel_credentials(),
                options=options,
            )
        else:
            channel = grpc.insecure_channel(self._config.grpc_target, options=options)
        if interceptors:
            channel = grpc.intercept_channel(channel, *interceptors)
        self._tokens = TokenSource(self._config, http_timeout=settings.http_timeout)
        self._channel = PipelineChannel(channel, Invoker(self._config, self._tokens))
        self._closed = False
        self._init_auth(settings.auth)

    @classmethod
    def from_env(cls, **kwargs: object) -> ScalekitClient:
        """Build a client from ``SCALEKIT_ENVIRONMENT_URL``, ``SCALEKIT_CLIENT_ID``,
        ``SCALEKIT_CLIENT_SECRET`` and (optional) ``SCALEKIT_GRPC_TARGET``; keyword arguments
        are passed to the constructor and win over the environment."""
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
    def channel(self) -> grpc.Channel:
        """The pipeline channel: any generated stub built on it gets the whole pipeline."""
        return self._channel

    @cached_property
    def stubs(self) -> Stubs:
        """The generated stub of each service, bound to the pipeline channel."""
        return Stubs(self._channel)

    # Service modules (and their generated stubs) load on first use, keeping import and
    # construction cheap for programs that only use a few services.

    @cached_property
    def tokens(self) -> TokensService:
        """API tokens: create, validate, list, update, invalidate."""
        from scalekit_grpc.services.tokens import TokensService

        return TokensService(self._channel)

    @cached_property
    def domains(self) -> DomainsService:
        """Organization domains."""
        from scalekit_grpc.services.domains import DomainsService

        return DomainsService(self._channel)

    @cached_property
    def connections(self) -> ConnectionsService:
        """SSO and app connections, organization- and environment-level."""
        from scalekit_grpc.services.connections import ConnectionsService

        return ConnectionsService(self._channel)

    @cached_property
    def directories(self) -> DirectoriesService:
        """Directory sync: directories, their users and groups."""
        from scalekit_grpc.services.directories import DirectoriesService

        return DirectoriesService(self._channel)

    @cached_property
    def sessions(self) -> SessionsService:
        """User sessions."""
        from scalekit_grpc.services.sessions import SessionsService

        return SessionsService(self._channel)

    def close(self) -> None:
        """Close the channel. Idempotent."""
        if not self._closed:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> ScalekitClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(env_url={self._config.env_url!r}, "
            f"client_id={self._config.client_id!r}, grpc_target={self._config.grpc_target!r})"
        )
