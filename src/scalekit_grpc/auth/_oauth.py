"""OAuth helpers without I/O: authorization and logout URLs, PKCE, token-request forms, and
shaping token-endpoint replies and verified claims into result types."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from scalekit_grpc._token_endpoint import TokenResponse
from scalekit_grpc._types import Secret
from scalekit_grpc.auth._models import (
    PKCE_VERIFIER_RE,
    AccessTokenClaims,
    AuthConfig,
    AuthenticationOptions,
    AuthenticationResponse,
    AuthorizationUrlOptions,
    ClientTokenResponse,
    Identity,
    IdpInitiatedLoginClaims,
    IdTokenClaims,
    LogoutUrlOptions,
    PkceParams,
    RefreshTokenResponse,
)
from scalekit_grpc.errors import (
    AuthenticationResponseMissingIdTokenError,
    ClientIdRequiredError,
    ClientSecretRequiredError,
    CodeRequiredError,
    RedirectUriRequiredError,
    RefreshTokenRequiredError,
)

DEFAULT_SCOPES = ("openid", "profile", "email")
PKCE_ALPHABET = string.ascii_letters + string.digits + "-._~"


def _query(pairs: Iterable[tuple[str, str | None]]) -> str:
    """Percent-encode non-empty values (spaces as %20, which every parser reads as a space)."""
    kept = [(k, v) for k, v in pairs if v]
    try:
        return urllib.parse.urlencode(kept, quote_via=urllib.parse.quote)
    except UnicodeEncodeError:
        raise ValueError("URL parameters must be encodable as UTF-8") from None


def authorization_url(
    env_url: str, client_id: str, redirect_uri: str, options: AuthorizationUrlOptions | None
) -> str:
    """``{env_url}/oauth/authorize?...`` for the authorization-code flow.

    Raises:
        RedirectUriRequiredError: ``redirect_uri`` is empty.
        TypeError: ``redirect_uri`` is not a str or ``options`` is of the wrong type.
        ValueError: a value cannot be encoded.
    """
    if not redirect_uri:
        raise RedirectUriRequiredError("redirect_uri is required")
    if not isinstance(redirect_uri, str):
        raise TypeError("redirect_uri must be a str")
    if options is None:
        options = AuthorizationUrlOptions()
    elif not isinstance(options, AuthorizationUrlOptions):
        raise TypeError("options must be an AuthorizationUrlOptions")
    scopes = [s for s in options.scopes or () if s] or list(DEFAULT_SCOPES)
    method = options.code_challenge_method or ("S256" if options.code_challenge else None)
    query = _query(
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", " ".join(scopes)),
            ("state", options.state),
            ("nonce", options.nonce),
            ("login_hint", options.login_hint),
            ("domain_hint", options.domain_hint),
            ("domain", options.domain_hint),
            ("connection_id", options.connection_id),
            ("organization_id", options.organization_id),
            ("code_challenge", options.code_challenge),
            ("code_challenge_method", method if options.code_challenge else None),
            ("provider", options.provider),
            ("prompt", options.prompt),
        ]
    )
    return f"{env_url}/oauth/authorize?{query}"


def logout_url(env_url: str, options: LogoutUrlOptions | None) -> str:
    """``{env_url}/oidc/logout``, with a query only when some parameter is set.

    Raises:
        TypeError: ``options`` is of the wrong type.
        ValueError: a value cannot be encoded.
    """
    if options is None:
        return f"{env_url}/oidc/logout"
    if not isinstance(options, LogoutUrlOptions):
        raise TypeError("options must be a LogoutUrlOptions")
    query = _query(
        [
            ("id_token_hint", options.id_token_hint),
            ("post_logout_redirect_uri", options.post_logout_redirect_uri),
            ("state", options.state),
        ]
    )
    return f"{env_url}/oidc/logout?{query}" if query else f"{env_url}/oidc/logout"


def pkce_challenge(code_verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding (RFC 7636 S256)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def generate_pkce(length: int = 64, *, code_verifier: str | None = None) -> PkceParams:
    """A fresh PKCE verifier and its S256 challenge.

    Each character is drawn with `secrets.choice` from the 66 unreserved characters, which is
    uniform (no modulo bias).

    Args:
        length: Verifier length, 43 to 128.
        code_verifier: Use this verifier instead of generating one (it is validated).

    Raises:
        ValueError: ``length`` is outside 43-128, or ``code_verifier`` is not 43-128
            characters of ``[A-Za-z0-9._~-]``.
        TypeError: ``length`` is not an int.
    """
    if code_verifier is None:
        if isinstance(length, bool) or not isinstance(length, int):
            raise TypeError("length must be an int")
        if not 43 <= length <= 128:
            raise ValueError("the PKCE verifier length must be between 43 and 128")
        code_verifier = "".join(secrets.choice(PKCE_ALPHABET) for _ in range(length))
    elif not isinstance(code_verifier, str) or not PKCE_VERIFIER_RE.fullmatch(code_verifier):
        raise ValueError("code_verifier must be 43-128 characters of [A-Za-z0-9._~-]")
    return PkceParams(code_verifier=code_verifier, code_challenge=pkce_challenge(code_verifier))


# --- token-endpoint forms -------------------------------------------------------------------


def _reveal(secret: Secret | str | None) -> str:
    if secret is None:
        return ""
    return secret.reveal() if isinstance(secret, Secret) else secret


def code_exchange_form(
    config: AuthConfig, code: str, redirect_uri: str, options: AuthenticationOptions | None
) -> dict[str, str]:
    """The form of ``grant_type=authorization_code``.

    Raises:
        CodeRequiredError: ``code`` is empty.
        RedirectUriRequiredError: ``redirect_uri`` is empty.
    """
    if not code or not isinstance(code, str):
        raise CodeRequiredError("code is required")
    if not redirect_uri or not isinstance(redirect_uri, str):
        raise RedirectUriRequiredError("redirect_uri is required")
    if options is not None and not isinstance(options, AuthenticationOptions):
        raise TypeError("options must be an AuthenticationOptions")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": config.client_id,
    }
    secret = _reveal(config.client_secret)
    if secret:
        form["client_secret"] = secret
    if options is not None and options.code_verifier:
        form["code_verifier"] = options.code_verifier
    return form


def refresh_form(config: AuthConfig, refresh_token: str) -> dict[str, str]:
    """The form of ``grant_type=refresh_token``.

    Raises:
        RefreshTokenRequiredError: ``refresh_token`` is empty.
    """
    if not refresh_token or not isinstance(refresh_token, str):
        raise RefreshTokenRequiredError("refresh_token is required")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": config.client_id,
    }
    secret = _reveal(config.client_secret)
    if secret:
        form["client_secret"] = secret
    return form


def client_credentials_form(
    client_id: str, client_secret: Secret | str | None, scopes: Sequence[str] | None
) -> dict[str, str]:
    """The form of ``grant_type=client_credentials``; ``scope`` only when scopes are given.

    Raises:
        ClientIdRequiredError: ``client_id`` is empty.
        ClientSecretRequiredError: ``client_secret`` is empty.
        TypeError: ``scopes`` is not a sequence of str.
    """
    if not client_id or not isinstance(client_id, str):
        raise ClientIdRequiredError("client_id is required")
    secret = client_secret if isinstance(client_secret, (str, Secret)) else None
    if not secret:
        raise ClientSecretRequiredError("client_secret is required")
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": _reveal(secret),
    }
    if scopes is not None:
        if isinstance(scopes, str):
            scopes = [scopes]
        if not all(isinstance(s, str) for s in scopes):
            raise TypeError("scopes must be a sequence of str")
        joined = " ".join(s for s in scopes if s)
        if joined:
            form["scope"] = joined
    return form


# --- shaping replies and claims -------------------------------------------------------------


def _str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def _bool(claims: Mapping[str, Any], name: str) -> bool | None:
    value = claims.get(name)
    return value if isinstance(value, bool) else None


def _strs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _number(claims: Mapping[str, Any], name: str) -> int | float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def access_token_claims(claims: dict[str, Any]) -> AccessTokenClaims:
    exp = _number(claims, "exp")
    return AccessTokenClaims(
        sub=_str(claims, "sub"),
        iss=_str(claims, "iss") or "",
        aud=_strs(claims.get("aud")),
        exp=exp if exp is not None else 0,
        iat=_number(claims, "iat"),
        nbf=_number(claims, "nbf"),
        jti=_str(claims, "jti"),
        client_id=_str(claims, "client_id"),
        organization_id=_str(claims, "oid"),
        session_id=_str(claims, "sid"),
        roles=_strs(claims.get("roles")),
        permissions=_strs(claims.get("permissions")),
        scopes=_granted_scopes(claims) or (),
        claims=MappingProxyType(claims),
    )


def _identity(value: object) -> Identity | None:
    if not isinstance(value, dict):
        return None
    social = value.get("social")
    return Identity(
        connection_id=_str(value, "connection_id"),
        organization_id=_str(value, "organization_id"),
        connection_type=_str(value, "connection_type"),
        provider_name=_str(value, "provider_name"),
        social=social if isinstance(social, bool) else False,
        provider_raw_attributes=value.get("provider_raw_attributes"),
    )


def id_token_claims(claims: dict[str, Any]) -> IdTokenClaims:
    exp = _number(claims, "exp")
    updated_at = claims.get("updated_at")
    if isinstance(updated_at, bool) or not isinstance(updated_at, (str, int, float)):
        updated_at = None
    raw_identities = claims.get("identities")
    identities = tuple(
        identity
        for identity in map(_identity, raw_identities if isinstance(raw_identities, list) else ())
        if identity is not None
    )
    return IdTokenClaims(
        sub=_str(claims, "sub"),
        iss=_str(claims, "iss") or "",
        aud=_strs(claims.get("aud")),
        exp=exp if exp is not None else 0,
        iat=_number(claims, "iat"),
        azp=_str(claims, "azp"),
        amr=_strs(claims.get("amr")),
        organization_id=_str(claims, "oid"),
        session_id=_str(claims, "sid"),
        email=_str(claims, "email"),
        email_verified=_bool(claims, "email_verified"),
        name=_str(claims, "name"),
        given_name=_str(claims, "given_name"),
        family_name=_str(claims, "family_name"),
        preferred_username=_str(claims, "preferred_username"),
        phone_number=_str(claims, "phone_number"),
        phone_number_verified=_bool(claims, "phone_number_verified"),
        picture=_str(claims, "picture"),
        profile=_str(claims, "profile"),
        gender=_str(claims, "gender"),
        birthdate=_str(claims, "birthdate"),
        zoneinfo=_str(claims, "zoneinfo"),
        locale=_str(claims, "locale"),
        updated_at=updated_at,
        identities=identities,
        metadata=claims.get("metadata"),
        claims=MappingProxyType(claims),
    )


def idp_initiated_login_claims(claims: dict[str, Any]) -> IdpInitiatedLoginClaims:
    return IdpInitiatedLoginClaims(
        connection_id=_str(claims, "connection_id"),
        organization_id=_str(claims, "organization_id"),
        login_hint=_str(claims, "login_hint"),
        relay_state=_str(claims, "relay_state"),
        claims=MappingProxyType(claims),
    )


def require_id_token(response: TokenResponse) -> str:
    """The id_token of a code-exchange reply.

    Raises:
        AuthenticationResponseMissingIdTokenError: the reply has none.
    """
    if response.id_token is None:
        raise AuthenticationResponseMissingIdTokenError("authentication response has no id_token")
    return response.id_token.reveal()


def authentication_response(
    response: TokenResponse, id_token: str, claims: dict[str, Any]
) -> AuthenticationResponse:
    user = id_token_claims(claims)
    return AuthenticationResponse(
        user=user,
        id_token=id_token,
        access_token=response.access_token.reveal(),
        refresh_token=response.refresh_token.reveal() if response.refresh_token else None,
        expires_in=response.expires_in,
        organization_id=user.organization_id,
        connection_id=user.amr[0] if user.amr else None,
    )


def refresh_response(response: TokenResponse) -> RefreshTokenResponse:
    return RefreshTokenResponse(
        access_token=response.access_token.reveal(),
        id_token=response.id_token.reveal() if response.id_token else None,
        refresh_token=response.refresh_token.reveal() if response.refresh_token else None,
        expires_in=response.expires_in,
    )


def client_token_response(response: TokenResponse) -> ClientTokenResponse:
    return ClientTokenResponse(
        access_token=response.access_token.reveal(),
        expires_in=response.expires_in,
        token_type=response.token_type,
        scope=response.scope,
    )


def _granted_scopes(claims: Mapping[str, Any]) -> tuple[str, ...] | None:
    # Imported here: _jwt pulls in pyjwt and cryptography, which URL building and form
    # handling do not need.
    from scalekit_grpc.auth._jwt import granted_scopes

    return granted_scopes(claims)
