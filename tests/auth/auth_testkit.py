"""Helpers of the auth tests: RSA keys, token minting, a fixed clock, and a loopback HTTP server
for ``/keys`` and ``/oauth/token`` that counts requests and can rotate, fail, hang, redirect or
return junk."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

NOW = 1_700_000_000
CLIENT_ID = "skc_test_client"
CLIENT_SECRET = "test-client-secret-7f3a9c"  # looked for in the secret-hygiene tests


class Clock:
    """An injectable wall clock that only moves when told to."""

    def __init__(self, start: float = NOW) -> None:
        self.t = float(start)

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_KEY_CACHE: dict[tuple[str, int], rsa.RSAPrivateKey] = {}


def rsa_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """A real RSA key, generated once per test session and name."""
    if (name, bits) not in _KEY_CACHE:
        _KEY_CACHE[(name, bits)] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _KEY_CACHE[(name, bits)]


def jwk_of(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    jwk.update(extra)
    return {k: v for k, v in jwk.items() if v is not None}


class Issuer:
    """Signs tokens for the fake environment."""

    def __init__(self, env_url: str) -> None:
        self.env_url = env_url
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": rsa_key("k1"), "k2": rsa_key("k2")}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": self.env_url,
            "sub": "usr_123",
            "aud": [CLIENT_ID],
            "client_id": CLIENT_ID,
            "exp": NOW + 3600,
            "iat": NOW - 10,
            "nbf": NOW - 10,
            "jti": "tkn_1",
            "oid": "org_1",
            "sid": "ses_1",
            "roles": ["admin"],
            "permissions": ["projects:read"],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not _DROP}

    def token(
        self,
        claims: dict[str, Any] | None = None,
        *,
        kid: str | None = "k1",
        key: rsa.RSAPrivateKey | None = None,
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """A real RS256 JWT from pyjwt."""
        payload = claims if claims is not None else self.claims(**overrides)
        signing_key = key if key is not None else self.keys[kid or "k1"]
        all_headers = dict(headers or {})
        if kid is not None:
            all_headers.setdefault("kid", kid)
        return jwt.encode(payload, signing_key, algorithm="RS256", headers=all_headers)

    def id_token(self, **overrides: Any) -> str:
        claims = {
            "iss": self.env_url,
            "sub": "usr_123",
            "aud": [CLIENT_ID],
            "azp": CLIENT_ID,
            "amr": ["conn_42"],
            "oid": "org_1",
            "sid": "ses_1",
            "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
            "c_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "identities": [
                {
                    "connection_id": "conn_42",
                    "organization_id": "org_1",
                    "connection_type": "OIDC",
                    "provider_name": "OKTA",
                    "social": False,
                }
            ],
            "exp": NOW + 3600,
            "iat": NOW - 10,
        }
        claims.update(overrides)
        return self.token({k: v for k, v in claims.items() if v is not _DROP})

    def raw(
        self,
        header: bytes | dict[str, Any],
        payload: bytes | dict[str, Any],
        *,
        kid: str = "k1",
        signature: bytes | None = None,
    ) -> str:
        """A hand-built JWS (for malformed JSON, duplicate keys, odd types), RS256-signed."""
        h = header if isinstance(header, bytes) else json.dumps(header).encode()
        p = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signing_input = f"{b64url(h)}.{b64url(p)}"
        if signature is None:
            signature = self.keys[kid].sign(
                signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        return f"{signing_input}.{b64url(signature)}"

    def jwks(self, *kids: str) -> dict[str, Any]:
        return {"keys": [jwk_of(self.keys[kid], kid) for kid in kids or ("k1",)]}


_DROP = object()
DROP: Any = _DROP
"""Pass as a claim override to leave the claim out."""


class FakeAuthServer:
    """Loopback ``/keys`` and ``/oauth/token`` with request counting and fault modes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.reset()
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def reset(self) -> None:
        """Back to a healthy server with zero counts (between tests)."""
        self.release.set()  # let any handler still hanging from a previous test finish
        with self.lock:
            self.requests: Counter[str] = Counter()
            self.keys_mode = "ok"
            self.jwks_body: bytes = b'{"keys": []}'
            self.token_status = 200
            self.token_reply: dict[str, Any] | bytes = {"access_token": "at", "expires_in": 300}
            self.token_forms: list[dict[str, str]] = []
            self.token_mode = "ok"
            self.release = threading.Event()
            self.keys_gate: threading.Event | None = None

    def set_jwks(self, document: dict[str, Any] | bytes) -> None:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        with self.lock:
            self.jwks_body = body

    def count(self, path: str) -> int:
        with self.lock:
            return self.requests[path]

    def close(self) -> None:
        self.release.set()
        if self.keys_gate is not None:
            self.keys_gate.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                with fake.lock:
                    fake.requests[path] += 1
                    mode = fake.keys_mode
                    body = fake.jwks_body
                    release = fake.release
                if path != "/keys":
                    self._send(404, b"{}")
                    return
                gate = fake.keys_gate
                if gate is not None:
                    gate.wait(10)
                if mode == "hang":
                    release.wait(30)
                    return
                if mode == "fail":
                    self._send(500, b'{"error":"boom"}')
                elif mode == "redirect":
                    self._send(302, b"", {"Location": f"{fake.url}/keys2"})
                elif mode == "junk":
                    self._send(200, b"<html>not json</html>")
                elif mode == "oversized":
                    self._send(200, b'{"keys": [' + b" " * (70 * 1024) + b"]}")
                elif mode == "not_object":
                    self._send(200, b"[1, 2, 3]")
                else:
                    self._send(200, body)

            def do_POST(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                with fake.lock:
                    fake.requests[path] += 1
                    fake.token_forms.append(form)
                    status, reply, mode = fake.token_status, fake.token_reply, fake.token_mode
                    release = fake.release
                if mode == "hang":
                    release.wait(30)
                    return
                if mode == "echo":  # a careless server repeating the credentials it got
                    reply = {"error": "invalid_client", "received": form}
                body = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self._send(status, body)

        return Handler
