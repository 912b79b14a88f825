"""Constructor arguments to resolved settings, shared by the sync and asyncio clients (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from scalekit_grpc import _config
from scalekit_grpc.auth import AuthConfig


@dataclass(frozen=True, slots=True)
class ClientSettings:
    config: _config.ClientConfig
    channel_options: list[tuple[str, object]]
    http_timeout: float
    auth: AuthConfig


def resolve(
    env_url: str,
    client_id: str,
    client_secret: str | None,
    *,
    timeout: float | None,
    api_version: str,
    grpc_target: str | None,
    secure: bool,
    allow_insecure: bool,
    channel_options: _config.ChannelOptions,
    retry_unavailable: bool,
    http_timeout: float,
    jwks_ttl: timedelta | None,
    token_algorithms: Sequence[str] | None,
) -> ClientSettings:
    config = _config.build_config(
        env_url,
        client_id,
        client_secret,
        timeout=timeout,
        api_version=api_version,
        grpc_target=grpc_target,
        secure=secure,
        allow_insecure=allow_insecure,
    )
    http_seconds = _config.validate_timeout(http_timeout, "http_timeout")
    if http_seconds is None:
        raise ValueError("http_timeout must be a positive number of seconds")
    auth_tuning: dict[str, Any] = {}
    if jwks_ttl is not None:
        auth_tuning["jwks_ttl"] = jwks_ttl
    if token_algorithms is not None:
        auth_tuning["algorithms"] = tuple(token_algorithms)
    return ClientSettings(
        config=config,
        channel_options=_config.channel_options(
            config, channel_options, retry_unavailable=retry_unavailable
        ),
        http_timeout=http_seconds,
        auth=AuthConfig(
            env_url=config.env_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            http_timeout=http_seconds,
            allow_insecure=allow_insecure,
            **auth_tuning,
        ),
    )
