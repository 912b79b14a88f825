"""`AuthFlows` (sync) and `AsyncAuthFlows` (asyncio): the authentication helpers of a client.

Both are written as mixins: the client classes inherit from them and call `_init_auth` from
their constructors; all state lives in ``_auth_*`` attributes. Everything that does no I/O
(URL building, PKCE, webhook verification, JWT checks, form building and reply shaping) is
shared; the two classes differ only where they wait: the sync one blocks, the asyncio one runs
the same blocking HTTP functions in worker threads and awaits the shared JWKS fetch through
`asyncio.shield`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scalekit_grpc._threads import in_daemon_thread
from scalekit_grpc._token_endpoint import TokenResponse, post_token_request
from scalekit_grpc._types import Secret
from scalekit_grpc.auth import _oauth, _webhooks
from scalekit_grpc.auth._models import (
    AccessTokenClaims,
    AuthConfig,
    AuthenticationOptions,
    AuthenticationResponse,
    AuthorizationUrlOptions,
    ClientTokenResponse,
    IdpInitiatedLoginClaims,
    LogoutUrlOptions,
    RefreshTokenResponse,
    TokenKind,
    TokenValidationOptions,
)
from scalekit_grpc.auth._webhooks import DEFAULT_TOLERANCE, WebhookReplayCache
from scalekit_grpc.errors import ClientSecretRequiredError, TokenValidationError

if TYPE_CHECKING:
    from scalekit_grpc.auth._jwks import JwksCache, JwksKey
    from scalekit_grpc.auth._jwt import ParsedToken, TokenValidator, VerifiedToken

_DEFAULT_OPTIONS = TokenValidationOptions()
# Guards the one-time construction of a client's validator and key cache.
_BUILD_LOCK = threading.Lock()
_LAZY_STATE = frozenset({"_auth_validator", "_auth_jwks"})


def _options(options: TokenValidationOptions | None) -> TokenValidationOptions:
    if options is None:
        return _DEFAULT_OPTIONS
    if not isinstance(options, TokenValidationOptions):
        raise TypeError("options must be a TokenValidationOptions")
    return options


class _AuthBase:
    """State and the I/O-free methods shared by `AuthFlows` and `AsyncAuthFlows`."""

    _auth_config: AuthConfig
    _auth_jwks: JwksCache
    _auth_validator: TokenValidator

    def __init__(self, config: AuthConfig) -> None:
        self._init_auth(config)

    def _init_auth(self, config: AuthConfig) -> None:
        """Set up the auth state; client classes call this from their own ``__init__``."""
        if not isinstance(config, AuthConfig):
            raise TypeError("config must be an AuthConfig")
        self._auth_config = config

    def __getattr__(self, name: str) -> Any:
        # The validator and the key cache (and with them pyjwt and cryptography) are built on
        # first use, so that a client that never validates a token never loads them. Once
        # built they are plain attributes and this method is not consulted again.
        if name not in _LAZY_STATE or "_auth_config" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _BUILD_LOCK:
            if name not in self.__dict__:
                self._auth_build()
        return self.__dict__[name]

    def _auth_build(self) -> None:
        from scalekit_grpc.auth._jwks import JwksCache
        from scalekit_grpc.auth._jwt import TokenValidator

        config = self._auth_config
        validator = TokenValidator(
            algorithms=config.algorithms,
            issuer=config.expected_issuer,
            client_id=config.client_id,
            clock=config.clock,
            cache_size=config.token_cache_size,
        )
        if "_auth_jwks" in self.__dict__:  # set explicitly (two front-ends sharing one cache)
            self._auth_validator = validator
            return
        self._auth_jwks = JwksCache(
            f"{config.env_url}/keys",
            algorithms=config.algorithms,
            ttl=config.jwks_ttl.total_seconds(),
            cooldown=config.jwks_refetch_cooldown.total_seconds(),
            max_stale=config.jwks_max_stale.total_seconds(),
            failure_backoff=config.jwks_failure_backoff.total_seconds(),
            http_timeout=config.http_timeout,
            clock=config.clock,
            on_change=validator.cache.clear,
        )
        self._auth_validator = validator

    def __repr__(self) -> str:
        config = self._auth_config
        return f"{type(self).__name__}(env_url={config.env_url!r}, client_id={config.client_id!r})"

    # --- pure helpers, identical in both flavours ------------------------------------------

    def get_authorization_url(
        self, redirect_uri: str, options: AuthorizationUrlOptions | None = None
    ) -> str:
        """The URL to send the browser to for the authorization-code flow.

        ``{env_url}/oauth/authorize`` with ``response_type=code``, ``client_id``,
        ``redirect_uri``, ``scope`` (default ``openid profile email``) and the non-empty
        options (``domain_hint`` is also sent as ``domain``; a ``code_challenge`` comes with
        ``code_challenge_method=S256``).

        Raises:
            RedirectUriRequiredError: ``redirect_uri`` is empty.
            TypeError: an argument has the wrong type.
            ValueError: a value cannot be encoded as UTF-8.
        """
        config = self._auth_config
        return _oauth.authorization_url(config.env_url, config.client_id, redirect_uri, options)

    def get_logout_url(self, options: LogoutUrlOptions | None = None) -> str:
        """``{env_url}/oidc/logout`` with ``id_token_hint``, ``post_logout_redirect_uri`` and
        ``state`` when given (no ``?`` when none is).

        Raises:
            TypeError: ``options`` is not a `LogoutUrlOptions`.
            ValueError: a value cannot be encoded as UTF-8.
        """
        return _oauth.logout_url(self._auth_config.env_url, options)

    def verify_webhook_payload(
        self,
        secret: str | Secret,
        headers: Mapping[str, str],
        payload: bytes | str,
        *,
        tolerance: timedelta = DEFAULT_TOLERANCE,
        replay_cache: WebhookReplayCache | None = None,
    ) -> bool:
        """Verify a webhook (Standard Webhooks); see `scalekit_grpc.auth.verify_webhook_payload`.

        Synchronous in both clients: it does no I/O. Uses the configured clock.

        Raises:
            WebhookVerificationError: a subclass naming the failed check.
        """
        return _webhooks.verify_webhook_payload(
            secret,
            headers,
            payload,
            tolerance=tolerance,
            now=self._auth_config.clock,
            replay_cache=replay_cache,
        )

    def verify_interceptor_payload(
        self,
        secret: str | Secret,
        headers: Mapping[str, str],
        payload: bytes | str,
        *,
        tolerance: timedelta = DEFAULT_TOLERANCE,
        replay_cache: WebhookReplayCache | None = None,
    ) -> bool:
        """Verify an interceptor call (``interceptor-*`` headers, falling back to
        ``webhook-*``); see `scalekit_grpc.auth.verify_interceptor_payload`.

        Raises:
            WebhookVerificationError: a subclass naming the failed check.
        """
        return _webhooks.verify_interceptor_payload(
            secret,
            headers,
            payload,
            tolerance=tolerance,
            now=self._auth_config.clock,
            replay_cache=replay_cache,
        )

    # --- shared steps of the network methods -----------------------------------------------

    def _auth_lookup(
        self,
        token: object,
        options: TokenValidationOptions,
        kind: TokenKind,
        nonce: str | None = None,
    ) -> tuple[VerifiedToken | None, bytes | None, float]:
        validator = self._auth_validator
        now = validator.now()
        digest = validator.digest(token)
        generation = self._auth_jwks.fresh_generation(now) if digest is not None else None
        hit = validator.cached(digest, generation, options, kind, now, nonce)
        return hit, digest, now

    def _auth_finish(
        self,
        parsed: ParsedToken,
        found: tuple[JwksKey, int],
        digest: bytes | None,
        options: TokenValidationOptions,
        kind: TokenKind,
        now: float,
        nonce: str | None = None,
    ) -> VerifiedToken:
        key, generation = found
        return self._auth_validator.verify(
            parsed, key.key, key.algorithms, generation, digest, options, kind, now, nonce
        )

    def _client_credentials_form(
        self, client_id: str, client_secret: str | Secret, scopes: Sequence[str] | None
    ) -> dict[str, str]:
        return _oauth.client_credentials_form(client_id, client_secret, scopes)

    def _own_credentials_form(self) -> dict[str, str]:
        config = self._auth_config
        if config.client_secret is None:
            raise ClientSecretRequiredError("this client was built without a client secret")
        return _oauth.client_credentials_form(config.client_id, config.client_secret, None)


class AuthFlows(_AuthBase):
    """Authentication helpers, blocking flavour (mixed into `ScalekitClient`)."""

    def _auth_verify(
        self,
        token: str,
        options: TokenValidationOptions | None,
        kind: TokenKind,
        nonce: str | None = None,
    ) -> VerifiedToken:
        opts = _options(options)
        hit, digest, now = self._auth_lookup(token, opts, kind, nonce)
        if hit is not None:
            return hit
        parsed = self._auth_validator.parse(token)
        found = self._auth_jwks.get_key(parsed.kid, now)
        return self._auth_finish(parsed, found, digest, opts, kind, now, nonce)

    def _auth_token_request(self, form: Mapping[str, str]) -> TokenResponse:
        config = self._auth_config
        return post_token_request(config.env_url, form, timeout=config.http_timeout)

    def validate_token(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> dict[str, Any]:
        """Verify a JWT issued by this environment and return its claims.

        Checks the structure, the RS256 (or configured) signature with the JWKS key named by
        ``kid``, ``exp`` (required), ``nbf``, ``iat``, ``iss``, and the audience and scopes
        asked for in ``options``.

        Returns:
            A new dict of the claims.

        Raises:
            TokenRequiredError: ``token`` is empty.
            TokenValidationError: a subclass naming the failed check (`MalformedTokenError`,
                `InvalidAlgorithmError`, `KeyNotFoundError`, `InvalidSignatureError`,
                `TokenExpiredError`, `InvalidIssuerError`, `InvalidAudienceError`, ...).
            JWKSUnavailableError: no usable key set could be obtained.
            TypeError: ``options`` is not a `TokenValidationOptions`.
        """
        return self._auth_verify(token, options, TokenKind.ANY).fresh_claims()

    def validate_access_token(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> bool:
        """Whether ``token`` is a valid access token (not an ID token) of this environment.

        Returns:
            ``False`` for any `TokenValidationError`.

        Raises:
            JWKSUnavailableError: no usable key set could be obtained (the token may be fine).
        """
        try:
            self._auth_verify(token, options, TokenKind.ACCESS)
        except TokenValidationError:
            return False
        return True

    def get_access_token_claims(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> AccessTokenClaims:
        """Validate an access token and return its claims, typed.

        Raises:
            TokenValidationError: see `validate_token`; `InvalidTokenTypeError` for an ID token.
            JWKSUnavailableError: no usable key set could be obtained.
        """
        verified = self._auth_verify(token, options, TokenKind.ACCESS)
        return _oauth.access_token_claims(verified.fresh_claims())

    def get_idp_initiated_login_claims(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> IdpInitiatedLoginClaims:
        """Validate an IdP-initiated login token and return its claims, typed.

        Raises:
            TokenValidationError: see `validate_token`.
            JWKSUnavailableError: no usable key set could be obtained.
        """
        verified = self._auth_verify(token, options, TokenKind.ANY)
        return _oauth.idp_initiated_login_claims(verified.fresh_claims())

    def authenticate_with_code(
        self, code: str, redirect_uri: str, options: AuthenticationOptions | None = None
    ) -> AuthenticationResponse:
        """Exchange an authorization code for tokens and return the verified user.

        Sends ``grant_type=authorization_code``, ``code``, ``redirect_uri``, ``client_id``,
        ``client_secret`` (only when configured) and ``code_verifier`` (only when given). The
        ID token is validated as an ID token (signature, time claims, issuer, ``aud``
        containing the client id, ``azp``, and ``nonce`` when given in ``options``).

        Raises:
            CodeRequiredError: ``code`` is empty (before any I/O).
            RedirectUriRequiredError: ``redirect_uri`` is empty (before any I/O).
            AuthenticationError: the token endpoint failed or refused (status and body).
            AuthenticationResponseMissingAccessTokenError: the reply has no access_token.
            AuthenticationResponseMissingIdTokenError: the reply has no id_token.
            TokenValidationError: the ID token is invalid.
            JWKSUnavailableError: no usable key set could be obtained.
        """
        form = _oauth.code_exchange_form(self._auth_config, code, redirect_uri, options)
        response = self._auth_token_request(form)
        id_token = _oauth.require_id_token(response)
        nonce = options.nonce if options is not None else None
        verified = self._auth_verify(id_token, None, TokenKind.ID, nonce)
        return _oauth.authentication_response(response, id_token, verified.fresh_claims())

    def refresh_access_token(self, refresh_token: str) -> RefreshTokenResponse:
        """Use a refresh token (``grant_type=refresh_token``); nothing is validated.

        Raises:
            RefreshTokenRequiredError: ``refresh_token`` is empty (before any I/O).
            AuthenticationError: the token endpoint failed or refused.
        """
        form = _oauth.refresh_form(self._auth_config, refresh_token)
        return _oauth.refresh_response(self._auth_token_request(form))

    def generate_client_token(
        self,
        client_id: str,
        client_secret: str | Secret,
        scopes: Sequence[str] | None = None,
    ) -> ClientTokenResponse:
        """A client-credentials token for any client (``scope`` sent space-joined if given).

        Raises:
            ClientIdRequiredError: ``client_id`` is empty (before any I/O).
            ClientSecretRequiredError: ``client_secret`` is empty (before any I/O).
            AuthenticationError: the token endpoint failed or refused.
        """
        form = self._client_credentials_form(client_id, client_secret, scopes)
        return _oauth.client_token_response(self._auth_token_request(form))

    def get_client_access_token(self) -> str:
        """A client-credentials access token for this client's own credentials.

        Raises:
            ClientSecretRequiredError: the client has no secret (before any I/O).
            AuthenticationError: the token endpoint failed or refused.
        """
        form = self._own_credentials_form()
        return self._auth_token_request(form).access_token.reveal()


class AsyncAuthFlows(_AuthBase):
    """Authentication helpers, asyncio flavour (mixed into `AsyncScalekitClient`).

    The same behaviour as `AuthFlows`; URL builders and webhook verification stay synchronous
    because they do no I/O.
    """

    async def _auth_verify(
        self,
        token: str,
        options: TokenValidationOptions | None,
        kind: TokenKind,
        nonce: str | None = None,
    ) -> VerifiedToken:
        opts = _options(options)
        hit, digest, now = self._auth_lookup(token, opts, kind, nonce)
        if hit is not None:
            return hit
        parsed = self._auth_validator.parse(token)
        found = await self._auth_jwks.aget_key(parsed.kid, now)
        return self._auth_finish(parsed, found, digest, opts, kind, now, nonce)

    async def _auth_token_request(self, form: Mapping[str, str]) -> TokenResponse:
        config = self._auth_config
        # A daemon thread, not asyncio.to_thread: a request hanging up to http_timeout after its
        # caller gave up must not hold up the loop's shutdown.
        return await in_daemon_thread(
            lambda: post_token_request(config.env_url, form, timeout=config.http_timeout),
            "scalekit-oauth-request",
        )

    async def validate_token(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> dict[str, Any]:
        """Asyncio twin of `AuthFlows.validate_token`."""
        return (await self._auth_verify(token, options, TokenKind.ANY)).fresh_claims()

    async def validate_access_token(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> bool:
        """Asyncio twin of `AuthFlows.validate_access_token`."""
        try:
            await self._auth_verify(token, options, TokenKind.ACCESS)
        except TokenValidationError:
            return False
        return True

    async def get_access_token_claims(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> AccessTokenClaims:
        """Asyncio twin of `AuthFlows.get_access_token_claims`."""
        verified = await self._auth_verify(token, options, TokenKind.ACCESS)
        return _oauth.access_token_claims(verified.fresh_claims())

    async def get_idp_initiated_login_claims(
        self, token: str, options: TokenValidationOptions | None = None
    ) -> IdpInitiatedLoginClaims:
        """Asyncio twin of `AuthFlows.get_idp_initiated_login_claims`."""
        verified = await self._auth_verify(token, options, TokenKind.ANY)
        return _oauth.idp_initiated_login_claims(verified.fresh_claims())

    async def authenticate_with_code(
        self, code: str, redirect_uri: str, options: AuthenticationOptions | None = None
    ) -> AuthenticationResponse:
        """Asyncio twin of `AuthFlows.authenticate_with_code`."""
        form = _oauth.code_exchange_form(self._auth_config, code, redirect_uri, options)
        response = await self._auth_token_request(form)
        id_token = _oauth.require_id_token(response)
        nonce = options.nonce if options is not None else None
        verified = await self._auth_verify(id_token, None, TokenKind.ID, nonce)
        return _oauth.authentication_response(response, id_token, verified.fresh_claims())

    async def refresh_access_token(self, refresh_token: str) -> RefreshTokenResponse:
        """Asyncio twin of `AuthFlows.refresh_access_token`."""
        form = _oauth.refresh_form(self._auth_config, refresh_token)
        return _oauth.refresh_response(await self._auth_token_request(form))

    async def generate_client_token(
        self,
        client_id: str,
        client_secret: str | Secret,
        scopes: Sequence[str] | None = None,
    ) -> ClientTokenResponse:
        """Asyncio twin of `AuthFlows.generate_client_token`."""
        form = self._client_credentials_form(client_id, client_secret, scopes)
        return _oauth.client_token_response(await self._auth_token_request(form))

    async def get_client_access_token(self) -> str:
        """Asyncio twin of `AuthFlows.get_client_access_token`."""
        form = self._own_credentials_form()
        return (await self._auth_token_request(form)).access_token.reveal()
