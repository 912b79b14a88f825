"""Property tests: arbitrary and structured hostile input to the token validator, the webhook
verifier, the URL builders and the option dataclasses raises only documented exceptions.

Example counts are kept small so the module runs in seconds; set
``SCALEKIT_AUTH_PROPERTY_EXAMPLES`` to raise them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from auth_testkit import CLIENT_ID, NOW, Clock, FakeAuthServer, Issuer, b64url
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalekit_grpc.auth import (
    AuthConfig,
    AuthenticationOptions,
    AuthFlows,
    AuthorizationUrlOptions,
    LogoutUrlOptions,
    TokenValidationOptions,
    verify_interceptor_payload,
    verify_webhook_payload,
)
from scalekit_grpc.errors import (
    JWKSUnavailableError,
    RedirectUriRequiredError,
    TokenValidationError,
    WebhookSecretRequiredError,
    WebhookVerificationError,
)

# Small by default so the module runs in seconds; the hardening run sets e.g. 10000.
EXAMPLES = settings(
    max_examples=int(os.environ.get("SCALEKIT_AUTH_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[FakeAuthServer, Issuer, AuthFlows]]:
    server = FakeAuthServer()
    issuer = Issuer(server.url)
    server.set_jwks(issuer.jwks("k1"))
    flows = AuthFlows(AuthConfig(server.url, CLIENT_ID, clock=Clock()))
    assert flows.validate_access_token(issuer.token())
    try:
        yield server, issuer, flows
    finally:
        server.close()


def _validate(flows: AuthFlows, token: Any, options: TokenValidationOptions | None = None) -> None:
    with contextlib.suppress(TokenValidationError):
        flows.validate_token(token, options)
    with contextlib.suppress(TokenValidationError):
        flows.get_access_token_claims(token, options)
    assert flows.validate_access_token(token, options) in (True, False)


# --- the token validator ------------------------------------------------------------------------


@EXAMPLES
@given(token=st.text(max_size=400))
def test_arbitrary_text(env: Any, token: str) -> None:
    _validate(env[2], token)


@EXAMPLES
@given(token=st.binary(max_size=200) | st.none() | st.integers() | st.lists(st.text()))
def test_arbitrary_objects(env: Any, token: Any) -> None:
    _validate(env[2], token)


_B64URL = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60
)


@EXAMPLES
@given(parts=st.lists(_B64URL, min_size=1, max_size=5))
def test_arbitrary_base64url_segments(env: Any, parts: list[str]) -> None:
    _validate(env[2], ".".join(parts))


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_TIME = (
    st.integers(min_value=NOW - 10**6, max_value=NOW + 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _JSON
)


@st.composite
def _tokens(draw: st.DrawFn, issuer: Issuer) -> str:
    header: dict[str, Any] = {
        "alg": draw(st.sampled_from(["RS256", "RS256", "HS256", "none", "RS512", "rs256"])),
        "kid": draw(st.sampled_from(["k1", "k1", "k2", "", "x" * 300]) | _JSON),
    }
    header.update(
        draw(
            st.dictionaries(st.sampled_from(["typ", "cty", "crit", "jku", "x"]), _JSON, max_size=2)
        )
    )
    claims: dict[str, Any] = {}
    for name in ("exp", "nbf", "iat"):
        if draw(st.booleans()):
            claims[name] = draw(_TIME)
    for name, values in (
        ("iss", st.just(issuer.env_url) | _JSON),
        ("aud", st.just([CLIENT_ID]) | _JSON),
        ("scope", st.text(max_size=20) | _JSON),
        ("scopes", st.lists(st.text(max_size=5), max_size=3) | _JSON),
        ("at_hash", _JSON),
    ):
        if draw(st.booleans()):
            claims[name] = draw(values)
    header_bytes = json.dumps(header).encode()
    payload_bytes = json.dumps(claims).encode()
    signing_input = f"{b64url(header_bytes)}.{b64url(payload_bytes)}"
    if draw(st.booleans()):
        signature = issuer.keys["k1"].sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    else:
        signature = draw(st.binary(max_size=300))
    return f"{signing_input}.{b64url(signature)}"


@EXAMPLES
@given(
    data=st.data(),
    leeway=st.integers(min_value=0, max_value=300),
    audience=st.lists(st.text(max_size=5), max_size=2),
    scopes=st.lists(st.text(max_size=5), max_size=2),
)
def test_structured_hostile_tokens(
    env: Any, data: st.DataObject, leeway: int, audience: list[str], scopes: list[str]
) -> None:
    token = data.draw(_tokens(env[1]))
    options = TokenValidationOptions(
        audience=audience, scopes=scopes, leeway=timedelta(seconds=leeway)
    )
    _validate(env[2], token, options)
    assert env[0].count("/keys") <= 2  # unknown kids never storm the endpoint


@EXAMPLES
@given(data=st.data())
def test_mutated_valid_tokens(env: Any, data: st.DataObject) -> None:
    token = env[1].token(jti="mutated")
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.text(min_size=0, max_size=3))
    mutated = token[:position] + replacement + token[position + 1 :]
    if mutated == token:
        return
    with contextlib.suppress(TokenValidationError):
        env[2].validate_token(mutated)


def test_jwks_unavailable_is_the_only_other_exception(env: Any) -> None:
    # Documented outside TokenValidationError; never produced by input alone.
    assert not issubclass(JWKSUnavailableError, TokenValidationError)


# --- the webhook verifier -----------------------------------------------------------------------

_HEADER_NAMES = st.sampled_from(
    [
        "webhook-id",
        "Webhook-Timestamp",
        "WEBHOOK-SIGNATURE",
        "interceptor-id",
        "interceptor-timestamp",
        "interceptor-signature",
        "other",
    ]
)
_HEADER_VALUES = st.text(max_size=40) | st.sampled_from(
    ["1614265330", "msg_1", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v1,!!!", ""]
)
_SECRETS = (
    st.text(max_size=40)
    | st.sampled_from(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!!", "MfKQ9r8GKYqrTwjU"]
    )
    | st.none()
    | st.binary(max_size=10)
)


@EXAMPLES
@given(
    secret=_SECRETS,
    headers=st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=7),
    payload=st.binary(max_size=60) | st.text(max_size=60),
    now=st.floats(min_value=0, max_value=2e9),
)
def test_webhook_verifier_raises_only_verification_errors(
    secret: Any, headers: dict[str, str], payload: Any, now: float
) -> None:
    for verify in (verify_webhook_payload, verify_interceptor_payload):
        with contextlib.suppress(WebhookVerificationError, WebhookSecretRequiredError):
            verify(secret, headers, payload, now=lambda now=now: now)


@EXAMPLES
@given(
    key=st.binary(min_size=1, max_size=64),
    msg_id=st.text(min_size=1, max_size=30).filter(
        lambda s: "." not in s and s.strip() == s and s.isprintable()
    ),
    timestamp=st.integers(min_value=0, max_value=10**12 - 1),
    body=st.binary(max_size=100),
)
def test_valid_signatures_always_verify(
    key: bytes, msg_id: str, timestamp: int, body: bytes
) -> None:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v2,xx v1," + base64.b64encode(mac).decode(),
    }
    secret = "whsec_" + base64.b64encode(key).decode()
    assert verify_webhook_payload(secret, headers, body, now=lambda: float(timestamp))
    flipped = bytes([body[0] ^ 1]) + body[1:] if body else b"x"
    with pytest.raises(WebhookVerificationError):
        verify_webhook_payload(secret, headers, flipped, now=lambda: float(timestamp))


# --- URL builders and option dataclasses --------------------------------------------------------

_OPTIONAL_TEXT = st.none() | st.text(max_size=30)
_ANY = st.none() | st.text(max_size=10) | st.integers() | st.lists(st.text(max_size=5), max_size=3)


@EXAMPLES
@given(
    redirect=st.text(max_size=40),
    fields=st.fixed_dictionaries(
        {},
        optional={
            name: _OPTIONAL_TEXT
            for name in (
                "state",
                "nonce",
                "login_hint",
                "domain_hint",
                "connection_id",
                "organization_id",
                "provider",
                "prompt",
            )
        },
    ),
    scopes=st.none() | st.lists(st.text(max_size=10), max_size=4),
)
def test_authorization_url_round_trips(
    env: Any, redirect: str, fields: dict[str, str | None], scopes: list[str] | None
) -> None:
    try:
        options = AuthorizationUrlOptions(scopes=scopes, **fields)
        url = env[2].get_authorization_url(redirect, options)
    except (RedirectUriRequiredError, ValueError):
        return
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    assert params["redirect_uri"] == [redirect]
    assert params["response_type"] == ["code"]
    for name, value in fields.items():
        if value:
            assert params[name] == [value]
        else:
            assert name not in params


@EXAMPLES
@given(
    kind=st.sampled_from(
        [TokenValidationOptions, AuthorizationUrlOptions, LogoutUrlOptions, AuthenticationOptions]
    ),
    values=st.dictionaries(
        st.sampled_from(
            [
                "issuer",
                "audience",
                "scopes",
                "leeway",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
                "id_token_hint",
                "post_logout_redirect_uri",
                "code_verifier",
                "prompt",
            ]
        ),
        _ANY | st.just(timedelta(seconds=1)) | st.just(timedelta(days=1)),
        max_size=4,
    ),
)
def test_option_dataclasses_raise_only_type_or_value_errors(
    env: Any, kind: type, values: dict[str, Any]
) -> None:
    accepted = {k: v for k, v in values.items() if k in kind.__dataclass_fields__}
    try:
        options = kind(**accepted)
    except (TypeError, ValueError):
        return
    if isinstance(options, LogoutUrlOptions):
        assert isinstance(env[2].get_logout_url(options), str)
    if isinstance(options, AuthorizationUrlOptions):
        with contextlib.suppress(ValueError):
            assert isinstance(env[2].get_authorization_url("https://app/cb", options), str)
