"""The OAuth token endpoint (``POST {env_url}/oauth/token``): one request, one parsed reply.

Shared by the client-credentials token source of the RPC pipeline and by the OAuth flows (code
exchange, refresh, client tokens). Every failure becomes an `AuthenticationError`; secrets sent in
the form never reach an exception message, even when the server echoes them back.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from scalekit_grpc import _http
from scalekit_grpc._types import Secret
from scalekit_grpc.errors import (
    AuthenticationError,
    AuthenticationResponseMissingAccessTokenError,
)

# Go SDK parity: error bodies are capped at 8 KiB in exception text.
_MAX_ERROR_BODY = 8 * 1024
# Used when the server omits or garbles expires_in; short enough to be safe, and a 401 still
# triggers a refresh.
DEFAULT_EXPIRES_IN = 300


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token-endpoint reply. Token fields are `Secret`s."""

    access_token: Secret
    expires_in: int
    token_type: str = "Bearer"
    id_token: Secret | None = None
    refresh_token: Secret | None = None
    scope: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"TokenResponse(expires_in={self.expires_in}, token_type={self.token_type!r})"


def _encodings(secret: str) -> set[str]:
    """The secret as an error body may echo it: raw, form/URL-encoded or JSON-escaped."""
    return {
        secret,
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def _scrub(text: str, secrets: list[str]) -> str:
    needles = {form for secret in secrets if secret for form in _encodings(secret)}
    # Longest first, so that no replacement leaves part of a longer encoding behind.
    for needle in sorted(needles, key=len, reverse=True):
        text = text.replace(needle, "***")
    return text


def _optional_secret(value: object) -> Secret | None:
    return Secret(value) if isinstance(value, str) and value else None


def post_token_request(
    env_url: str,
    form: Mapping[str, str],
    *,
    timeout: float,
    secret_fields: tuple[str, ...] = ("client_secret", "code", "refresh_token", "code_verifier"),
) -> TokenResponse:
    """POST ``form`` to ``{env_url}/oauth/token`` and parse the JSON reply.

    Raises:
        AuthenticationError: transport failure (``status_code`` None), a non-2xx reply (with
            the status and a body of at most 8 KiB with the secrets scrubbed, also in their
            URL-encoded and JSON-escaped forms), or a 2xx reply that is not a JSON object
            (without its body, which may hold a token).
        AuthenticationResponseMissingAccessTokenError: a 2xx reply without ``access_token``.
    """
    secrets = [form[name] for name in secret_fields if form.get(name)]
    url = f"{env_url.rstrip('/')}/oauth/token"
    try:
        response = _http.request("POST", url, form=form, timeout=timeout)
    except _http.HttpTransportError as exc:
        raise AuthenticationError(f"token request failed: {exc}") from None
    # Scrub first: a secret cut in two by the truncation would escape the scrubbing.
    body = _scrub(response.text(), secrets)[:_MAX_ERROR_BODY]
    if not response.ok:
        raise AuthenticationError(
            f"authentication failed: HTTP {response.status}",
            status_code=response.status,
            body=body,
        )
    payload = response.json_object()
    if payload is None:
        # No body: a 2xx reply from this endpoint may hold a token even when it is garbled.
        raise AuthenticationError(
            f"authentication failed: HTTP {response.status} with a body that is not a JSON object",
            status_code=response.status,
        )
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise AuthenticationResponseMissingAccessTokenError(
            "authentication response has no access_token", status_code=response.status
        )
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        expires_in = DEFAULT_EXPIRES_IN
    token_type = payload.get("token_type")
    scope = payload.get("scope")
    known = {"access_token", "expires_in", "token_type", "id_token", "refresh_token", "scope"}
    return TokenResponse(
        access_token=Secret(access_token),
        expires_in=expires_in,
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        id_token=_optional_secret(payload.get("id_token")),
        refresh_token=_optional_secret(payload.get("refresh_token")),
        scope=scope if isinstance(scope, str) else "",
        extra={k: v for k, v in payload.items() if k not in known},
    )
