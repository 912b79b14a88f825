"""Authentication helpers: JWT validation against the environment's JWKS, OAuth URLs and PKCE,
code exchange and token refresh, and webhook/interceptor signature verification.

`AuthFlows` and `AsyncAuthFlows` are mixed into `ScalekitClient` and `AsyncScalekitClient`;
the pure helpers (`generate_pkce`, `verify_webhook_payload`, `verify_interceptor_payload`) are
usable on their own.
"""

from scalekit_grpc.auth._flows import AsyncAuthFlows, AuthFlows
from scalekit_grpc.auth._models import (
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
    TokenValidationOptions,
)
from scalekit_grpc.auth._oauth import generate_pkce
from scalekit_grpc.auth._webhooks import (
    WebhookReplayCache,
    verify_interceptor_payload,
    verify_webhook_payload,
)

__all__ = [
    "AccessTokenClaims",
    "AsyncAuthFlows",
    "AuthConfig",
    "AuthFlows",
    "AuthenticationOptions",
    "AuthenticationResponse",
    "AuthorizationUrlOptions",
    "ClientTokenResponse",
    "IdTokenClaims",
    "Identity",
    "IdpInitiatedLoginClaims",
    "LogoutUrlOptions",
    "PkceParams",
    "RefreshTokenResponse",
    "TokenValidationOptions",
    "WebhookReplayCache",
    "generate_pkce",
    "verify_interceptor_payload",
    "verify_webhook_payload",
]
