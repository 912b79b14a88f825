"""The JWKS key cache: parsing, lifetime, rate-limited refetch, single-flight, stale window.

Policy (all times from the injectable clock):

* A fetched set is *fresh* for ``ttl``; after that the next validation refreshes it.
* An unknown ``kid`` triggers a refetch only if no fetch started within ``cooldown`` (however
  many tokens with unknown kids arrive), and never evicts the keys already known.
* A failed fetch keeps the previous set. It serves until it is ``ttl + max_stale`` old; after
  that validation raises `JWKSUnavailableError` (not an invalid-token error). After a failure
  no fetch starts for ``failure_backoff``, so a dead endpoint is not hammered.
* Fetches are single-flight: one in-flight `concurrent.futures.Future` shared by threads and
  tasks. Threads wait on it; tasks await it through `asyncio.shield`, so a cancelled waiter
  never cancels the fetch. The fetch itself (HTTP, parsing, installing the new set) runs in
  one function, in the leading thread or, for asyncio, in a daemon thread of its own, so it
  always completes and installs its result even if every waiter (or the loop) went away.
* A response is refused, and the previous set kept, unless it is HTTP 200 (redirects are not
  followed), at most 64 KiB, a JSON object whose ``keys`` array has at most 50 entries, and at
  least one usable key: a public signing key (``use`` absent or ``sig``, ``key_ops`` absent or
  with ``verify``) whose type and ``alg`` fit an allowed algorithm, RSA at least 2048 bits.
  Keys sharing a ``kid`` are ambiguous and dropped.
* The set is swapped atomically; its generation changes only when the usable keys change, and
  the verified-token cache is emptied when it does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from scalekit_grpc import _http
from scalekit_grpc.auth._jwt import ALGORITHMS, MAX_KID_LENGTH
from scalekit_grpc.errors import JWKSUnavailableError, KeyNotFoundError

logger = logging.getLogger("scalekit_grpc.auth")

MAX_JWKS_BYTES = 64 * 1024
MAX_JWKS_KEYS = 50
MIN_RSA_BITS = 2048

_KTY = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}
_CURVE = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True)
class JwksKey:
    """A parsed public key and the token algorithms it may verify."""

    kid: str
    key: Any = field(repr=False)
    algorithms: frozenset[str]


@dataclass(frozen=True, slots=True)
class KeySet:
    """An immutable key set as installed by one successful fetch."""

    keys: Mapping[str, JwksKey]
    fetched_at: float
    generation: int
    fingerprint: bytes = field(repr=False)


class JwksRefusedError(Exception):
    """A JWKS response that is not used (internal; becomes a logged fetch failure)."""


def _usable_algorithms(jwk: Mapping[str, Any], algorithms: Sequence[str]) -> list[str]:
    kty = jwk.get("kty")
    jwk_alg = jwk.get("alg")
    return [a for a in algorithms if _KTY.get(a) == kty and (jwk_alg is None or jwk_alg == a)]


def _parse_key(jwk: Mapping[str, Any], algorithms: Sequence[str]) -> JwksKey | None:
    """One JWK as a usable key, or None (skipped) when it cannot verify allowed tokens."""
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH or not kid.isprintable():
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    if not _PRIVATE_MEMBERS.isdisjoint(jwk):
        return None  # private or symmetric material has no business in a public key set
    candidates = _usable_algorithms(jwk, algorithms)
    if not candidates:
        return None
    try:
        key = ALGORITHMS[candidates[0]].from_jwk(dict(jwk))
    except Exception:  # any malformed member: skip the key, never the whole set
        return None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return None
    elif isinstance(key, ec.EllipticCurvePublicKey):
        candidates = [a for a in candidates if isinstance(key.curve, _CURVE[a])]
    elif not isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return None
    if not candidates:
        return None
    return JwksKey(kid=kid, key=key, algorithms=frozenset(candidates))


def parse_jwks(body: bytes, algorithms: Sequence[str]) -> tuple[dict[str, JwksKey], bytes]:
    """The usable keys of a JWKS document and a fingerprint of them.

    Raises:
        JwksRefusedError: not a JSON object with a ``keys`` array of at most 50 entries, or
            no usable key in it.
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise JwksRefusedError("the JWKS response is not a JSON object")
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JwksRefusedError("the JWKS response has no keys array")
    if len(entries) > MAX_JWKS_KEYS:
        raise JwksRefusedError(f"the JWKS response has more than {MAX_JWKS_KEYS} keys")
    keys: dict[str, JwksKey] = {}
    sources: dict[str, str] = {}
    ambiguous: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        parsed = _parse_key(entry, algorithms)
        if parsed is None:
            continue
        if parsed.kid in keys or parsed.kid in ambiguous:
            ambiguous.add(parsed.kid)
            keys.pop(parsed.kid, None)
            continue
        keys[parsed.kid] = parsed
        try:
            sources[parsed.kid] = json.dumps(entry, sort_keys=True)
        except (ValueError, TypeError):  # pragma: no cover - parsed JSON always dumps
            sources[parsed.kid] = parsed.kid
    if not keys:
        raise JwksRefusedError("the JWKS response has no usable signing key")
    digest = hashlib.sha256()
    for kid in sorted(keys):
        digest.update(sources[kid].encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return keys, digest.digest()


def fetch_jwks(
    url: str, timeout: float, algorithms: Sequence[str]
) -> tuple[dict[str, JwksKey], bytes]:
    """GET the key set once (blocking).

    Raises:
        JwksRefusedError: no response, a non-200 status, or an unusable document.
    """
    try:
        response = _http.request("GET", url, timeout=timeout, max_body=MAX_JWKS_BYTES)
    except _http.HttpTransportError as exc:
        reason = str(exc)
    else:
        if response.status == 200:
            return parse_jwks(response.body, algorithms)
        reason = f"HTTP {response.status}"
    raise JwksRefusedError(f"fetching {url} failed: {reason}")


class JwksCache:
    """Thread-safe JWKS cache with sync (`get_key`) and asyncio (`aget_key`) front-ends."""

    def __init__(
        self,
        url: str,
        *,
        algorithms: Sequence[str],
        ttl: float,
        cooldown: float,
        max_stale: float,
        failure_backoff: float,
        http_timeout: float,
        clock: Callable[[], float],
        fetcher: Callable[[], tuple[dict[str, JwksKey], bytes]] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._url = url
        self._algorithms = tuple(algorithms)
        self._ttl = ttl
        self._cooldown = cooldown
        self._max_stale = max_stale
        self._backoff = failure_backoff
        self._http_timeout = http_timeout
        self._clock = clock
        self._on_change = on_change
        self._fetcher = fetcher or (
            lambda: fetch_jwks(self._url, self._http_timeout, self._algorithms)
        )
        # Waiters give up a little after the fetch's own deadline; the fetch still completes.
        self._wait_timeout = http_timeout + 1.0
        self._lock = threading.Lock()
        self._keyset: KeySet | None = None
        self._generation = 0
        self._inflight: concurrent.futures.Future[None] | None = None
        self._last_attempt: float | None = None
        self._last_failure: float | None = None
        self._last_error = "no key set fetched yet"
        self.fetch_count = 0
        """Fetches started (test and metrics hook)."""
        self.waiters = 0
        """Callers currently waiting on another caller's fetch (test hook)."""

    # --- shared decisions (no I/O) ---------------------------------------------------------

    @property
    def keyset(self) -> KeySet | None:
        return self._keyset

    def fresh_generation(self, now: float) -> int | None:
        """The generation of a set that needs no refresh at ``now``, else None (no I/O)."""
        keyset = self._keyset
        if keyset is None or now - keyset.fetched_at >= self._ttl:
            return None
        return keyset.generation

    def _needs_refresh(self, now: float) -> bool:
        keyset = self._keyset
        return keyset is None or now - keyset.fetched_at >= self._ttl

    def _begin(
        self, now: float, unknown_kid: str | None
    ) -> tuple[concurrent.futures.Future[None] | None, bool]:
        """Join the in-flight fetch, start one (leader), or decide none is allowed."""
        with self._lock:
            if self._inflight is not None:
                self.waiters += 1
                return self._inflight, False
            if unknown_kid is None:
                if not self._needs_refresh(now):
                    return None, False  # someone refreshed while we were deciding
                if self._last_failure is not None and now - self._last_failure < self._backoff:
                    return None, False
            else:
                keyset = self._keyset
                if keyset is not None and unknown_kid in keyset.keys:
                    return None, False
                if self._last_attempt is not None and now - self._last_attempt < self._cooldown:
                    return None, False
            future: concurrent.futures.Future[None] = concurrent.futures.Future()
            # RUNNING futures cannot be cancelled, so no waiter can cancel the shared fetch.
            future.set_running_or_notify_cancel()
            self._inflight = future
            self._last_attempt = now
            self.fetch_count += 1
            return future, True

    def _run_fetch(self, future: concurrent.futures.Future[None]) -> None:
        """Fetch, install or record the failure, and release the waiters. Never raises."""
        try:
            try:
                keys, fingerprint = self._fetcher()
            except JwksRefusedError as exc:
                self._record_failure(str(exc))
            except Exception as exc:  # a bug in a custom fetcher must not wedge the cache
                self._record_failure(f"JWKS fetch failed: {type(exc).__name__}")
            else:
                self._install(keys, fingerprint)
        finally:
            with self._lock:
                self._inflight = None
            future.set_result(None)

    def _start_in_thread(self, future: concurrent.futures.Future[None]) -> None:
        """Run the fetch in its own daemon thread: it completes and installs its result
        whatever happens to the task or event loop that started it (a loop's default
        executor may already be shut down)."""
        try:
            threading.Thread(
                target=self._run_fetch, args=(future,), name="scalekit-jwks-fetch", daemon=True
            ).start()
        except RuntimeError:
            self._record_failure("could not start a thread for the JWKS fetch")
            with self._lock:
                self._inflight = None
            future.set_result(None)

    def _install(self, keys: dict[str, JwksKey], fingerprint: bytes) -> None:
        now = self._clock()
        with self._lock:
            previous = self._keyset
            changed = previous is None or previous.fingerprint != fingerprint
            if changed:
                self._generation += 1
            self._keyset = KeySet(
                keys=dict(keys),
                fetched_at=now,
                generation=self._generation,
                fingerprint=fingerprint,
            )
            self._last_failure = None
        logger.debug("JWKS fetched: %d usable key(s), generation %d", len(keys), self._generation)
        if changed and self._on_change is not None:
            self._on_change()

    def _record_failure(self, reason: str) -> None:
        now = self._clock()
        with self._lock:
            self._last_failure = now
            self._last_error = reason
        logger.warning("JWKS fetch failed; any previous key set stays in use: %s", reason)

    def _usable(self, now: float) -> KeySet:
        keyset = self._keyset
        if keyset is None:
            raise JWKSUnavailableError(f"no JWKS key set available ({self._last_error})")
        if now - keyset.fetched_at >= self._ttl + self._max_stale:
            raise JWKSUnavailableError(
                f"the JWKS key set is older than its stale limit ({self._last_error})"
            )
        return keyset

    def _lookup(self, kid: str, keyset: KeySet) -> tuple[JwksKey, int]:
        key = keyset.keys.get(kid)
        if key is None:
            raise KeyNotFoundError(f"no usable key with kid {kid!r}")
        return key, keyset.generation

    # --- sync front-end --------------------------------------------------------------------

    def _wait(self, future: concurrent.futures.Future[None], leader: bool) -> None:
        if leader:
            self._run_fetch(future)
            return
        try:
            future.result(timeout=self._wait_timeout)
        except concurrent.futures.TimeoutError:
            pass  # the caller falls back on whatever set is installed
        finally:
            with self._lock:
                self.waiters -= 1

    def current(self, now: float) -> KeySet:
        """A usable key set, refreshing it first when its TTL has passed (blocking).

        Raises:
            JWKSUnavailableError: no set, or only one older than ``ttl + max_stale``.
        """
        if self._needs_refresh(now):
            future, leader = self._begin(now, None)
            if future is not None:
                self._wait(future, leader)
        return self._usable(now)

    def get_key(self, kid: str, now: float) -> tuple[JwksKey, int]:
        """The key named ``kid`` and its set's generation (blocking).

        Raises:
            KeyNotFoundError: no usable key has that kid, even after an allowed refetch.
            JWKSUnavailableError: see `current`.
        """
        keyset = self.current(now)
        if kid not in keyset.keys:
            future, leader = self._begin(now, kid)
            if future is not None:
                self._wait(future, leader)
                keyset = self._usable(now)
        return self._lookup(kid, keyset)

    # --- asyncio front-end -----------------------------------------------------------------

    async def _await(self, future: concurrent.futures.Future[None], leader: bool) -> None:
        if leader:
            self._start_in_thread(future)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._wait_timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            if not leader:
                with self._lock:
                    self.waiters -= 1

    async def acurrent(self, now: float) -> KeySet:
        """Asyncio twin of `current`."""
        if self._needs_refresh(now):
            future, leader = self._begin(now, None)
            if future is not None:
                await self._await(future, leader)
        return self._usable(now)

    async def aget_key(self, kid: str, now: float) -> tuple[JwksKey, int]:
        """Asyncio twin of `get_key`."""
        keyset = await self.acurrent(now)
        if kid not in keyset.keys:
            future, leader = self._begin(now, kid)
            if future is not None:
                await self._await(future, leader)
                keyset = self._usable(now)
        return self._lookup(kid, keyset)
