"""JWT validation without I/O: structural pre-checks, signature verification, claim checks, and
the cache of verified tokens.

The order is fixed so that hostile input is refused as early and as cheaply as possible:

1. structure (before any key lookup, so a malformed token never causes a JWKS fetch): a str of
   at most 16 KiB; exactly three base64url segments with no padding, whitespace or
   non-canonical trailing bits; header and payload are UTF-8 JSON objects without duplicate
   keys or NaN/Infinity; ``alg`` in the allow-list (exact match); no ``crit``, ``jku``, ``jwk``,
   ``x5u``, ``x5c``, ``x5t``, ``cty`` or ``b64`` header; a ``kid`` that is a short printable
   string; ``exp`` present and ``exp``/``nbf``/``iat`` finite JSON numbers.
2. signature, with the pre-parsed key the JWKS names by ``kid`` (pyjwt's algorithm objects).
3. claims, re-run on every cache hit: ``exp``, ``nbf``, ``iat`` against the clock with leeway,
   ``iss`` (exact), ``aud`` (any of the expected), the token kind, and the required scopes.

No check lets a raw ``KeyError``/``TypeError``/``ValueError``/``RecursionError`` out: every
failure is a `TokenValidationError` subclass, raised outside any ``except`` block so that no
exception chain carries token material. Messages never contain the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from jwt.algorithms import Algorithm, get_default_algorithms

from scalekit_grpc.auth._models import SUPPORTED_ALGORITHMS, TokenKind, TokenValidationOptions
from scalekit_grpc.errors import (
    ImmatureTokenError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenTypeError,
    KeyNotFoundError,
    MalformedTokenError,
    MissingExpClaimError,
    MissingScopeError,
    TokenExpiredError,
    TokenRequiredError,
    UnsupportedTokenHeaderError,
)

MAX_TOKEN_LENGTH = 16 * 1024
# Real headers are ~100 characters; the cap also bounds JSON nesting in the header.
MAX_HEADER_SEGMENT = 2048
MAX_KID_LENGTH = 256

_TOKEN_RE = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")
# base64url characters whose unused low bits are zero, for segments of length 2 and 3 (mod 4):
# anything else is a second spelling of the same bytes.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
# Header parameters that would make the token name its own key, nest another token, change
# how the payload is encoded, or demand extension processing: refused outright (RFC 8725).
_FORBIDDEN_HEADERS = frozenset(
    {"crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "cty", "b64"}
)
_ACCESS_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})
_AT_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# Claims only an OpenID Connect ID token carries (OIDC Core 3.1.3.6, 3.3.2.11).
_ID_TOKEN_CLAIMS = ("at_hash", "c_hash", "nonce")

ALGORITHMS: Mapping[str, Algorithm] = {
    name: alg for name, alg in get_default_algorithms().items() if name in SUPPORTED_ALGORITHMS
}


class _DuplicateKeyError(ValueError):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKeyError("duplicate key")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """Strict JSON object from UTF-8 bytes, or None (never raises)."""
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError, MemoryError):
        return None
    return value if isinstance(value, dict) else None


def _b64_segment(segment: str) -> bytes | None:
    rem = len(segment) % 4
    if rem == 1:
        return None
    if rem and segment[-1] not in _CANONICAL_LAST[rem]:
        return None
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | float | None:
    value = claims.get(name)
    if value is None:
        if name in claims:
            raise InvalidClaimError(f"the {name} claim must be a number, not null")
        return None
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        number: int | float = value
        return number
    raise InvalidClaimError(f"the {name} claim must be a finite JSON number")


class ParsedToken:
    """A structurally valid token whose signature is not checked yet."""

    __slots__ = (
        "alg",
        "claims",
        "exp",
        "iat",
        "kid",
        "nbf",
        "payload",
        "signature",
        "signing_input",
        "typ",
    )

    def __init__(
        self,
        *,
        alg: str,
        kid: str,
        typ: str | None,
        signing_input: bytes,
        signature: bytes,
        payload: str,
        claims: dict[str, Any],
        exp: int | float,
        nbf: int | float | None,
        iat: int | float | None,
    ) -> None:
        self.alg = alg
        self.kid = kid
        self.typ = typ
        self.signing_input = signing_input
        self.signature = signature
        self.payload = payload
        self.claims = claims
        self.exp = exp
        self.nbf = nbf
        self.iat = iat


class VerifiedToken:
    """A token whose structure and signature are verified; cached, and re-checked per use.

    ``claims`` is private to the validator: callers get fresh copies via `fresh_claims`.
    """

    __slots__ = ("alg", "claims", "exp", "generation", "iat", "kid", "nbf", "payload", "typ")

    def __init__(self, parsed: ParsedToken, generation: int) -> None:
        self.alg = parsed.alg
        self.kid = parsed.kid
        self.typ = parsed.typ
        self.payload = parsed.payload
        self.claims = parsed.claims
        self.exp = parsed.exp
        self.nbf = parsed.nbf
        self.iat = parsed.iat
        self.generation = generation

    def fresh_claims(self) -> dict[str, Any]:
        """A new dict of the claims, safe to hand out and mutate."""
        value: dict[str, Any] = json.loads(self.payload)
        return value


def parse_token(token: object, algorithms: Collection[str]) -> ParsedToken:
    """Run every check that needs no key. Raises a `TokenValidationError` subclass."""
    if not isinstance(token, str):
        if token is None or (isinstance(token, (bytes, bytearray)) and not token):
            raise TokenRequiredError("a token is required")
        raise MalformedTokenError(f"the token must be a str, not {type(token).__name__}")
    if not token:
        raise TokenRequiredError("a token is required")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedTokenError(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        raise MalformedTokenError(
            "the token is not three base64url segments (no padding, whitespace or prefix)"
        )
    header_b64, payload_b64, signature_b64 = match.groups()
    if len(header_b64) > MAX_HEADER_SEGMENT:
        raise MalformedTokenError("the token header is too long")
    header_raw = _b64_segment(header_b64)
    header = _json_object(header_raw) if header_raw is not None else None
    if header is None:
        raise MalformedTokenError("the token header is not a canonical base64url JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        shown = alg[:32] if isinstance(alg, str) else type(alg).__name__
        raise InvalidAlgorithmError(f"algorithm {shown!r} is not allowed")
    if not _FORBIDDEN_HEADERS.isdisjoint(header):
        names = sorted(_FORBIDDEN_HEADERS.intersection(header))
        raise UnsupportedTokenHeaderError(f"refused header parameter(s): {', '.join(names)}")
    typ = header.get("typ")
    if typ is not None and not isinstance(typ, str):
        raise MalformedTokenError("the typ header must be a string")
    kid = header.get("kid")
    if kid is None:
        raise KeyNotFoundError("the token has no kid header")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH or not kid.isprintable():
        raise MalformedTokenError("the kid header must be a printable string of 1-256 characters")
    signature = _b64_segment(signature_b64)
    if signature is None:
        raise MalformedTokenError("the token signature is not canonical base64url")
    if not signature:
        raise InvalidSignatureError("the token has an empty signature")
    payload_raw = _b64_segment(payload_b64)
    claims = _json_object(payload_raw) if payload_raw is not None else None
    if claims is None or payload_raw is None:
        raise MalformedTokenError("the token payload is not a canonical base64url JSON object")
    exp = _numeric_date(claims, "exp")
    nbf = _numeric_date(claims, "nbf")
    iat = _numeric_date(claims, "iat")
    if exp is None:
        raise MissingExpClaimError("the token has no exp claim")
    return ParsedToken(
        alg=alg,
        kid=kid,
        typ=typ,
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
        signature=signature,
        payload=payload_raw.decode("utf-8"),
        claims=claims,
        exp=exp,
        nbf=nbf,
        iat=iat,
    )


def verify_signature(parsed: ParsedToken, key: Any, key_algorithms: frozenset[str]) -> None:
    """Check the signature with the JWKS key named by ``kid``.

    Raises:
        KeyNotFoundError: the key may not be used with the token's ``alg``.
        InvalidSignatureError: the signature does not verify.
    """
    if parsed.alg not in key_algorithms:
        raise KeyNotFoundError(f"key {parsed.kid!r} may not be used with algorithm {parsed.alg!r}")
    try:
        ok = ALGORITHMS[parsed.alg].verify(parsed.signing_input, key, parsed.signature)
    except Exception:  # a hostile signature must not surface a cryptography internals error
        ok = False
    if not ok:
        raise InvalidSignatureError("the token signature does not verify")


def _audiences(claims: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The aud claim as a tuple; () when absent; None when it has the wrong type."""
    aud = claims.get("aud")
    if aud is None:
        return None if "aud" in claims else ()
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return tuple(aud)
    return None


def granted_scopes(claims: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Scopes from a space-separated ``scope`` and/or a ``scopes`` array; None if malformed."""
    scopes: list[str] = []
    if "scope" in claims:
        scope = claims["scope"]
        if not isinstance(scope, str):
            return None
        scopes.extend(scope.split())
    if "scopes" in claims:
        items = claims["scopes"]
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return None
        scopes.extend(items)
    return tuple(dict.fromkeys(scopes))


def check_claims(
    token: VerifiedToken,
    *,
    now: float,
    leeway: float,
    issuer: str,
    audience: Sequence[str],
    scopes: Sequence[str],
    kind: TokenKind,
    client_id: str,
    nonce: str | None = None,
) -> None:
    """The checks that depend on the clock and the caller's options; cheap, run on every hit."""
    if token.exp <= now - leeway:
        raise TokenExpiredError("the token has expired")
    if token.nbf is not None and token.nbf > now + leeway:
        raise ImmatureTokenError("the token is not valid yet (nbf)")
    if token.iat is not None and token.iat > now + leeway:
        raise ImmatureTokenError("the token was issued in the future (iat)")
    claims = token.claims
    iss = claims.get("iss")
    if not isinstance(iss, str) or iss != issuer:
        raise InvalidIssuerError("the token issuer is not the expected one")
    auds = _audiences(claims)
    if auds is None:
        raise InvalidAudienceError("the aud claim must be a string or an array of strings")
    if audience and not any(a in auds for a in audience):
        raise InvalidAudienceError("none of the expected audiences is in the token")
    if kind is TokenKind.ACCESS:
        _check_access_kind(token)
    elif kind is TokenKind.ID:
        _check_id_kind(token, auds, client_id, nonce)
    if scopes:
        granted = granted_scopes(claims)
        if granted is None:
            raise InvalidClaimError("the scope/scopes claim has the wrong type")
        missing = [s for s in scopes if s not in granted]
        if missing:
            raise MissingScopeError(f"missing required scope(s): {', '.join(missing)[:256]}")


def _check_access_kind(token: VerifiedToken) -> None:
    if token.typ is not None and token.typ.lower() not in _ACCESS_TYPES:
        raise InvalidTokenTypeError("the token typ is not that of an access token")
    claims = token.claims
    for name in _ID_TOKEN_CLAIMS:
        if name in claims:
            raise InvalidTokenTypeError(f"an ID token ({name} claim) is not an access token")


def _check_id_kind(
    token: VerifiedToken, auds: tuple[str, ...], client_id: str, nonce: str | None
) -> None:
    if token.typ is not None and token.typ.lower() in _AT_TYPES:
        raise InvalidTokenTypeError("an access token (typ at+jwt) is not an ID token")
    claims = token.claims
    if "client_id" in claims:
        raise InvalidTokenTypeError("an access token (client_id claim) is not an ID token")
    if client_id not in auds:
        raise InvalidAudienceError("the ID token audience does not contain the client id")
    if "azp" in claims or len(auds) > 1:
        azp = claims.get("azp")
        if not isinstance(azp, str) or azp != client_id:
            raise InvalidAudienceError("the ID token azp is not the client id")
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(
            got.encode("utf-8", "surrogatepass"), nonce.encode("utf-8", "surrogatepass")
        ):
            raise InvalidClaimError("the ID token nonce does not match")


class VerifiedTokenCache:
    """LRU of verified tokens, keyed by SHA-256 of the exact token bytes (no raw tokens kept).

    An entry records the key-set generation it was verified under; the first lookup under a
    newer generation empties the cache. Time claims are not cached decisions: `check_claims`
    runs on every hit.
    """

    __slots__ = ("_entries", "_generation", "_lock", "_max_entries")

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, VerifiedToken] = OrderedDict()
        self._generation = -1
        self._lock = threading.Lock()

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()

    def get(self, digest: bytes, generation: int) -> VerifiedToken | None:
        with self._lock:
            if generation < self._generation:
                return None  # a caller that saw an older key set: leave the newer entries be
            if generation > self._generation:
                self._entries.clear()
                self._generation = generation
                return None
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def put(self, digest: bytes, entry: VerifiedToken) -> None:
        if self._max_entries <= 0:
            return
        with self._lock:
            if entry.generation != self._generation:
                if entry.generation < self._generation:
                    return
                self._entries.clear()
                self._generation = entry.generation
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class TokenValidator:
    """The I/O-free half of token validation, shared by the sync and asyncio front-ends.

    A front-end calls `cached` (a hit needs only `check`), else `parse`, fetches the key named
    by ``kid`` its own way, then `verify` (signature, claims, and cache insertion).
    """

    __slots__ = ("_algorithms", "_cache", "_client_id", "_clock", "_issuer")

    def __init__(
        self,
        *,
        algorithms: Sequence[str],
        issuer: str,
        client_id: str,
        clock: Callable[[], float],
        cache_size: int,
    ) -> None:
        self._algorithms = frozenset(algorithms)
        self._issuer = issuer
        self._client_id = client_id
        self._clock = clock
        self._cache = VerifiedTokenCache(cache_size)

    @property
    def cache(self) -> VerifiedTokenCache:
        return self._cache

    def now(self) -> float:
        return self._clock()

    @staticmethod
    def digest(token: object) -> bytes | None:
        """The cache key of a token, or None for input that can never be a cached token."""
        if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii():
            return VerifiedTokenCache.digest(token)
        return None

    def cached(
        self,
        digest: bytes | None,
        generation: int | None,
        options: TokenValidationOptions,
        kind: TokenKind,
        now: float,
        nonce: str | None = None,
    ) -> VerifiedToken | None:
        """A cache hit, re-checked against ``now`` and the options; None on a miss."""
        if digest is None or generation is None:
            return None
        entry = self._cache.get(digest, generation)
        if entry is not None:
            self.check(entry, options, kind, now, nonce)
        return entry

    def parse(self, token: object) -> ParsedToken:
        return parse_token(token, self._algorithms)

    def verify(
        self,
        parsed: ParsedToken,
        key: Any,
        key_algorithms: frozenset[str],
        generation: int,
        digest: bytes | None,
        options: TokenValidationOptions,
        kind: TokenKind,
        now: float,
        nonce: str | None = None,
    ) -> VerifiedToken:
        verify_signature(parsed, key, key_algorithms)
        entry = VerifiedToken(parsed, generation)
        self.check(entry, options, kind, now, nonce)
        if digest is not None:
            self._cache.put(digest, entry)
        return entry

    def check(
        self,
        entry: VerifiedToken,
        options: TokenValidationOptions,
        kind: TokenKind,
        now: float,
        nonce: str | None = None,
    ) -> None:
        check_claims(
            entry,
            now=now,
            leeway=options.leeway.total_seconds(),
            issuer=options.issuer if options.issuer is not None else self._issuer,
            audience=options.audience,
            scopes=options.scopes,
            kind=kind,
            client_id=self._client_id,
            nonce=nonce,
        )
