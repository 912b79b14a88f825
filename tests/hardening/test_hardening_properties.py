"""Property tests at issue-8 scale: at least ``SCALEKIT_HYPOTHESIS_EXAMPLES`` (10,000 by default)
generated inputs for each of

* the token validator (``validate_token``, ``get_access_token_claims``,
  ``validate_access_token``),
* the webhook and interceptor verifiers (headers, secret, body, clock),
* ``get_authorization_url`` with arbitrary `AuthorizationUrlOptions`,
* every options dataclass of `scalekit_grpc.options` and of `scalekit_grpc.auth`, built from
  arbitrary values,

raising only the documented exception types. Each property also checks the positive side with an
independent oracle (an accepted token really is valid, an accepted webhook really is signed, an
options object that could be built always converts to its request), and counts its examples so
that the run proves the number of inputs it claims.

Everything runs offline after one JWKS fetch (the clock is frozen, so unknown kids never refetch).
`tests/auth/test_auth_properties.py` covers the auth surfaces with 100 examples each; this module
is the high-volume run, with wider strategies and the service options too.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import inspect
import json
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from auth_testkit import CLIENT_ID, NOW, Clock, FakeAuthServer, Issuer, b64url, jwk_of
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from hardening_kit import HYPOTHESIS_EXAMPLES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm

from scalekit_grpc import options as service_options
from scalekit_grpc._types import Secret
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
from scalekit_grpc.auth import _oauth as auth_oauth
from scalekit_grpc.errors import (
    RedirectUriRequiredError,
    TokenValidationError,
    WebhookSecretRequiredError,
    WebhookVerificationError,
)
from scalekit_grpc.services import connections, directories, domains, sessions, tokens

pytestmark = pytest.mark.timeout(300)

PROFILE = settings(
    max_examples=HYPOTHESIS_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# --- shared value pools -----------------------------------------------------------------------
#
# Hypothesis costs ~0.1 ms per draw here, so 10,000 examples per property only fit the time
# budget with few draws per example. The strategies therefore draw mostly *indices into pools* of
# hostile values (one cheap draw each, still shrinkable) plus a few free-form text/bytes draws.

MISSING: Any = object()  # "leave this key out"
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=24)  # lone surrogates too
# fmt: off
POOL_VALUES: list[Any] = [
    None, None, None, None, "", "a", " ", "é", "\ud800", "a\x00b", "x" * 300, "😀", "\u0131",
    "ACTIVE", "active", "S256", "s256", "plain", "https://app.example/cb", "bogus",
    "ORGANIZATION_DOMAIN", "organization_domain", "OKTA", "scim", "OIDC", "draft", "all",
    "A" * 43, "a-b.c_d~" * 16, "A" * 42, "A" * 129,
    0, 1, -1, 7, 2**31 - 1, 2**31, 2**32, 2**63, -(2**63), True, False, 1.5,
    float("nan"), float("inf"), b"", b"x", bytearray(b"a"),
    [], ["a"], ["ACTIVE", "EXPIRED"], ["\ud800"], [1], ("a",), {"a": "b"}, {"a": 1}, {1: "a"},
    {"\ud800": "x"}, set(), frozenset({"a"}),
    datetime(2030, 1, 1), datetime(2030, 1, 1, tzinfo=timezone.utc),
    datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(1, 1, 1, tzinfo=timezone.utc),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    timedelta(0), timedelta(seconds=30), timedelta(minutes=6), timedelta(seconds=-1),
    Secret("s3cr3t"), object(), str, ...,
    *service_options.DomainType, *service_options.ConnectionStatus,
    *list(service_options.ConnectionType)[:4], *service_options.DirectoryType,
    *list(service_options.DirectoryProvider)[:3],
    service_options.UserSessionFilter(), service_options.UserSessionFilter(status=["A"]),
]
# fmt: on
FREE_TEXT: Any = object()  # "draw an arbitrary text here"
FREE_INT: Any = object()  # "draw an arbitrary integer here"
# One value in ten is free-form rather than from the pool.
VALUE_CHOICES: list[Any] = POOL_VALUES + [FREE_TEXT] * 8 + [FREE_INT] * 4
FREE_INTS = st.integers()


def picks(*pools: Sequence[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """One item from each pool, chosen by a single fixed-size byte-string draw.

    Hypothesis costs ~0.15 ms per draw on this machine, so choosing 10 things with 10
    ``sampled_from`` draws would blow the time budget of a 10,000-example run. Two bytes per
    pool, read as an index, are close to uniform, and shrinking the bytes towards zero shrinks
    every choice towards the first item of its pool.
    """
    sizes = [len(pool) for pool in pools]
    assert all(0 < size <= 65536 for size in sizes)

    def decode(raw: bytes) -> tuple[Any, ...]:
        return tuple(
            pool[int.from_bytes(raw[2 * i : 2 * i + 2], "big") % size]
            for i, (pool, size) in enumerate(zip(pools, sizes, strict=True))
        )

    return st.binary(min_size=2 * len(pools), max_size=2 * len(pools)).map(decode)


def free(draw: st.DrawFn, value: Any) -> Any:
    """Replace the FREE_* sentinels by an arbitrary drawn value."""
    if value is FREE_TEXT:
        return draw(ANY_TEXT)
    if value is FREE_INT:
        return draw(FREE_INTS)
    return value


def _counted(run: Callable[[], None], counter: list[int]) -> None:
    run()
    assert counter[0] >= HYPOTHESIS_EXAMPLES, f"only {counter[0]} examples ran"


# --- the token validator ------------------------------------------------------------------------

EC_KEY = ec.generate_private_key(ec.SECP256R1())
ES256 = ECAlgorithm(ECAlgorithm.SHA256)
_EVIL_JWK = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}
# fmt: off
_ALGS: list[Any] = [
    "RS256", "RS256", "ES256", "ES256", "ES256", "RS384", "PS256", "ES384", "HS256", "HS512",
    "none", "None", "NONE", "rs256", "RS256 ", "", None, 256, ["RS256"], {"a": 1}, MISSING,
]
_KIDS: list[Any] = [
    "k1", "k1", "e1", "e1", "e1", "k2", "", "x" * 257, "k1\n", "k1\x00", "../../etc/passwd",
    None, 1, ["k1"], {}, MISSING,
]
_HEADER_EXTRAS: list[dict[str, Any]] = [
    {}, {}, {}, {}, {"typ": "JWT"}, {"typ": "at+jwt"}, {"typ": "id_token+jwt"}, {"typ": 1},
    {"cty": "JWT"}, {"crit": ["exp"]}, {"crit": []}, {"crit": "b64"}, {"jku": "https://evil"},
    {"jwk": _EVIL_JWK}, {"x5u": "https://evil"}, {"x5c": ["MIIB"]}, {"x5t": "a"},
    {"b64": False}, {"zip": "DEF"}, {"typ": "JWT", "extra": [1, {"b": None}]},
]
# fmt: on
HEADERS = [
    {k: v for k, v in (("alg", alg), ("kid", kid)) if v is not MISSING} | extra
    for alg in _ALGS
    for kid in _KIDS
    for extra in _HEADER_EXTRAS
]
# fmt: off
_TIMES: list[Any] = [
    NOW + 3600, NOW + 3600, NOW + 1, NOW, NOW - 1, NOW - 300, NOW + 10**6, NOW + 0.5, 1.8e9,
    0, -1, 2**63, 2**64 + 1, float("inf"), float("-inf"), float("nan"), "1796302738", "soon",
    None, [NOW + 60], {}, True, MISSING, MISSING,
]
_NBF_IAT: list[tuple[Any, Any]] = [
    (MISSING, MISSING), (MISSING, MISSING), (NOW - 10, NOW - 10), (NOW + 10, MISSING),
    (MISSING, NOW + 10), (NOW, NOW), ("0", MISSING), (MISSING, [1]), (None, None),
    (float("nan"), MISSING), (NOW + 299, NOW + 301), (True, False),
]
_ISS: list[Any] = [
    "ENV", "ENV", "ENV", "ENV/", "urn:", "https://evil.example", None, ["ENV"], 5, MISSING,
]
_AUD: list[Any] = [
    [CLIENT_ID], CLIENT_ID, [CLIENT_ID, 5], [], 5, ["api://x"], None, MISSING, MISSING,
]
_CLAIM_EXTRAS: list[dict[str, Any]] = [
    {}, {}, {"scope": "read write"}, {"scopes": ["read"]}, {"scope": ["read"]},
    {"scopes": "read"}, {"at_hash": "x"}, {"nonce": "n"}, {"client_id": CLIENT_ID},
    {"azp": "other"}, {"sub": {"deep": [[[]]]}}, {"roles": "admin", "permissions": [1]},
]
# fmt: on
TIME_SETS = [(exp, nbf, iat) for exp in _TIMES for nbf, iat in _NBF_IAT]
CLAIM_SETS = [(iss, aud, extra) for iss in _ISS for aud in _AUD for extra in _CLAIM_EXTRAS]
_TWISTS = ["", "", "", "", "dup", "nest", "nul", "bom", "junk", "non-utf8", "array", "null"]
_SIG_MODES = ["sign", "sign", "sign", "flip", "random", "empty", "short"]
_FRAMINGS = ["", "", "", "", "", "=", "==", " ", "\n", ".", ".AAAA", "Bearer ", "é", "\t"]


def _twisted(value: dict[str, Any], twist: str) -> bytes:
    raw = json.dumps(value, allow_nan=True).encode()
    if twist == "dup" and value:
        key = next(iter(value))
        raw = raw[:-1] + b", " + json.dumps(key).encode() + b': "dup"}'
    elif twist == "nest":
        raw = raw[:-1] + b', "n": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    elif twist == "nul":
        raw += b"\x00"
    elif twist == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif twist == "junk":
        raw += b"}"
    elif twist == "non-utf8":
        raw = raw[:-1] + b', "x": "\xff"}'
    elif twist == "array":
        raw = b"[" + raw + b"]"
    elif twist == "null":
        raw = b"null"
    return raw


@pytest.fixture(scope="module")
def token_env() -> Iterator[tuple[FakeAuthServer, Issuer, AuthFlows]]:
    fake = FakeAuthServer()
    issuer = Issuer(fake.url)
    ec_jwk = json.loads(ES256.to_jwk(EC_KEY.public_key()))
    ec_jwk.update({"kid": "e1", "use": "sig", "alg": "ES256"})
    fake.set_jwks({"keys": [jwk_of(issuer.keys["k1"], "k1"), ec_jwk]})
    flows = AuthFlows(AuthConfig(fake.url, CLIENT_ID, clock=Clock(), algorithms=("RS256", "ES256")))
    assert flows.validate_access_token(issuer.token())
    try:
        yield fake, issuer, flows
    finally:
        fake.close()


def _sign(alg: Any, signing_input: bytes, issuer: Issuer) -> bytes:
    if alg == "RS256":
        return issuer.keys["k1"].sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return ES256.sign(signing_input, EC_KEY)


def _token(issuer: Issuer, parts: tuple[Any, ...]) -> str:
    header, (exp, nbf, iat), (iss, aud, extra), twist_h, twist_p, sig_mode, noise, framing = parts
    env = issuer.env_url
    iss = {"ENV": env, "ENV/": env + "/"}.get(iss, iss) if isinstance(iss, str) else iss
    iss = [env] if iss == ["ENV"] else iss
    claims = {
        name: value
        for name, value in (("exp", exp), ("nbf", nbf), ("iat", iat), ("iss", iss), ("aud", aud))
        if value is not MISSING
    } | extra
    signing_input = f"{b64url(_twisted(header, twist_h))}.{b64url(_twisted(claims, twist_p))}"
    if sig_mode in ("sign", "flip", "short"):
        signature = _sign(header.get("alg"), signing_input.encode(), issuer)
        if sig_mode == "flip":
            at = noise[0] % len(signature) if noise else 0
            signature = signature[:at] + bytes([signature[at] ^ 1]) + signature[at + 1 :]
        elif sig_mode == "short":
            signature = signature[:-1]
    elif sig_mode == "random":
        signature = noise
    else:
        signature = b""
    token = f"{signing_input}.{b64url(signature)}"
    return framing + token if framing == "Bearer " else token + framing


def _structured(issuer: Issuer) -> st.SearchStrategy[str]:
    parts = picks(HEADERS, TIME_SETS, CLAIM_SETS, _TWISTS, _TWISTS, _SIG_MODES, _FRAMINGS)
    return st.tuples(parts, st.binary(max_size=300)).map(
        lambda drawn: _token(issuer, (*drawn[0][:6], drawn[1], drawn[0][6]))
    )


_INSERTS = ["", "=", ".", "-", "_", "+", "/", " ", "A", "é", "..", "\x00", FREE_TEXT]


def _mutated(valid: list[str]) -> st.SearchStrategy[str]:
    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        token, position, cut, insert = draw(picks(valid, range(2000), range(4), _INSERTS))
        position %= len(token) + 1
        return token[:position] + free(draw, insert) + token[position + cut :]

    return mutate()


def _token_strategy(issuer: Issuer, valid: list[str]) -> st.SearchStrategy[Any]:
    structured = _structured(issuer)
    return st.one_of(
        structured,
        structured,
        structured,
        _mutated(valid),
        st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
            max_size=200,
        ),
        st.text(st.characters(blacklist_categories=()), max_size=300),
        st.sampled_from(POOL_VALUES),
        st.sampled_from(valid),
    )


_VALIDATION_OPTIONS = st.sampled_from(
    [
        None,
        None,
        TokenValidationOptions(),
        TokenValidationOptions(audience=[CLIENT_ID]),
        TokenValidationOptions(audience=["api://x", CLIENT_ID], scopes=["read"]),
        TokenValidationOptions(scopes=["read", "write"]),
        TokenValidationOptions(leeway=timedelta(seconds=300)),
        TokenValidationOptions(leeway=timedelta(seconds=1), issuer="urn:"),
        TokenValidationOptions(issuer="https://evil.example"),
    ]
)


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _accepted_token_is_valid(
    token: Any, issuer: Issuer, options: TokenValidationOptions | None, claims: dict[str, Any]
) -> None:
    """Independent oracle: what the validator accepted is signed by a JWKS key, timely and ours."""
    options = options or TokenValidationOptions()
    assert isinstance(token, str)
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64decode(header_b64))
    payload = json.loads(_b64decode(payload_b64))
    assert payload == claims
    signing_input = f"{header_b64}.{payload_b64}".encode()
    signature = _b64decode(signature_b64)
    assert b64url(signature) == signature_b64  # one spelling only
    if header["alg"] == "RS256":
        assert header["kid"] == "k1"
        issuer.keys["k1"].public_key().verify(
            signature, signing_input, padding.PKCS1v15(), hashes.SHA256()
        )
    else:
        assert (header["alg"], header["kid"]) == ("ES256", "e1")
        assert ES256.verify(signing_input, EC_KEY.public_key(), signature)
    leeway = options.leeway.total_seconds()
    assert type(payload["exp"]) in (int, float)
    assert payload["exp"] > NOW - leeway
    for name in ("nbf", "iat"):
        if name in payload:
            assert type(payload[name]) in (int, float)
            assert payload[name] <= NOW + leeway
    assert payload["iss"] == (options.issuer or issuer.env_url)
    aud = payload.get("aud", [])
    assert isinstance(aud, str) or all(isinstance(a, str) for a in aud)
    if options.audience:
        assert set(options.audience) & ({aud} if isinstance(aud, str) else set(aud))
    assert not set(header) & {"crit", "jku", "jwk", "x5u", "x5c", "x5t", "cty", "b64"}


def test_token_validator_raises_only_token_validation_errors(
    token_env: tuple[FakeAuthServer, Issuer, AuthFlows],
) -> None:
    fake, issuer, flows = token_env
    valid = [
        issuer.token(),
        issuer.token(aud=CLIENT_ID, scope="read write"),
        issuer.token(exp=NOW + 5, nbf=NOW - 5),
        _token(
            issuer,
            (
                {"alg": "ES256", "kid": "e1"},
                (NOW + 60, MISSING, MISSING),
                ("ENV", [CLIENT_ID], {"scopes": ["read"]}),
                "",
                "",
                "sign",
                b"",
                "",
            ),
        ),
    ]
    counter = [0]
    accepted = [0]

    @PROFILE
    @given(token=_token_strategy(issuer, valid), options=_VALIDATION_OPTIONS)
    @example(token=valid[0], options=None)  # so the oracle runs even at tiny example counts
    def check(token: Any, options: TokenValidationOptions | None) -> None:
        counter[0] += 1
        try:
            claims = flows.validate_token(token, options)
        except TokenValidationError:
            pass
        else:
            accepted[0] += 1
            _accepted_token_is_valid(token, issuer, options, claims)
        with contextlib.suppress(TokenValidationError):
            flows.get_access_token_claims(token, options)
        assert flows.validate_access_token(token, options) in (True, False)

    _counted(check, counter)
    print(f"\ntoken validator: {counter[0]} inputs, {accepted[0]} accepted")  # -s shows it
    assert accepted[0] > 0  # the oracle ran on real acceptances too
    assert fake.count("/keys") == 1  # no input ever caused a refetch (frozen clock, cooldown)


# --- the webhook verifiers ----------------------------------------------------------------------

_NOW = 1_700_000_000
# fmt: off
_JUNK_ENTRIES: list[list[str]] = [
    [], [], [], ["v1,"], ["v2,abc"], ["v1,!!!!"], ["v1a,xx", "garbage"], ["v1,a,b"], [""],
    ["v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="], ["v1,abc"], ["v1,YWJj"], ["V1,YWJj"],
    [",", "v1"], ["v1," + "A" * 9000],
]
_SEPARATORS = [" ", " ", "  ", "\t", ", "]
_IDS: list[Any] = [
    "msg_1", "msg_p5jXN8AQM9LWM0D4loKWxJek", "a.b", "msg\x00", "x" * 300, "", "é", "\ud800",
    " msg",
]
_TIMESTAMPS: list[Any] = [
    f"{_NOW}.5", f"+{_NOW}", f" {_NOW}", "nan", "1e300", "", "-1", str(_NOW - 301),
    str(_NOW + 301), "0" * 13, "\u0661\u0662\u0663",
]
# fmt: on
_PREFIXES = ["webhook-", "webhook-", "interceptor-", "svix-", "Webhook-", "WEBHOOK-"]
# Which of id/timestamp/signature are sent (absent, or under some spelling of the name).
_LAYOUTS: list[tuple[str | None, str | None, str | None]] = [
    (i, t, s)
    for i in ("id", "Id", " id", None)
    for t in ("timestamp", "TIMESTAMP", None)
    for s in ("signature", "Signature", "signature ", None)
]
# fmt: off
_EXTRA_HEADERS: list[Any] = [
    {}, {}, {}, {"content-type": "application/json"}, {b"webhook-id": b"msg_1"},
    {"webhook-id": "msg_other"}, {"WEBHOOK-ID": None}, {1: 2}, {"webhook-timestamp": b"\xff"},
]
# fmt: on
_CONTAINERS = ["dict", "dict", "dict", "dict", "dict", "dict", "list", "none", "str"]
_CLOCKS = [(_NOW, 300), (_NOW, 300), (_NOW - 5, 300), (_NOW + 5, 0), (_NOW, 1), (_NOW, 3600)]


def _secret_forms(key: bytes) -> list[Any]:
    """Spellings of the secret for ``key``: four usable ones first, then broken ones."""
    encoded = base64.b64encode(key).decode()
    return [
        "whsec_" + encoded,
        "whsec_" + encoded.rstrip("="),
        encoded,
        Secret("whsec_" + encoded),
        "whsec_" + encoded + "=",
        "whsec_",
        "whsec_!!!!",
        "",
        None,
        5,
        b"whsec_",
    ]


_TIMESTAMP_CHOICES = [str(_NOW + d) for d in range(-400, 401)] + _TIMESTAMPS * 20
_HONEST = [True, False, False, False]
_SECRET_FORMS = list(range(13))  # indices into _secret_forms(key); 11 and 12 mean "any value"
_BODIES = [b"", b'{"type": "event"}', "text body", "é", "\ud800", None, 5, ["x"], FREE_TEXT]
_BODY_KINDS = ["bytes", "bytes", "bytes", "pool"]


@st.composite
def webhook_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A delivery that is valid, nearly valid, or garbage, with the facts the oracle needs.

    One in four is *honest* (a usable secret, all three headers, a well-formed id, a signed body
    and a timestamp near the clock), so that acceptance is common enough for the oracle to
    matter; the rest draw every part from hostile pools.
    """
    (
        honest, form, kind, pooled_body, msg_id, timestamp, signed, entries, at, separator,
        prefix, layout, extra, container, clock, pooled_secret,
    ) = draw(
        picks(
            _HONEST, _SECRET_FORMS, _BODY_KINDS, _BODIES, [*_IDS, FREE_TEXT], _TIMESTAMP_CHOICES,
            [True, False], _JUNK_ENTRIES, range(4), _SEPARATORS, _PREFIXES, _LAYOUTS,
            _EXTRA_HEADERS, _CONTAINERS, _CLOCKS, VALUE_CHOICES,
        )
    )  # fmt: skip
    key, raw_body = draw(_KEY_AND_BODY)
    forms = _secret_forms(key)
    if honest:
        form, kind, msg_id, signed = form % 4, "bytes", _IDS[form % 2], True
        layout, extra, container = _LAYOUTS[0], {}, "dict"
    secret = forms[form] if form < len(forms) else free(draw, pooled_secret)
    body: Any = raw_body if kind == "bytes" else free(draw, pooled_body)
    msg_id = free(draw, msg_id)
    entries = list(entries)
    if signed:
        try:
            raw = body.encode() if isinstance(body, str) else body
            if not isinstance(raw, (bytes, bytearray)):
                raise TypeError("not a payload the verifier accepts")
            data = b"%s.%s." % (msg_id.encode(), timestamp.encode()) + raw
        except (UnicodeEncodeError, TypeError):
            signed = False
        else:
            mac = hmac.new(key, data, hashlib.sha256).digest()
            entries.insert(at % (len(entries) + 1), "v1," + base64.b64encode(mac).decode())
    signature = separator.join(entries)
    headers: dict[Any, Any] = {
        prefix + name: value
        for name, value in zip(layout, (msg_id, timestamp, signature), strict=True)
        if name is not None
    }
    headers.update(extra)
    packed: Any = {"dict": headers, "list": list(headers.items()), "none": None, "str": "headers"}[
        container
    ]
    now, tolerance = clock
    return {
        "secret": secret,
        "headers": packed,
        "body": body,
        "now": float(now),
        "tolerance": tolerance,
        "key": key,
        "signed": signed,
    }


_KEY_AND_BODY = st.tuples(st.binary(min_size=1, max_size=48), st.binary(max_size=64))


def _honest_delivery() -> dict[str, Any]:
    key, msg_id, timestamp, body = b"k" * 24, "msg_1", str(_NOW), b"{}"
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    secret = "whsec_" + base64.b64encode(key).decode()
    return {"secret": secret, "headers": headers, "body": body, "now": float(_NOW),
            "tolerance": 300, "key": key, "signed": True}  # fmt: skip


def test_webhook_verifiers_raise_only_verification_errors() -> None:
    counter = [0]
    accepted = [0]

    @PROFILE
    @given(case=webhook_inputs())
    @example(case=_honest_delivery())
    def check(case: dict[str, Any]) -> None:
        counter[0] += 1
        for verify in (verify_webhook_payload, verify_interceptor_payload):
            try:
                result = verify(
                    case["secret"],
                    case["headers"],
                    case["body"],
                    tolerance=timedelta(seconds=case["tolerance"]),
                    now=lambda: case["now"],
                )
            except (WebhookVerificationError, WebhookSecretRequiredError):
                continue
            # Accepted: then it really was signed with this key, within the tolerance.
            assert result is True
            assert case["signed"]
            secret = case["secret"]
            text = secret.reveal() if isinstance(secret, Secret) else secret
            body = text.removeprefix("whsec_").rstrip("=")
            assert base64.b64decode(body + "=" * (-len(body) % 4)) == case["key"]
            accepted[0] += 1

    _counted(check, counter)
    print(f"\nwebhook verifiers: {counter[0]} inputs, {accepted[0]} accepted")
    assert accepted[0] > 0


# --- get_authorization_url ----------------------------------------------------------------------

_URL_FIELDS = [
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
    "scopes",
]
_REDIRECTS: list[Any] = [
    "https://app.example/cb", "https://app.example/cb?x=1&y=é", "/cb", "", None, 5,
    b"https://x", "\ud800", "a b",
]  # fmt: skip


_MASKS = range(2 ** len(_URL_FIELDS))


@st.composite
def url_inputs(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """A redirect URI and the options fields that are set (a quarter of them, on average)."""
    redirect, mask_a, mask_b, *values = draw(
        picks([*_REDIRECTS, FREE_TEXT], _MASKS, _MASKS, *[VALUE_CHOICES] * len(_URL_FIELDS))
    )
    mask = mask_a & mask_b
    fields = {
        name: free(draw, value)
        for bit, (name, value) in enumerate(zip(_URL_FIELDS, values, strict=True))
        if mask >> bit & 1
    }
    return free(draw, redirect), fields


@pytest.fixture(scope="module")
def url_flows() -> AuthFlows:
    return AuthFlows(AuthConfig("https://acme.scalekit.example", CLIENT_ID))


def test_authorization_url_with_arbitrary_options(url_flows: AuthFlows) -> None:
    counter = [0]
    built = [0]

    @PROFILE
    @given(case=url_inputs())
    @example(case=("https://app.example/cb", {"state": "s", "scopes": ["openid"]}))
    def check(case: tuple[Any, dict[str, Any]]) -> None:
        counter[0] += 1
        redirect, fields = case
        try:
            options = AuthorizationUrlOptions(**fields)
            url = url_flows.get_authorization_url(redirect, options)
        except (RedirectUriRequiredError, TypeError, ValueError):
            return
        built[0] += 1
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://acme.scalekit.example/oauth/authorize"
        )
        params = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        assert params["redirect_uri"] == [redirect]
        assert params["client_id"] == [CLIENT_ID]
        assert params["response_type"] == ["code"]
        scopes = [s for s in options.scopes or () if s] or ["openid", "profile", "email"]
        assert params["scope"] == [" ".join(scopes)]
        for name in _URL_FIELDS[:-1]:
            value = getattr(options, name)
            if name == "code_challenge_method":
                assert params.get(name) == (["S256"] if options.code_challenge else None)
            elif value:
                assert params[name] == [value]
            else:
                assert name not in params
        assert all(len(values) == 1 for values in params.values())

    _counted(check, counter)
    print(f"\nauthorization URL: {counter[0]} inputs, {built[0]} URLs built")
    assert built[0] > 0


# --- every options dataclass --------------------------------------------------------------------

SERVICE_OPTION_CLASSES = [
    cls
    for _, cls in inspect.getmembers(service_options, inspect.isclass)
    if dataclasses.is_dataclass(cls) and cls.__module__ == service_options.__name__
]
AUTH_OPTION_CLASSES = [
    TokenValidationOptions,
    AuthorizationUrlOptions,
    LogoutUrlOptions,
    AuthenticationOptions,
]
OPTION_CLASSES = [*SERVICE_OPTION_CLASSES, *AUTH_OPTION_CLASSES]
MAX_FIELDS = max(len(dataclasses.fields(cls)) for cls in OPTION_CLASSES)

ORG, DIR = "org_1", "dir_1"
# How each service options class becomes its request (the private conversion the services use).
TO_REQUEST: dict[type, Callable[[Any], object]] = {
    service_options.CreateTokenOptions: lambda o: tokens._create_token_request(ORG, o),
    service_options.ListTokensOptions: lambda o: tokens._list_tokens_request(ORG, o),
    service_options.UpdateTokenOptions: lambda o: tokens._update_token_request("tok", o),
    service_options.CreateDomainOptions: lambda o: domains._create_domain_request(ORG, "a.io", o),
    service_options.ListDomainsOptions: lambda o: domains._first_page_request(ORG, o),
    service_options.ListConnectionsOptions: lambda o: (
        connections._list_connections_request(ORG, o),
        connections._list_connections_by_domain_request("a.io", o),
    ),
    service_options.PageOptions: lambda o: connections._list_organization_connections_request(o),
    service_options.SearchOrganizationConnectionsOptions: lambda o: (
        connections._search_organization_connections_request(o)
    ),
    service_options.ListAppConnectionsOptions: lambda o: connections._list_app_connections_request(
        o
    ),
    service_options.CreateDirectoryOptions: lambda o: directories._create_directory_request(ORG, o),
    service_options.ListDirectoryUsersOptions: lambda o: directories._list_users_request(
        ORG, DIR, o
    ),
    service_options.ListDirectoryGroupsOptions: lambda o: directories._list_groups_request(
        ORG, DIR, o
    ),
    service_options.UserSessionFilter: lambda o: sessions._user_sessions_request(
        "usr_1", service_options.UserSessionsOptions(filter=o)
    ),
    service_options.UserSessionsOptions: lambda o: sessions._user_sessions_request("usr_1", o),
}
_AUTH_CONFIG = AuthConfig("https://acme.scalekit.example", CLIENT_ID, client_secret="sek")


def _utf8(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _use_auth_options(options: Any, flows: AuthFlows) -> None:
    """An auth options object that could be built works where it is used."""
    texts = [getattr(options, f.name) for f in dataclasses.fields(options)]
    if isinstance(options, AuthorizationUrlOptions):
        texts += list(options.scopes or ())
    if isinstance(options, LogoutUrlOptions):
        try:
            assert flows.get_logout_url(options).startswith(_AUTH_CONFIG.env_url)
        except ValueError:  # documented: a value that cannot be encoded as UTF-8
            assert not all(map(_utf8, texts))
    elif isinstance(options, AuthorizationUrlOptions):
        try:
            flows.get_authorization_url("https://app.example/cb", options)
        except ValueError:
            assert not all(map(_utf8, texts))
    elif isinstance(options, AuthenticationOptions):
        form = auth_oauth.code_exchange_form(_AUTH_CONFIG, "code", "https://app/cb", options)
        assert form.get("code_verifier") == (options.code_verifier or None)
    else:
        assert isinstance(options, TokenValidationOptions)
        assert timedelta(0) <= options.leeway <= timedelta(minutes=5)
        assert all(isinstance(a, str) for a in (*options.audience, *options.scopes))


@st.composite
def option_values(draw: st.DrawFn) -> tuple[int, list[Any], bool]:
    """One vector of field values applied to *every* options class (field i gets value i when
    bit i of the mask is set), so each example is one generated input for each of the 18
    classes at the cost of one set of draws."""
    masks = range(2**MAX_FIELDS)
    mask_a, mask_b, bogus, *values = draw(
        picks(masks, masks, range(16), *[VALUE_CHOICES] * MAX_FIELDS)
    )
    mask = mask_a & mask_b  # a quarter of the fields set, so that every class is often built
    return mask, [free(draw, v) if mask >> i & 1 else None for i, v in enumerate(values)], not bogus


def test_every_options_dataclass_with_arbitrary_values() -> None:
    assert len(SERVICE_OPTION_CLASSES) == 14
    assert set(TO_REQUEST) == set(SERVICE_OPTION_CLASSES)
    counter = [0]
    built = dict.fromkeys(OPTION_CLASSES, 0)
    flows = AuthFlows(_AUTH_CONFIG)

    @PROFILE
    @given(case=option_values())
    @example(case=(0, [None] * MAX_FIELDS, False))  # every class with its defaults
    def check(case: tuple[int, list[Any], bool]) -> None:
        counter[0] += 1
        mask, values, bogus = case
        for cls in OPTION_CLASSES:
            kwargs = {
                field.name: values[i]
                for i, field in enumerate(dataclasses.fields(cls))
                if mask >> i & 1
            }
            if bogus:
                kwargs["bogus"] = None
            try:
                options = cls(**kwargs)
            except (TypeError, ValueError):
                continue
            built[cls] += 1
            if cls in TO_REQUEST:
                # Built means valid: converting it to the request must not raise at all.
                TO_REQUEST[cls](options)
            else:
                _use_auth_options(options, flows)

    _counted(check, counter)
    names = {cls.__name__: count for cls, count in built.items()}
    print(f"\noptions dataclasses: {counter[0]} inputs per class; built: {names}")
    never = [cls.__name__ for cls, n in built.items() if n == 0]
    assert never == []  # every class was also built successfully, not only refused
