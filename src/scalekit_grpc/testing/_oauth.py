"""The mock's OAuth authority: client authentication, grants, JWT minting, access-token table.

Only tokens from the client-credentials grant authorize RPCs (like the real API, where the
management API takes the environment client's token); user tokens from the authorization-code
and refresh grants are for the application. The RPC check is a dict lookup, not a JWT
verification, so it stays cheap under benchmarks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from scalekit_grpc.testing._keys import KeyRing
from scalekit_grpc.testing._state import (
    SESSION_ACTIVE,
    SESSION_LOGGED_OUT,
    MockState,
    MockUser,
    now_ts,
)

DEFAULT_SCOPE = "openid profile email"
CODE_LIFETIME = 600.0
_MAX_TOKENS = 100_000


class OAuthError(Exception):
    """A token-endpoint error: HTTP status plus the RFC 6749 ``error`` code."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True, slots=True)
class _CodeGrant:
    user: MockUser
    organization_id: str
    connection_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    expires_at: float


@dataclass(frozen=True, slots=True)
class _RefreshGrant:
    user: MockUser
    organization_id: str
    connection_id: str
    scope: str
    session_id: str
    public_client: bool


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OAuthAuthority:
    def __init__(
        self,
        *,
        state: MockState,
        keys: KeyRing,
        client_id: str,
        client_secret: str,
        token_lifetime: float,
    ) -> None:
        self._state = state
        self._keys = keys
        self.client_id = client_id
        self._client_secret = client_secret
        self.issuer = ""
        self._lock = threading.Lock()
        self._lifetime = 0.0
        self.token_lifetime = token_lifetime
        self._access: dict[str, float] = {}
        self._codes: dict[str, _CodeGrant] = {}
        self._refresh: dict[str, _RefreshGrant] = {}

    @property
    def client_secret(self) -> str:
        return self._client_secret

    @property
    def token_lifetime(self) -> float:
        with self._lock:
            return self._lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("token_lifetime must be >= 0 seconds")
        with self._lock:
            self._lifetime = float(seconds)

    def reset(self) -> None:
        with self._lock:
            self._access.clear()
            self._codes.clear()
            self._refresh.clear()

    # --- the RPC-side check and its controls ---

    def check_access_token(self, token: str) -> str | None:
        """``None`` when ``token`` authorizes RPCs, else why not."""
        with self._lock:
            expires_at = self._access.get(token)
        if expires_at is None:
            return "invalid access token"
        if expires_at <= time.time():
            return "access token expired"
        return None

    def expire_all(self) -> None:
        with self._lock:
            for token in self._access:
                self._access[token] = 0.0

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._access.pop(token, None) is not None

    # --- client authentication ---

    def _authenticate(
        self, form: dict[str, str], basic: tuple[str, str] | None, *, secret_optional: bool
    ) -> None:
        client_id, secret = (
            basic if basic is not None else (form.get("client_id", ""), form.get("client_secret"))
        )
        if not client_id:
            raise OAuthError(401, "invalid_client", "client_id is required")
        if not hmac.compare_digest(client_id.encode(), self.client_id.encode()):
            raise OAuthError(401, "invalid_client", "unknown client")
        if secret is None or secret == "":
            if secret_optional:
                return
            raise OAuthError(401, "invalid_client", "client_secret is required")
        if not hmac.compare_digest(secret.encode(), self._client_secret.encode()):
            raise OAuthError(401, "invalid_client", "invalid client credentials")

    # --- minting ---

    def _mint(self, claims: dict[str, Any], now: float, lifetime: float) -> str:
        base = {
            "iss": self.issuer,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime),
            "jti": "tkn_" + secrets.token_hex(12),
        }
        base.update(claims)
        return self._keys.sign(base)

    def _register_access(self, token: str, expires_at: float) -> None:
        with self._lock:
            if len(self._access) >= _MAX_TOKENS:
                now = time.time()
                for stale in [t for t, exp in self._access.items() if exp <= now]:
                    del self._access[stale]
            self._access[token] = expires_at

    def issue_client_token(self, scope: str | None = None) -> dict[str, Any]:
        """A client-credentials grant without the HTTP round trip (also used by the endpoint)."""
        now, lifetime = time.time(), self.token_lifetime
        claims: dict[str, Any] = {
            "sub": self.client_id,
            "client_id": self.client_id,
            "aud": [self.client_id],
        }
        if scope:
            claims["scopes"] = scope.split()
        token = self._mint(claims, now, lifetime)
        self._register_access(token, now + lifetime)
        reply: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(lifetime),
        }
        if scope:
            reply["scope"] = scope
        return reply

    def _user_tokens(
        self,
        *,
        user: MockUser,
        organization_id: str,
        connection_id: str,
        scope: str,
        session_id: str,
        nonce: str | None,
        public_client: bool,
    ) -> dict[str, Any]:
        now, lifetime = time.time(), self.token_lifetime
        id_claims: dict[str, Any] = {
            "sub": user.user_id,
            "aud": [self.client_id],
            "azp": self.client_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "preferred_username": user.email,
            "oid": organization_id,
            "amr": [connection_id],
            "sid": session_id,
        }
        if nonce:
            id_claims["nonce"] = nonce
        access_claims: dict[str, Any] = {
            "sub": user.user_id,
            "aud": [self.client_id],
            "client_id": self.client_id,
            "oid": organization_id,
            "sid": session_id,
            "scope": scope,
        }
        refresh = "rt_" + secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[refresh] = _RefreshGrant(
                user=user,
                organization_id=organization_id,
                connection_id=connection_id,
                scope=scope,
                session_id=session_id,
                public_client=public_client,
            )
        return {
            "access_token": self._mint(access_claims, now, lifetime),
            "id_token": self._mint(id_claims, now, lifetime),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": int(lifetime),
            "scope": scope,
        }

    # --- endpoints ---

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """``POST /oauth/token``: the reply body, or `OAuthError`."""
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            self._authenticate(form, basic, secret_optional=False)
            return self.issue_client_token(form.get("scope") or None)
        if grant == "authorization_code":
            return self._exchange_code(form, basic)
        if grant == "refresh_token":
            return self._refresh_grant(form, basic)
        if not grant:
            raise OAuthError(400, "invalid_request", "grant_type is required")
        raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def _exchange_code(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        code = form.get("code", "")
        if not code:
            raise OAuthError(400, "invalid_request", "code is required")
        with self._lock:
            grant = self._codes.pop(code, None)  # single use, even when the exchange then fails
        public = grant is not None and grant.code_challenge is not None
        self._authenticate(form, basic, secret_optional=public)
        if grant is None or grant.expires_at <= time.time():
            raise OAuthError(400, "invalid_grant", "unknown, used or expired authorization code")
        if form.get("redirect_uri", "") != grant.redirect_uri:
            raise OAuthError(
                400, "invalid_grant", "redirect_uri does not match the authorization request"
            )
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "code_verifier is required (PKCE)")
            if not hmac.compare_digest(s256(verifier), grant.code_challenge):
                raise OAuthError(
                    400, "invalid_grant", "code_verifier does not match the code_challenge"
                )
        session_id = self._state.add_session(
            grant.user.user_id, grant.organization_id, client_id=self.client_id
        )
        return self._user_tokens(
            user=grant.user,
            organization_id=grant.organization_id,
            connection_id=grant.connection_id,
            scope=grant.scope,
            session_id=session_id,
            nonce=grant.nonce,
            public_client=public,
        )

    def _refresh_grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token is required")
        with self._lock:
            grant = self._refresh.pop(token, None)  # rotated: every refresh token works once
        self._authenticate(form, basic, secret_optional=grant is not None and grant.public_client)
        if grant is None:
            raise OAuthError(400, "invalid_grant", "unknown or already used refresh token")
        if not self._state.is_session_active(grant.session_id):
            raise OAuthError(400, "invalid_grant", "the session of this refresh token has ended")
        return self._user_tokens(
            user=grant.user,
            organization_id=grant.organization_id,
            connection_id=grant.connection_id,
            scope=grant.scope,
            session_id=grant.session_id,
            nonce=None,
            public_client=grant.public_client,
        )

    def authorize(self, query: dict[str, str]) -> str:
        """``GET /oauth/authorize``: the redirect location, or `OAuthError` (no safe redirect).

        The mock signs in without a login page: the user is the one whose email is
        ``login_hint`` (registered on the fly when new), else the default user.
        """
        if query.get("client_id", "") != self.client_id:
            raise OAuthError(400, "invalid_client", "unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        parsed = urllib.parse.urlsplit(redirect_uri)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise OAuthError(400, "invalid_request", "redirect_uri must be an absolute http(s) URL")
        state = query.get("state")

        def back(params: dict[str, str]) -> str:
            if state is not None:
                params["state"] = state
            sep = "&" if parsed.query else "?"
            return redirect_uri + sep + urllib.parse.urlencode(params)

        if query.get("response_type") != "code":
            return back(
                {
                    "error": "unsupported_response_type",
                    "error_description": "response_type must be code",
                }
            )
        challenge = query.get("code_challenge") or None
        if challenge is not None and query.get("code_challenge_method") != "S256":
            return back(
                {
                    "error": "invalid_request",
                    "error_description": "code_challenge_method must be S256",
                }
            )
        hint = query.get("login_hint", "")
        user = self._state.user_by_email(hint) if hint else None
        if user is None and "@" in hint:
            user = self._state.register_user(
                email=hint, organization_id=query.get("organization_id") or None
            )
        if user is None:
            with self._state.lock:
                user = self._state.users[self._state.default_user_id]
        code = "code_" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _CodeGrant(
                user=user,
                organization_id=query.get("organization_id") or user.organization_id,
                connection_id=query.get("connection_id") or user.connection_id,
                redirect_uri=redirect_uri,
                scope=query.get("scope") or DEFAULT_SCOPE,
                nonce=query.get("nonce") or None,
                code_challenge=challenge,
                expires_at=time.time() + CODE_LIFETIME,
            )
        return back({"code": code})

    def logout(self, query: dict[str, str]) -> str | None:
        """``GET /oidc/logout``: ends the session named by a valid ``id_token_hint``; returns the
        ``post_logout_redirect_uri`` (with ``state``) to redirect to, if any."""
        hint = query.get("id_token_hint", "")
        claims = self._keys.verify(hint) if hint else None
        sid = claims.get("sid") if claims else None
        if isinstance(sid, str):
            with self._state.lock:
                session = self._state.sessions.get(sid)
                if session is not None and session.status == SESSION_ACTIVE:
                    session.status = SESSION_LOGGED_OUT
                    session.logout_at.CopyFrom(now_ts())
                    session.updated_at.CopyFrom(now_ts())
        target = query.get("post_logout_redirect_uri", "")
        if not target:
            return None
        state = query.get("state")
        if state is None:
            return target
        sep = "&" if urllib.parse.urlsplit(target).query else "?"
        return target + sep + urllib.parse.urlencode({"state": state})
