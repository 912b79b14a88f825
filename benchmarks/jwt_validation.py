"""Row group 3: access-token validation vs PyJWT and vs the raw RSA verify.

Tokens are RS256 access tokens minted by the mock server with its signing key; the floors use
that key pre-parsed from the server's JWKS (``jwt.decode`` with a key object, and
``cryptography``'s ``RSAPublicKey.verify`` on the signing input). Times are per validation; the
per-token rows alternate ours and the floor token by token so that drift hits both.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jwt.algorithms import RSAAlgorithm

from benchmarks._env import Env
from benchmarks._harness import Budget, Row, interleaved, median, produces
from scalekit_grpc.client import ScalekitClient

DISTINCT_BUDGET = Budget("<=", 1.11)  # >= 0.90x the floor's speed
REPEATED_BUDGET = Budget("<=", 0.10)  # >= 10x faster than jwt.decode


class _Validators:
    """``validate_access_token`` of fresh clients (cold key and token caches)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._clients: list[ScalekitClient] = []

    def new(self) -> Callable[[str], object]:
        client = self.env.client()
        self._clients.append(client)
        return client.validate_access_token

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def _jwks_key(env_url: str, kid: str) -> Any:
    with urllib.request.urlopen(f"{env_url}/keys", timeout=10) as response:
        keys = json.load(response)["keys"]
    jwk = next(k for k in keys if k["kid"] == kid)
    return RSAAlgorithm.from_jwk(jwk)


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _alternate(
    tokens: list[str], a: Callable[[str], object], b: Callable[[str], object]
) -> tuple[list[int], list[int]]:
    """Per-token nanoseconds of ``a`` and ``b``, alternating which goes first.

    Raises:
        RuntimeError: ``a`` refused a token (``validate_access_token`` answers False rather
            than raising, and a benchmark of refusals would measure the wrong path).
    """
    clock = time.perf_counter_ns
    out_a: list[int] = []
    out_b: list[int] = []
    results: list[object] = []
    for i, token in enumerate(tokens):
        if i % 2 == 0:
            start = clock()
            results.append(a(token))
            mid = clock()
            b(token)
            end = clock()
            out_a.append(mid - start)
            out_b.append(end - mid)
        else:
            start = clock()
            b(token)
            mid = clock()
            results.append(a(token))
            end = clock()
            out_b.append(mid - start)
            out_a.append(end - mid)
    if not all(results):
        raise RuntimeError(f"{results.count(False)} of {len(tokens)} tokens were refused")
    return out_a, out_b


@produces("jwt.distinct", "jwt.repeated", "jwt.cold", "jwt.floor.pyjwt_vs_rsa")
def jwt_rows(env: Env) -> list[Row]:
    s = env.settings
    env_url = env.server.env_url
    tokens: list[str] = env.server.call("issue_tokens", n=s.jwt_tokens + s.cold_reps + 2)
    warm_token, repeated_token = tokens[0], tokens[1]
    cold_tokens, distinct = tokens[2 : 2 + s.cold_reps], tokens[2 + s.cold_reps :]
    public_key = _jwks_key(env_url, _kid(warm_token))

    def decode(token: str) -> object:
        return jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            issuer=env_url,
            options={"verify_aud": False, "require": ["exp", "iss"]},
        )

    def rsa_verify(token: str) -> None:
        head, payload, signature = token.split(".")
        public_key.verify(
            _b64(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )

    validators = _Validators(env)
    try:
        validate = validators.new()
        if not validate(warm_token):  # fetches the JWKS: from here on the key cache is warm
            raise RuntimeError("the warm-up token was refused")
        decode(warm_token)
        ours, floor = _alternate(distinct, validate, decode)
        pyjwt, rsa = _alternate(distinct, decode, rsa_verify)

        if not validate(repeated_token):
            raise RuntimeError("the repeated token was refused")
        same = interleaved(
            {"ours": lambda: validate(repeated_token), "floor": lambda: decode(repeated_token)},
            s.jwt_repeats,
            10,
            s.rounds,
        )
        repeated, decoded = same["ours"].wall_ns, same["floor"].wall_ns

        cold: list[int] = []
        cold_floor: list[int] = []
        kid = _kid(warm_token)
        for token in cold_tokens:
            fresh = validators.new()
            start = time.perf_counter_ns()
            ok = fresh(token)
            cold.append(time.perf_counter_ns() - start)
            if not ok:
                raise RuntimeError("a cold-path token was refused")
            start = time.perf_counter_ns()
            jwt.decode(
                token,
                _jwks_key(env_url, kid),
                algorithms=["RS256"],
                issuer=env_url,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
            cold_floor.append(time.perf_counter_ns() - start)
    finally:
        validators.close()

    return [
        Row(
            "jwt.distinct",
            median(ours) / 1000,
            "µs",
            median(floor) / 1000,
            "jwt.decode, parsed key",
            DISTINCT_BUDGET,
            note=f"client.validate_access_token; {len(distinct)} distinct tokens, warm key cache",
        ),
        Row(
            "jwt.repeated",
            median(repeated) / 1000,
            "µs",
            median(decoded) / 1000,
            "jwt.decode, parsed key",
            REPEATED_BUDGET,
            note=f"one token validated {len(repeated)} times (verified-token cache), "
            "alternating blocks with jwt.decode",
        ),
        Row(
            "jwt.cold",
            median(cold) / 1000,
            "µs",
            median(cold_floor) / 1000,
            "GET /keys + from_jwk + jwt.decode",
            note=f"first token of a new client incl. one JWKS fetch; {len(cold)} reps",
        ),
        Row(
            "jwt.floor.pyjwt_vs_rsa",
            median(pyjwt) / 1000,
            "µs",
            median(rsa) / 1000,
            "cryptography RSA verify",
            note="jwt.decode over the physical floor of RS256 (2048-bit) verification",
        ),
    ]


BENCHMARKS = (jwt_rows,)
