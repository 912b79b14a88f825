"""RSA signing keys of the mock server: generation, rotation, the JWKS document, RS256 signing."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True, slots=True)
class _SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]


def _new_key() -> _SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = "snk_" + secrets.token_hex(8)
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return _SigningKey(kid=kid, private_key=private_key, public_jwk=jwk)


class KeyRing:
    """The current signing key plus the retired keys still published in the JWKS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = _new_key()
        self._retired: list[_SigningKey] = []

    @property
    def current_kid(self) -> str:
        with self._lock:
            return self._current.kid

    def rotate(self, *, keep_old: bool = True) -> str:
        """Switch to a fresh key; keep the previous ones in the JWKS when ``keep_old``."""
        new = _new_key()
        with self._lock:
            if keep_old:
                self._retired.insert(0, self._current)
            else:
                self._retired.clear()
            self._current = new
            return new.kid

    def jwks(self) -> dict[str, Any]:
        """The JWKS document served at ``/keys``: the current key first."""
        with self._lock:
            keys = [self._current, *self._retired]
        return {"keys": [dict(k.public_jwk) for k in keys]}

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT over ``claims`` with the current key's ``kid`` in the header."""
        with self._lock:
            key = self._current
        return jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
        )

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token signed by a published key (expiry not checked), else ``None``."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return None
        with self._lock:
            key = next((k for k in (self._current, *self._retired) if k.kid == kid), None)
        if key is None:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            return None
        return claims
