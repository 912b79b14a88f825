"""OAuth helpers: authorization and logout URLs, PKCE, the form each grant sends (as received by
the fake token endpoint), preconditions before I/O, reply shaping and ID-token checks. Every
network method runs in both flavours (AuthFlows and AsyncAuthFlows)."""

from __future__ import annotations

import base64
import hashlib
import inspect
import string
import time
import urllib.parse
from collections import Counter
from typing import Any

import pytest
from auth_testkit import CLIENT_ID, CLIENT_SECRET, DROP, NOW, FakeAuthServer, Issuer

from scalekit_grpc.auth import (
    AsyncAuthFlows,
    AuthConfig,
    AuthenticationOptions,
    AuthFlows,
    AuthorizationUrlOptions,
    LogoutUrlOptions,
    generate_pkce,
)
from scalekit_grpc.errors import (
    AuthenticationError,
    AuthenticationResponseMissingAccessTokenError,
    AuthenticationResponseMissingIdTokenError,
    ClientIdRequiredError,
    ClientSecretRequiredError,
    CodeRequiredError,
    EnvironmentUrlRequiredError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidTokenTypeError,
    RedirectUriRequiredError,
    RefreshTokenRequiredError,
    TokenExpiredError,
)

REDIRECT = "https://app.example.com/callback?x=1&y=a b"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _flows(flavour: str, config: AuthConfig) -> AuthFlows | AsyncAuthFlows:
    return AuthFlows(config) if flavour == "sync" else AsyncAuthFlows(config)


async def call(flows: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(flows, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


@pytest.fixture
def any_flows(flavour: str, config: AuthConfig, issuer: Issuer) -> AuthFlows | AsyncAuthFlows:
    return _flows(flavour, config)


def _query(url: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)


# --- authorization URL --------------------------------------------------------------------------


def test_authorization_url_defaults(flows: AuthFlows, server: FakeAuthServer) -> None:
    url = flows.get_authorization_url("https://app.example.com/cb")
    assert url == (
        f"{server.url}/oauth/authorize?response_type=code&client_id={CLIENT_ID}"
        "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20profile%20email"
    )


def test_authorization_url_all_options(flows: AuthFlows, server: FakeAuthServer) -> None:
    pkce = generate_pkce()
    options = AuthorizationUrlOptions(
        scopes=["openid", "offline_access"],
        state="st&ate=1",
        nonce="n-0",
        login_hint="ada+1@example.com",
        domain_hint="example.com",
        connection_id="conn_1",
        organization_id="org_1",
        code_challenge=pkce.code_challenge,
        provider="google",
        prompt="login",
    )
    url = flows.get_authorization_url(REDIRECT, options)
    assert url.startswith(f"{server.url}/oauth/authorize?")
    assert _query(url) == [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
        ("state", "st&ate=1"),
        ("nonce", "n-0"),
        ("login_hint", "ada+1@example.com"),
        ("domain_hint", "example.com"),
        ("domain", "example.com"),
        ("connection_id", "conn_1"),
        ("organization_id", "org_1"),
        ("code_challenge", pkce.code_challenge),
        ("code_challenge_method", "S256"),
        ("provider", "google"),
        ("prompt", "login"),
    ]
    assert " " not in url
    assert "+" not in url.split("?", 1)[1].replace("%2B", "")


def test_authorization_url_omits_empty_values_and_encodes_unicode(flows: AuthFlows) -> None:
    options = AuthorizationUrlOptions(scopes=[], state="", nonce=None, login_hint="zoë@例え.jp")
    params = dict(_query(flows.get_authorization_url("https://app.example.com/cb", options)))
    assert params["scope"] == "openid profile email"
    assert "state" not in params
    assert "nonce" not in params
    assert "code_challenge_method" not in params
    assert params["login_hint"] == "zoë@例え.jp"


def test_authorization_url_preconditions(flows: AuthFlows) -> None:
    with pytest.raises(RedirectUriRequiredError):
        flows.get_authorization_url("")
    with pytest.raises(ValueError):
        AuthorizationUrlOptions(code_challenge="x" * 43, code_challenge_method="plain")
    with pytest.raises(ValueError):
        AuthorizationUrlOptions(code_challenge="short")
    with pytest.raises(TypeError):
        AuthorizationUrlOptions(state=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        flows.get_authorization_url("https://x/\ud800")


async def test_async_url_builders_are_plain_methods(aflows: AsyncAuthFlows) -> None:
    url = aflows.get_authorization_url("https://app.example.com/cb")
    assert isinstance(url, str)
    assert aflows.get_logout_url().endswith("/oidc/logout")


# --- logout URL ---------------------------------------------------------------------------------


def test_logout_url(flows: AuthFlows, server: FakeAuthServer) -> None:
    assert flows.get_logout_url() == f"{server.url}/oidc/logout"
    assert flows.get_logout_url(LogoutUrlOptions()) == f"{server.url}/oidc/logout"
    assert flows.get_logout_url(LogoutUrlOptions(state="")) == f"{server.url}/oidc/logout"
    url = flows.get_logout_url(
        LogoutUrlOptions(
            id_token_hint="a.b.c", post_logout_redirect_uri="https://app/bye?x=1", state="s 1"
        )
    )
    assert url == (
        f"{server.url}/oidc/logout?id_token_hint=a.b.c"
        "&post_logout_redirect_uri=https%3A%2F%2Fapp%2Fbye%3Fx%3D1&state=s%201"
    )


# --- PKCE ---------------------------------------------------------------------------------------


def test_pkce_rfc7636_vector() -> None:
    pkce = generate_pkce(code_verifier=VERIFIER)
    assert pkce.code_challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.code_challenge_method == "S256"


def test_pkce_generated() -> None:
    alphabet = set(string.ascii_letters + string.digits + "-._~")
    pkce = generate_pkce()
    assert len(pkce.code_verifier) == 64
    assert set(pkce.code_verifier) <= alphabet
    digest = hashlib.sha256(pkce.code_verifier.encode()).digest()
    assert pkce.code_challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert "=" not in pkce.code_challenge
    assert len(generate_pkce(43).code_verifier) == 43
    assert len(generate_pkce(128).code_verifier) == 128
    assert generate_pkce().code_verifier != pkce.code_verifier
    assert pkce.code_verifier not in repr(pkce)


def test_pkce_alphabet_is_used_uniformly() -> None:
    counts = Counter("".join(generate_pkce(128).code_verifier for _ in range(400)))
    assert len(counts) == 66
    expected = 400 * 128 / 66
    assert all(0.7 * expected < n < 1.3 * expected for n in counts.values())


@pytest.mark.parametrize("length", [0, 42, 129, -1])
def test_pkce_bad_length(length: int) -> None:
    with pytest.raises(ValueError):
        generate_pkce(length)


@pytest.mark.parametrize("verifier", ["short", "a" * 129, "a" * 42 + "!", "é" * 50])
def test_pkce_bad_supplied_verifier(verifier: str) -> None:
    with pytest.raises(ValueError):
        generate_pkce(code_verifier=verifier)


# --- authorization-code exchange ----------------------------------------------------------------


def _reply(issuer: Issuer, **overrides: Any) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "access_token": issuer.token(),
        "id_token": issuer.id_token(),
        "refresh_token": "rt_abc",
        "expires_in": 299,
        "token_type": "Bearer",
    }
    reply.update(overrides)
    return {k: v for k, v in reply.items() if v is not DROP}


async def test_authenticate_with_code_form_and_result(
    any_flows: Any, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.token_reply = _reply(issuer)
    result = await call(
        any_flows,
        "authenticate_with_code",
        "code_123",
        REDIRECT,
        AuthenticationOptions(code_verifier=VERIFIER),
    )
    assert server.token_forms == [
        {
            "grant_type": "authorization_code",
            "code": "code_123",
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": VERIFIER,
        }
    ]
    assert result.user.sub == "usr_123"
    assert result.user.email == "ada@example.com"
    assert result.user.email_verified is True
    assert (result.user.given_name, result.user.family_name) == ("Ada", "Lovelace")
    assert result.user.identities[0].connection_id == "conn_42"
    assert result.user.identities[0].social is False
    assert result.user.claims["at_hash"] == "HK6E_P6Dh8Y93mRNtsDB1Q"
    assert result.id_token == server.token_reply["id_token"]  # type: ignore[index]
    assert result.access_token == server.token_reply["access_token"]  # type: ignore[index]
    assert result.refresh_token == "rt_abc"
    assert result.expires_in == 299
    assert result.organization_id == "org_1"
    assert result.connection_id == "conn_42"


async def test_public_client_sends_no_secret_and_no_empty_verifier(
    flavour: str, config: AuthConfig, issuer: Issuer, server: FakeAuthServer
) -> None:
    from dataclasses import replace

    flows = _flows(flavour, replace(config, client_secret=None))
    server.token_reply = _reply(issuer, refresh_token=DROP)
    result = await call(flows, "authenticate_with_code", "c", "https://app/cb")
    assert server.token_forms == [
        {
            "grant_type": "authorization_code",
            "code": "c",
            "redirect_uri": "https://app/cb",
            "client_id": CLIENT_ID,
        }
    ]
    assert result.refresh_token is None
    await call(flows, "authenticate_with_code", "c", "https://app/cb", AuthenticationOptions())
    assert "code_verifier" not in server.token_forms[-1]


@pytest.mark.parametrize(
    ("args", "error"),
    [(("", REDIRECT), CodeRequiredError), (("code", ""), RedirectUriRequiredError)],
)
async def test_code_exchange_preconditions_before_io(
    any_flows: Any, server: FakeAuthServer, args: tuple[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(any_flows, "authenticate_with_code", *args)
    assert server.count("/oauth/token") == 0


async def test_code_exchange_missing_id_token(
    any_flows: Any, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.token_reply = _reply(issuer, id_token=DROP)
    with pytest.raises(AuthenticationResponseMissingIdTokenError):
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)
    server.token_reply = _reply(issuer, access_token=DROP)
    with pytest.raises(AuthenticationResponseMissingAccessTokenError):
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"aud": ["skc_other"]}, InvalidAudienceError),
        ({"aud": [CLIENT_ID, "skc_other"], "azp": "skc_other"}, InvalidAudienceError),
        ({"aud": [CLIENT_ID, "skc_other"], "azp": DROP}, InvalidAudienceError),
        ({"azp": "skc_other"}, InvalidAudienceError),
        ({"exp": NOW}, TokenExpiredError),
        ({"client_id": CLIENT_ID}, InvalidTokenTypeError),
    ],
)
async def test_code_exchange_validates_the_id_token(
    any_flows: Any,
    issuer: Issuer,
    server: FakeAuthServer,
    overrides: dict[str, Any],
    error: type[Exception],
) -> None:
    server.token_reply = _reply(issuer, id_token=issuer.id_token(**overrides))
    with pytest.raises(error):
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)


async def test_access_token_offered_as_id_token_is_refused(
    any_flows: Any, issuer: Issuer, server: FakeAuthServer
) -> None:
    server.token_reply = _reply(issuer, id_token=issuer.token())
    with pytest.raises(InvalidTokenTypeError):
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)
    server.token_reply = _reply(issuer, id_token=issuer.token(headers={"typ": "at+jwt"}))
    with pytest.raises(InvalidTokenTypeError):
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)


async def test_code_exchange_nonce(any_flows: Any, issuer: Issuer, server: FakeAuthServer) -> None:
    server.token_reply = _reply(issuer, id_token=issuer.id_token(nonce="n-1"))
    ok = await call(
        any_flows, "authenticate_with_code", "c", REDIRECT, AuthenticationOptions(nonce="n-1")
    )
    assert ok.user.sub == "usr_123"
    with pytest.raises(InvalidClaimError):
        await call(
            any_flows, "authenticate_with_code", "c", REDIRECT, AuthenticationOptions(nonce="n-2")
        )
    server.token_reply = _reply(issuer)
    with pytest.raises(InvalidClaimError):
        await call(
            any_flows, "authenticate_with_code", "c", REDIRECT, AuthenticationOptions(nonce="n-1")
        )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, b'{"error":"invalid_client"}'),
        (400, b'{"error":"invalid_grant"}'),
        (500, b"oops"),
        (503, b""),
        (200, b"not json"),
        (200, b"[1]"),
    ],
)
async def test_token_endpoint_failures(
    any_flows: Any, server: FakeAuthServer, status: int, body: bytes
) -> None:
    server.token_status = status
    server.token_reply = body
    with pytest.raises(AuthenticationError) as info:
        await call(any_flows, "authenticate_with_code", "c", REDIRECT)
    assert info.value.status_code == status
    assert server.count("/oauth/token") == 1


async def test_token_endpoint_hang_is_bounded(
    flavour: str, config: AuthConfig, server: FakeAuthServer
) -> None:
    from dataclasses import replace

    flows = _flows(flavour, replace(config, http_timeout=0.3))
    server.token_mode = "hang"
    start = time.monotonic()
    with pytest.raises(AuthenticationError) as info:
        await call(flows, "refresh_access_token", "rt")
    assert time.monotonic() - start < 2.0
    assert info.value.status_code is None


# --- refresh and client credentials -------------------------------------------------------------


async def test_refresh_access_token(any_flows: Any, issuer: Issuer, server: FakeAuthServer) -> None:
    server.token_reply = _reply(issuer, refresh_token="rt_new", expires_in=120)
    result = await call(any_flows, "refresh_access_token", "rt_old")
    assert server.token_forms == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "rt_old",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert result.refresh_token == "rt_new"
    assert result.id_token == server.token_reply["id_token"]  # type: ignore[index]
    assert result.expires_in == 120
    with pytest.raises(RefreshTokenRequiredError):
        await call(any_flows, "refresh_access_token", "")
    assert server.count("/oauth/token") == 1


async def test_generate_client_token(any_flows: Any, server: FakeAuthServer) -> None:
    server.token_reply = {"access_token": "m2m", "expires_in": 3600, "scope": "usr:read"}
    result = await call(
        any_flows, "generate_client_token", "skc_m2m", "m2m-secret", ["usr:read", "usr:write"]
    )
    assert server.token_forms[-1] == {
        "grant_type": "client_credentials",
        "client_id": "skc_m2m",
        "client_secret": "m2m-secret",
        "scope": "usr:read usr:write",
    }
    assert (result.access_token, result.expires_in, result.scope) == ("m2m", 3600, "usr:read")
    await call(any_flows, "generate_client_token", "skc_m2m", "m2m-secret")
    assert "scope" not in server.token_forms[-1]
    for args, error in [
        (("", "s"), ClientIdRequiredError),
        (("id", ""), ClientSecretRequiredError),
    ]:
        with pytest.raises(error):
            await call(any_flows, "generate_client_token", *args)
    assert server.count("/oauth/token") == 2


async def test_get_client_access_token(
    flavour: str, config: AuthConfig, server: FakeAuthServer
) -> None:
    from dataclasses import replace

    server.token_reply = {"access_token": "own", "expires_in": 60}
    assert await call(_flows(flavour, config), "get_client_access_token") == "own"
    assert server.token_forms == [
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    ]
    public = _flows(flavour, replace(config, client_secret=None))
    with pytest.raises(ClientSecretRequiredError):
        await call(public, "get_client_access_token")
    assert server.count("/oauth/token") == 1


async def test_validation_methods_in_both_flavours(
    any_flows: Any, issuer: Issuer, server: FakeAuthServer
) -> None:
    token = issuer.token()
    assert (await call(any_flows, "validate_token", token))["sub"] == "usr_123"
    assert await call(any_flows, "validate_access_token", token) is True
    assert await call(any_flows, "validate_access_token", token + "x") is False
    claims = await call(any_flows, "get_access_token_claims", token)
    assert claims.organization_id == "org_1"
    idp = await call(any_flows, "get_idp_initiated_login_claims", issuer.token(relay_state="/r"))
    assert idp.relay_state == "/r"
    assert server.count("/keys") == 1


def test_config_validation(server: FakeAuthServer) -> None:
    config = AuthConfig(f"{server.url}/", CLIENT_ID, CLIENT_SECRET)  # type: ignore[arg-type]
    assert config.env_url == server.url
    assert config.expected_issuer == server.url
    assert CLIENT_SECRET not in repr(config)
    with pytest.raises(EnvironmentUrlRequiredError):
        AuthConfig("", CLIENT_ID)
    with pytest.raises(ClientIdRequiredError):
        AuthConfig(server.url, "")
    with pytest.raises(ValueError):
        AuthConfig(server.url, CLIENT_ID, http_timeout=0)
    with pytest.raises(TypeError):
        AuthFlows("not a config")  # type: ignore[arg-type]


def test_plain_http_only_for_loopback() -> None:
    from scalekit_grpc._config import InsecureTransportError

    for url in ("http://127.0.0.1:8080", "http://localhost", "http://[::1]:9000"):
        assert AuthConfig(url, CLIENT_ID).env_url == url
    with pytest.raises(InsecureTransportError):
        AuthConfig("http://acme.scalekit.dev", CLIENT_ID)
    assert AuthConfig("http://acme.scalekit.dev", CLIENT_ID, allow_insecure=True)
    assert AuthConfig("https://acme.scalekit.dev/", CLIENT_ID).env_url == (
        "https://acme.scalekit.dev"
    )
    with pytest.raises(EnvironmentUrlRequiredError):
        AuthConfig("ftp://acme.scalekit.dev", CLIENT_ID)
