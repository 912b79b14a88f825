"""Client configuration: env URL and gRPC target rules, transport security, static headers.

Everything here is I/O-free and shared by the sync and asyncio clients.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import platform
import sys
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from scalekit_grpc._types import Secret
from scalekit_grpc._version import __version__
from scalekit_grpc.errors import (
    ClientIdRequiredError,
    EnvironmentUrlRequiredError,
    ScalekitError,
)

DEFAULT_API_VERSION = "20260226"
DEFAULT_TIMEOUT = 10.0
SDK_VERSION = f"Scalekit-Python-gRPC/{__version__}"
ENV_URL_VAR = "SCALEKIT_ENVIRONMENT_URL"
CLIENT_ID_VAR = "SCALEKIT_CLIENT_ID"
CLIENT_SECRET_VAR = "SCALEKIT_CLIENT_SECRET"
GRPC_TARGET_VAR = "SCALEKIT_GRPC_TARGET"

ChannelOptions = Sequence[tuple[str, object]]

# Beyond about three years gRPC's deadline arithmetic overflows; nobody means such a timeout.
MAX_TIMEOUT = 1e8

# A failed RPC's message and ErrorInfo travel in the trailers. Under gRPC's default receive
# limits (8 KiB soft, 16 KiB hard, with random rejection between the two) a server error with a
# long message or large details reaches the caller as a client-made RESOURCE_EXHAUSTED ("received
# metadata size exceeds ...") instead of its own status, and not even consistently. One limit for
# both keeps the server's status, deterministically, up to 1 MiB; `ApiError` truncates the
# message it keeps to 8 KiB.
MAX_METADATA_BYTES = 1024 * 1024

# Read-only RPCs that the optional UNAVAILABLE retry policy may resend: resending them changes
# nothing on the server. Writes are never retried automatically.
READ_ONLY_METHODS: dict[str, tuple[str, ...]] = {
    "scalekit.v1.tokens.ApiTokenService": ("ValidateToken", "ListTokens", "FetchToken"),
    "scalekit.v1.domains.DomainService": ("GetDomain", "ListDomains", "ListAuthorizedDomains"),
    "scalekit.v1.connections.ConnectionService": (
        "GetEnvironmentConnection",
        "GetConnection",
        "ListConnections",
        "ListOrganizationConnections",
        "SearchOrganizationConnections",
        "GetConnectionTestResult",
        "ListAppConnections",
        "GetConnectionContext",
    ),
    "scalekit.v1.directories.DirectoryService": (
        "GetDirectory",
        "ListDirectories",
        "ListDirectoryUsers",
        "ListDirectoryGroups",
        "ListDirectoryGroupsSummary",
        "GetDirectoryContext",
    ),
    "scalekit.v1.sessions.SessionService": ("GetSession", "GetUserSessions"),
}


class InsecureTransportError(ScalekitError, ValueError):
    """A plaintext channel to a non-loopback host was requested without ``allow_insecure``."""


@functools.cache
def user_agent() -> str:
    """``scalekit-grpc/<ver> python/<ver> grpc/<ver> (<os>; <arch>)``."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    system = (platform.system() or "unknown").lower()
    machine = platform.machine() or "unknown"
    return (
        f"scalekit-grpc/{__version__} python/{python} grpc/{grpc.__version__} ({system}; {machine})"
    )


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_target(target: str) -> str:
    """The host part of a ``host:port`` / ``[v6]:port`` / ``dns:///host:port`` target."""
    if "://" in target:
        target = target.split("://", 1)[1].lstrip("/")
    if target.startswith("["):
        return target[1 : target.index("]")] if "]" in target else target
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The resolved, immutable configuration of one client."""

    env_url: str
    client_id: str
    client_secret: Secret | None
    timeout: float | None
    api_version: str
    grpc_target: str
    use_tls: bool
    static_metadata: tuple[tuple[str, str], ...]
    user_agent: str

    def __repr__(self) -> str:
        return (
            f"ClientConfig(env_url={self.env_url!r}, client_id={self.client_id!r}, "
            f"grpc_target={self.grpc_target!r}, tls={self.use_tls})"
        )


def normalize_env_url(env_url: str) -> urllib.parse.SplitResult:
    if not isinstance(env_url, str) or not env_url.strip():
        raise EnvironmentUrlRequiredError("env_url is required, e.g. https://yourapp.scalekit.com")
    parts = urllib.parse.urlsplit(env_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnvironmentUrlRequiredError("env_url must be an http(s) URL with a host")
    return parts


def validate_timeout(timeout: float | None, name: str = "timeout") -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"{name} must be a number of seconds or None")
    if not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError(
            f"{name} must be a positive number of seconds up to {MAX_TIMEOUT:.0e}, or None"
        )
    return float(timeout)


def build_config(
    env_url: str,
    client_id: str,
    client_secret: str | None,
    *,
    timeout: float | None,
    api_version: str,
    grpc_target: str | None,
    secure: bool,
    allow_insecure: bool,
) -> ClientConfig:
    """Resolve the constructor arguments (no I/O).

    ``secure`` is true when the caller passed channel credentials (TLS whatever the URL says).
    """
    parts = normalize_env_url(env_url)
    if not isinstance(client_id, str) or not client_id:
        raise ClientIdRequiredError("client_id is required")
    if client_secret is not None and not isinstance(client_secret, str):
        raise TypeError("client_secret must be a string or None")
    if not isinstance(api_version, str) or not api_version:
        raise ValueError("api_version must be a non-empty string")
    normalized = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")
    )
    use_tls = secure or parts.scheme == "https"
    if grpc_target is None:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
        grpc_target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    elif not isinstance(grpc_target, str) or not grpc_target:
        raise ValueError("grpc_target must be a non-empty 'host:port' string")
    if not allow_insecure:
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            raise InsecureTransportError(
                "an http:// env_url is allowed only for loopback hosts; pass allow_insecure=True "
                "to send credentials in cleartext to another host"
            )
        if not use_tls and not is_loopback(_split_target(grpc_target)):
            raise InsecureTransportError(
                "a plaintext gRPC channel is allowed only to loopback hosts; pass "
                "allow_insecure=True to override"
            )
    return ClientConfig(
        env_url=normalized,
        client_id=client_id,
        client_secret=Secret(client_secret) if client_secret else None,
        timeout=validate_timeout(timeout),
        api_version=api_version,
        grpc_target=grpc_target,
        use_tls=use_tls,
        static_metadata=(("x-api-version", api_version), ("x-sdk-version", SDK_VERSION)),
        user_agent=user_agent(),
    )


def channel_options(
    config: ClientConfig, extra: ChannelOptions, *, retry_unavailable: bool
) -> list[tuple[str, object]]:
    """Channel arguments: our user agent and metadata limits first, optional retry policy, then
    the caller's own (which win: gRPC keeps the last value of a repeated argument)."""
    options: list[tuple[str, object]] = [
        ("grpc.primary_user_agent", config.user_agent),
        ("grpc.max_metadata_size", MAX_METADATA_BYTES),
        ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
    ]
    if retry_unavailable:
        options.append(("grpc.service_config", retry_service_config()))
    options.extend(extra)
    return options


def retry_service_config() -> str:
    """gRPC's own retry policy for UNAVAILABLE on read-only methods (off unless asked for).

    gRPC retries inside the call's deadline, so the one-deadline-per-call promise holds.
    """
    names = [
        {"service": service, "method": method}
        for service, methods in READ_ONLY_METHODS.items()
        for method in methods
    ]
    policy = {
        "maxAttempts": 3,
        "initialBackoff": "0.1s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": policy}]})
