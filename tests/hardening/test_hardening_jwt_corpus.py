"""The issue-8 hostile-JWT list, token by token: each is rejected with its documented class, in
under 5 ms (median of 5 runs), with 0 JWKS requests when it is structurally invalid.

The corpus itself (84 tokens) lives in ``tests/auth/test_auth_jwt.py`` and is reused here, not
copied. This module adds what issue 8 asks beyond it: a check that every item of the issue's list
is present, and one test per token with its own timing and JWKS-count assertions.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from auth_testkit import CLIENT_ID, Clock, FakeAuthServer, Issuer
from test_auth_jwt import CORPUS, Case

from scalekit_grpc.auth import AuthConfig, AuthFlows
from scalekit_grpc.errors import TokenValidationError

pytestmark = pytest.mark.timeout(60)

# Issue 8's list, item by item, with the corpus cases that cover it.
ISSUE_8_LIST: dict[str, tuple[str, ...]] = {
    "alg none": ("alg-none-literal",),
    "alg None": ("alg-None",),
    "alg HS256": ("hs256-shared-secret",),
    "alg HS512": ("hs512-shared-secret",),
    "HS256 MAC'd with the RSA public key (PEM)": ("hs256-with-rsa-public-pem",),
    "HS256 MAC'd with the RSA public key (JWK bytes)": ("hs256-with-jwk-bytes",),
    "missing kid": ("kid-missing",),
    "unknown kid": ("unknown-kid",),
    "non-string kid": ("kid-int", "kid-list", "kid-null"),
    "exp missing": ("exp-missing",),
    "exp equal to now": ("exp-equals-now",),
    "exp string": ("exp-numeric-string", "exp-not-a-number"),
    "exp null": ("exp-null",),
    "exp list": ("exp-list",),
    "exp dict": ("exp-dict",),
    "exp bool": ("exp-bool",),
    "exp 1e999": ("exp-1e999",),
    "exp NaN": ("exp-nan",),
    "nbf in the future": ("nbf-future",),
    "iat in the future": ("iat-future",),
    "wrong issuer": ("iss-wrong",),
    "missing issuer": ("iss-missing",),
    "trailing-slash issuer": ("iss-trailing-slash",),
    "wrong aud": ("aud-wrong",),
    "missing aud": ("aud-missing",),
    "int aud": ("aud-int",),
    "mixed-type aud": ("aud-mixed",),
    "duplicate JSON keys": ("duplicate-payload-key", "duplicate-header-key"),
    "crit header": ("crit", "crit-b64"),
    "jku header": ("jku",),
    "jwk header": ("jwk",),
    "x5u header": ("x5u",),
    "x5c header": ("x5c",),
    "cty: JWT": ("cty-JWT",),
    "20 KiB token": ("20-KiB",),
    "6 MB token": ("6-MB",),
    "5000-deep nested header": ("5000-deep-header",),
    "= padding": ("padding-on-signature", "padding-on-payload"),
    "whitespace": ("trailing-newline", "inner-space"),
    "non-base64url characters": ("standard-base64-plus", "non-ascii"),
    "two segments": ("two-segments",),
    "four segments": ("four-segments",),
    "ID token offered as an access token": ("id-token-as-access-token",),
}
BY_NAME: dict[str, Case] = {case.name: case for case in CORPUS}
ISSUE_8_CASES: list[Case] = [
    BY_NAME[name] for name in dict.fromkeys(n for names in ISSUE_8_LIST.values() for n in names)
]
# Every other corpus token goes through the same checks too.
OTHER_CASES: list[Case] = [case for case in CORPUS if case not in ISSUE_8_CASES]
RUNS = 5
BOUND = 0.005


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[FakeAuthServer]:
    fake = FakeAuthServer()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def env(jwks_server: FakeAuthServer) -> tuple[FakeAuthServer, Issuer, AuthFlows]:
    jwks_server.reset()
    issuer = Issuer(jwks_server.url)
    jwks_server.set_jwks(issuer.jwks("k1"))
    flows = AuthFlows(AuthConfig(env_url=jwks_server.url, client_id=CLIENT_ID, clock=Clock()))
    return jwks_server, issuer, flows


def test_every_item_of_the_issue_8_list_is_in_the_corpus() -> None:
    assert len(ISSUE_8_LIST) == 43
    missing = [name for names in ISSUE_8_LIST.values() for name in names if name not in BY_NAME]
    assert missing == []
    assert len(ISSUE_8_CASES) >= 40
    assert len(CORPUS) >= 80


def _reject(flows: AuthFlows, case: Case, token: Any) -> tuple[type[BaseException], float]:
    """One rejection through the access-token validator: (exception class, seconds)."""
    start = time.perf_counter()
    with pytest.raises(TokenValidationError) as info:
        flows.get_access_token_claims(token, case.options)
    elapsed = time.perf_counter() - start
    assert info.value.__cause__ is None
    return type(info.value), elapsed


def _check(case: Case, env: tuple[FakeAuthServer, Issuer, AuthFlows]) -> None:
    jwks_server, issuer, flows = env
    token = case.build(issuer)
    if not case.structural:
        # The key set is fetched once up front, so every timed run is the steady state.
        assert flows.validate_access_token(issuer.token())
    kinds, times = [], []
    for _ in range(RUNS):
        kind, elapsed = _reject(flows, case, token)
        kinds.append(kind)
        times.append(elapsed)
    assert kinds == [case.expected] * RUNS, f"{case.name}: {kinds[0].__name__}"
    median = statistics.median(times)
    print(f"\n{case.name}: median {median * 1e6:.0f} us")  # -s shows it
    # A correctness bound (no quadratic parsing, no network), not a benchmark.
    assert median < BOUND, f"{case.name}: median {median * 1000:.2f} ms"
    expected_fetches = 0 if case.structural else 1
    assert jwks_server.count("/keys") == expected_fetches, case.name
    with contextlib.suppress(TokenValidationError):
        flows.validate_token(token, case.options)
    assert jwks_server.count("/keys") == expected_fetches, case.name


@pytest.mark.parametrize("case", ISSUE_8_CASES, ids=lambda case: case.name)
def test_issue_8_token(case: Case, env: tuple[FakeAuthServer, Issuer, AuthFlows]) -> None:
    _check(case, env)


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda case: case.name)
def test_rest_of_the_corpus(case: Case, env: tuple[FakeAuthServer, Issuer, AuthFlows]) -> None:
    _check(case, env)
