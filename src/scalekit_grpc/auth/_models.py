"""Configuration, option and result types of the authentication helpers (I/O free).

Options are frozen, slotted, keyword-only dataclasses that validate and normalise themselves on
construction (`TypeError` for a wrong type, `ValueError` for a bad value), so every later step
can trust them. Results are frozen dataclasses; fields holding tokens are left out of `repr`.
"""

from __future__ import annotations

import enum
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from scalekit_grpc._config import InsecureTransportError, is_loopback
from scalekit_grpc._types import Secret
from scalekit_grpc.errors import ClientIdRequiredError, EnvironmentUrlRequiredError

# Asymmetric JWS algorithms the validator can verify. "none" and every HS* are deliberately
# absent: a public key must never double as an HMAC secret.
SUPPORTED_ALGORITHMS: frozenset[str] = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# RFC 7519 leaves leeway to the verifier but says "usually no more than a few minutes".
MAX_LEEWAY = timedelta(minutes=5)
# RFC 7636 section 4.1: the verifier is 43-128 characters from the unreserved set.
PKCE_VERIFIER_RE = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def _empty_mapping() -> Mapping[str, Any]:
    return MappingProxyType({})


def _require_optional_str(owner: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{owner}.{name} must be a str or None, not {type(value).__name__}")


def _str_tuple(owner: str, name: str, value: object) -> tuple[str, ...]:
    """Normalise a str or a sequence of str to a tuple; a lone str is one item, not characters."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"{owner}.{name} must be a sequence of str, not {type(value).__name__}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{owner}.{name} items must be str, not {type(item).__name__}")
    return items


def _positive_timedelta(owner: str, name: str, value: object, *, allow_zero: bool) -> None:
    if not isinstance(value, timedelta):
        raise TypeError(f"{owner}.{name} must be a datetime.timedelta")
    if value < timedelta(0) or (not allow_zero and value == timedelta(0)):
        raise ValueError(f"{owner}.{name} must be {'>= 0' if allow_zero else '> 0'}")


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Settings shared by every authentication helper of one client.

    Raises:
        EnvironmentUrlRequiredError: ``env_url`` is empty or not an http(s) URL.
        InsecureTransportError: ``http://`` to a non-loopback host without ``allow_insecure``.
        ClientIdRequiredError: ``client_id`` is empty.
        TypeError: a field has the wrong type.
        ValueError: a field has a bad value (for example ``algorithms`` naming ``none`` or HS256).
    """

    env_url: str
    """The Scalekit environment URL, e.g. ``https://acme.scalekit.com`` (trailing ``/`` removed)."""
    client_id: str
    """The OAuth client id (``skc_...``)."""
    client_secret: Secret | None = None
    """The client secret; ``None`` for public (PKCE) clients. A plain str is wrapped."""
    http_timeout: float = 10.0
    """Seconds allowed for one whole HTTP exchange with the token or JWKS endpoint."""
    jwks_ttl: timedelta = timedelta(minutes=5)
    """How long a fetched key set is used before it is refreshed."""
    jwks_refetch_cooldown: timedelta = timedelta(seconds=30)
    """Minimum time between two fetches caused by tokens with an unknown ``kid``."""
    jwks_max_stale: timedelta = timedelta(hours=1)
    """How long past its TTL the last good key set still serves while refreshes fail."""
    jwks_failure_backoff: timedelta = timedelta(seconds=5)
    """After a failed JWKS fetch, no new fetch starts for this long."""
    algorithms: tuple[str, ...] = ("RS256",)
    """Accepted JWS ``alg`` values; asymmetric only (RS*, PS*, ES*, EdDSA)."""
    clock: Callable[[], float] = time.time
    """Wall clock in Unix seconds; injectable for tests."""
    issuer: str | None = None
    """Expected ``iss`` of every token; ``None`` means `env_url`."""
    token_cache_size: int = 1024
    """Entries in the cache of verified tokens (LRU); 0 disables it."""
    allow_insecure: bool = False
    """Allow an ``http://`` env URL for a non-loopback host (loopback is always allowed)."""

    def __post_init__(self) -> None:
        env_url = self.env_url
        if not isinstance(env_url, str) or not env_url.strip():
            raise EnvironmentUrlRequiredError("env_url is required")
        env_url = env_url.strip().rstrip("/")
        parts = urllib.parse.urlsplit(env_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise EnvironmentUrlRequiredError("env_url must be an http(s) URL")
        if parts.scheme == "http" and not self.allow_insecure and not is_loopback(parts.hostname):
            raise InsecureTransportError(
                "an http:// env_url is allowed only for loopback hosts; pass "
                "allow_insecure=True to override"
            )
        object.__setattr__(self, "env_url", env_url)
        if not isinstance(self.client_id, str) or not self.client_id:
            raise ClientIdRequiredError("client_id is required")
        secret: object = self.client_secret
        if isinstance(secret, str):
            object.__setattr__(self, "client_secret", Secret(secret) if secret else None)
        elif secret is not None and not isinstance(secret, Secret):
            raise TypeError("AuthConfig.client_secret must be a Secret, a str or None")
        timeout = self.http_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("AuthConfig.http_timeout must be a number of seconds")
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError("AuthConfig.http_timeout must be a positive number of seconds")
        _positive_timedelta("AuthConfig", "jwks_ttl", self.jwks_ttl, allow_zero=False)
        for name in ("jwks_refetch_cooldown", "jwks_max_stale", "jwks_failure_backoff"):
            _positive_timedelta("AuthConfig", name, getattr(self, name), allow_zero=True)
        algorithms = _str_tuple("AuthConfig", "algorithms", self.algorithms)
        if not algorithms:
            raise ValueError("AuthConfig.algorithms must name at least one algorithm")
        for alg in algorithms:
            if alg not in SUPPORTED_ALGORITHMS:
                raise ValueError(
                    f"algorithm {alg[:16]!r} is not allowed; "
                    f"use asymmetric ones: {', '.join(sorted(SUPPORTED_ALGORITHMS))}"
                )
        object.__setattr__(self, "algorithms", algorithms)
        if not callable(self.clock):
            raise TypeError("AuthConfig.clock must be callable")
        _require_optional_str("AuthConfig", "issuer", self.issuer)
        if self.issuer == "":
            raise ValueError("AuthConfig.issuer must not be empty (None means env_url)")
        size = self.token_cache_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError("AuthConfig.token_cache_size must be an int >= 0")

    @property
    def expected_issuer(self) -> str:
        """The issuer every token must carry: `issuer` if set, else `env_url`."""
        return self.issuer if self.issuer is not None else self.env_url


# --- Options --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenValidationOptions:
    """Extra checks for one token validation (signature, ``exp``, ``nbf``, ``iat`` and
    ``iss`` are always checked).

    Raises:
        TypeError: a field has the wrong type.
        ValueError: ``leeway`` is negative or over five minutes, or ``issuer`` is empty.
    """

    issuer: str | None = None
    """Expected ``iss``; ``None`` means the client's configured issuer (its env URL)."""
    audience: Sequence[str] = ()
    """Accepted audiences; the token's ``aud`` must contain at least one. Empty: no check."""
    scopes: Sequence[str] = ()
    """Scopes that must all be granted, read from a ``scope`` string or a ``scopes`` array."""
    leeway: timedelta = timedelta(0)
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (0 to 5 minutes)."""

    def __post_init__(self) -> None:
        _require_optional_str("TokenValidationOptions", "issuer", self.issuer)
        if self.issuer == "":
            raise ValueError("TokenValidationOptions.issuer must not be empty")
        object.__setattr__(
            self, "audience", _str_tuple("TokenValidationOptions", "audience", self.audience)
        )
        object.__setattr__(
            self, "scopes", _str_tuple("TokenValidationOptions", "scopes", self.scopes)
        )
        _positive_timedelta("TokenValidationOptions", "leeway", self.leeway, allow_zero=True)
        if self.leeway > MAX_LEEWAY:
            raise ValueError("TokenValidationOptions.leeway must be at most 5 minutes")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationUrlOptions:
    """Query parameters of the authorization URL; empty or ``None`` values are omitted.

    Raises:
        TypeError: a field has the wrong type.
        ValueError: ``code_challenge_method`` is not ``S256``, or ``code_challenge`` is not
            43-128 characters of the PKCE alphabet.
    """

    scopes: Sequence[str] | None = None
    """Requested scopes; ``None`` or empty means ``openid profile email``."""
    state: str | None = None
    """Opaque value echoed back to the redirect URI (CSRF protection)."""
    nonce: str | None = None
    """Value copied into the ID token's ``nonce`` claim (replay protection)."""
    login_hint: str | None = None
    """The user's email or identifier, to pre-fill or route the login."""
    domain_hint: str | None = None
    """A domain used to find the SSO connection; sent as ``domain_hint`` and ``domain``."""
    connection_id: str | None = None
    """Force a specific SSO connection."""
    organization_id: str | None = None
    """Route the login to this organization's connections."""
    code_challenge: str | None = None
    """PKCE challenge (see `generate_pkce`)."""
    code_challenge_method: str | None = None
    """PKCE method; only ``S256``. Defaults to ``S256`` whenever a challenge is given."""
    provider: str | None = None
    """Social login provider, e.g. ``google``."""
    prompt: str | None = None
    """OIDC ``prompt``, e.g. ``login`` or ``create``."""

    def __post_init__(self) -> None:
        if self.scopes is not None:
            object.__setattr__(
                self, "scopes", _str_tuple("AuthorizationUrlOptions", "scopes", self.scopes)
            )
        for name in (
            "state",
            "nonce",
            "login_hint",
            "domain_hint",
            "connection_id",
            "organization_id",
            "code_challenge",
            "code_challenge_method",
            "provider",
            "prompt",
        ):
            _require_optional_str("AuthorizationUrlOptions", name, getattr(self, name))
        if self.code_challenge_method and self.code_challenge_method != "S256":
            raise ValueError("code_challenge_method must be 'S256' (plain is not supported)")
        if self.code_challenge and not PKCE_VERIFIER_RE.fullmatch(self.code_challenge):
            raise ValueError("code_challenge must be 43-128 characters of [A-Za-z0-9._~-]")


@dataclass(frozen=True, slots=True, kw_only=True)
class LogoutUrlOptions:
    """Query parameters of the logout URL; empty or ``None`` values are omitted.

    Raises:
        TypeError: a field is not a str or ``None``.
    """

    id_token_hint: str | None = field(default=None, repr=False)
    """The ID token of the session to end (kept out of ``repr``)."""
    post_logout_redirect_uri: str | None = None
    """Where to send the browser after logout (must be registered)."""
    state: str | None = None
    """Opaque value echoed back to the post-logout redirect URI."""

    def __post_init__(self) -> None:
        for name in ("id_token_hint", "post_logout_redirect_uri", "state"):
            _require_optional_str("LogoutUrlOptions", name, getattr(self, name))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticationOptions:
    """Options of the authorization-code exchange.

    Raises:
        TypeError: a field is not a str or ``None``.
        ValueError: ``code_verifier`` is not 43-128 characters of the PKCE alphabet.
    """

    code_verifier: str | None = field(default=None, repr=False)
    """The PKCE verifier matching the challenge sent in the authorization URL."""
    nonce: str | None = field(default=None, repr=False)
    """When given, the ID token's ``nonce`` claim must equal it."""

    def __post_init__(self) -> None:
        _require_optional_str("AuthenticationOptions", "code_verifier", self.code_verifier)
        _require_optional_str("AuthenticationOptions", "nonce", self.nonce)
        if self.code_verifier and not PKCE_VERIFIER_RE.fullmatch(self.code_verifier):
            raise ValueError("code_verifier must be 43-128 characters of [A-Za-z0-9._~-]")


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PkceParams:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""

    code_verifier: str = field(repr=False)
    """Keep server-side; send with `authenticate_with_code` (kept out of ``repr``)."""
    code_challenge: str
    """base64url(SHA-256(verifier)) without padding; put it in the authorization URL."""
    code_challenge_method: str = "S256"
    """Always ``S256``."""


@dataclass(frozen=True, slots=True)
class AccessTokenClaims:
    """The verified claims of an access token, typed; ``claims`` holds all of them raw."""

    sub: str | None
    """Subject: the user (``usr_...``) or client id."""
    iss: str
    """Issuer (the environment URL)."""
    aud: tuple[str, ...]
    """Audiences (a single-string ``aud`` becomes a one-item tuple)."""
    exp: int | float
    """Expiry, Unix seconds."""
    iat: int | float | None
    """Issued at, Unix seconds."""
    nbf: int | float | None
    """Not before, Unix seconds."""
    jti: str | None
    """Token id."""
    client_id: str | None
    """The client the token was issued to."""
    organization_id: str | None
    """The ``oid`` claim."""
    session_id: str | None
    """The ``sid`` claim."""
    roles: tuple[str, ...]
    """The ``roles`` claim (non-string items dropped)."""
    permissions: tuple[str, ...]
    """The ``permissions`` claim (non-string items dropped)."""
    scopes: tuple[str, ...]
    """Granted scopes from the ``scope`` string and/or the ``scopes`` array."""
    claims: Mapping[str, Any] = field(default_factory=_empty_mapping, repr=False)
    """Every claim, as decoded (read-only view of a private copy)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """One linked identity of a user (an element of the ID token's ``identities``)."""

    connection_id: str | None
    organization_id: str | None
    connection_type: str | None
    provider_name: str | None
    social: bool
    provider_raw_attributes: Any = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class IdTokenClaims:
    """The verified claims of an ID token: the signed-in user."""

    sub: str | None
    """Subject (user id)."""
    iss: str
    """Issuer."""
    aud: tuple[str, ...]
    """Audiences (contains the client id)."""
    exp: int | float
    iat: int | float | None
    azp: str | None
    """Authorized party."""
    amr: tuple[str, ...]
    """Authentication method references; the first is the connection id."""
    organization_id: str | None
    """The ``oid`` claim."""
    session_id: str | None
    """The ``sid`` claim."""
    email: str | None
    email_verified: bool | None
    name: str | None
    given_name: str | None
    family_name: str | None
    preferred_username: str | None
    phone_number: str | None
    phone_number_verified: bool | None
    picture: str | None
    profile: str | None
    gender: str | None
    birthdate: str | None
    zoneinfo: str | None
    locale: str | None
    updated_at: str | int | float | None
    """As sent: OIDC sends Unix seconds, some issuers an ISO string."""
    identities: tuple[Identity, ...]
    metadata: Any = field(default=None, repr=False)
    claims: Mapping[str, Any] = field(default_factory=_empty_mapping, repr=False)
    """Every claim, as decoded."""


@dataclass(frozen=True, slots=True)
class IdpInitiatedLoginClaims:
    """The verified claims of an IdP-initiated login token."""

    connection_id: str | None
    organization_id: str | None
    login_hint: str | None
    relay_state: str | None
    claims: Mapping[str, Any] = field(default_factory=_empty_mapping, repr=False)


@dataclass(frozen=True, slots=True)
class AuthenticationResponse:
    """The result of `authenticate_with_code`: the verified user and the issued tokens."""

    user: IdTokenClaims
    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    """Access-token lifetime in seconds."""
    organization_id: str | None
    """The ID token's ``oid`` claim."""
    connection_id: str | None
    """The ID token's first ``amr`` value."""


@dataclass(frozen=True, slots=True)
class RefreshTokenResponse:
    """The tokens returned by `refresh_access_token` (not validated)."""

    access_token: str = field(repr=False)
    id_token: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int


@dataclass(frozen=True, slots=True)
class ClientTokenResponse:
    """A client-credentials access token."""

    access_token: str = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"
    scope: str = ""


class TokenKind(enum.Enum):
    """Which rules beyond the common ones a token must satisfy."""

    ANY = "any"
    """No kind check (``validate_token``, IdP-initiated login tokens)."""
    ACCESS = "access"
    """An access token: no ID-token claims (``at_hash``, ``c_hash``, ``nonce``), ``typ`` absent
    or JWT/at+jwt."""
    ID = "id"
    """An OIDC ID token: ``aud`` contains the client id, ``azp`` (if any) is the client id and
    required with several audiences, no ``client_id`` claim, ``typ`` not at+jwt."""
