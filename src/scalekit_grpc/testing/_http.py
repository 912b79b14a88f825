"""The mock's HTTP side (standard library, threaded, loopback).

Routes: ``POST /oauth/token``, ``GET /oauth/authorize``, ``GET /keys`` (JWKS),
``GET /oidc/logout`` and ``GET /.well-known/openid-configuration``. Token-endpoint faults
(hang, failure status, malformed 2xx body) are applied before the grant is processed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from scalekit_grpc.testing._faults import FaultTable, RecordedHttpRequest, Recorder
from scalekit_grpc.testing._keys import KeyRing
from scalekit_grpc.testing._oauth import OAuthAuthority, OAuthError

_log = logging.getLogger("scalekit_grpc.testing")
_MAX_BODY = 1024 * 1024


class _App:
    def __init__(
        self,
        *,
        authority: OAuthAuthority,
        keys: KeyRing,
        faults: FaultTable,
        recorder: Recorder,
        stopping: threading.Event,
    ) -> None:
        self.authority = authority
        self.keys = keys
        self.faults = faults
        self.recorder = recorder
        self.stopping = stopping


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    app: _App

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts against a hung endpoint) make writes fail; not news.
        _log.debug("HTTP handler error from %s", client_address, exc_info=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


def _single(params: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in params.items() if v}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScalekitMock/1"

    @property
    def app(self) -> _App:
        return cast(_Server, self.server).app

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("http %s " + format, self.address_string(), *args)

    # --- responses ---

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", "text/plain", {"Location": location})

    # --- request parsing ---

    def _split(self) -> tuple[str, dict[str, str]]:
        parts = urllib.parse.urlsplit(self.path)
        return parts.path, _single(urllib.parse.parse_qs(parts.query, keep_blank_values=True))

    def _read_form(self) -> dict[str, str] | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            return None
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return None
        try:
            return _single(
                urllib.parse.parse_qs(
                    raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False
                )
            )
        except UnicodeDecodeError:
            return None

    def _basic(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep:
            return None
        return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)

    def _record(self, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        self.app.recorder.record_http(
            RecordedHttpRequest(
                method=self.command,
                path=path,
                query=query,
                form=form,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
        )

    # --- routes ---

    def do_GET(self) -> None:
        path, query = self._split()
        self._record(path, query, {})
        if path == "/keys":
            self._json(200, self.app.keys.jwks())
        elif path == "/oauth/authorize":
            try:
                self._redirect(self.app.authority.authorize(query))
            except OAuthError as exc:
                self._json(exc.status, exc.body())
        elif path == "/oidc/logout":
            self._logout(query)
        elif path == "/.well-known/openid-configuration":
            self._json(200, self._discovery())
        elif path == "/oauth/token":
            self._json(
                405,
                {"error": "invalid_request", "error_description": "use POST"},
                {"Allow": "POST"},
            )
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path, query = self._split()
        if path == "/oauth/token":
            form = self._read_form()
            self._record(path, query, form or {})
            self._token(form)
        elif path == "/oidc/logout":
            form = self._read_form() or {}
            self._record(path, query, form)
            self._logout({**query, **form})
        else:
            self._record(path, query, {})
            self._json(404, {"error": "not_found"})

    def _logout(self, params: dict[str, str]) -> None:
        target = self.app.authority.logout(params)
        if target:
            self._redirect(target)
        else:
            self._send(
                200, b"<!doctype html><title>Signed out</title><p>Signed out.</p>", "text/html"
            )

    def _discovery(self) -> dict[str, Any]:
        iss = self.app.authority.issuer
        return {
            "issuer": iss,
            "authorization_endpoint": f"{iss}/oauth/authorize",
            "token_endpoint": f"{iss}/oauth/token",
            "jwks_uri": f"{iss}/keys",
            "end_session_endpoint": f"{iss}/oidc/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "none",
            ],
        }

    def _token(self, form: dict[str, str] | None) -> None:
        app = self.app
        hang = app.faults.take_token_delay()
        if hang > 0 and app.stopping.wait(hang):
            self.close_connection = True  # shutting down: answer nothing
            return
        failure = app.faults.take_token_failure()
        if failure is not None:
            self._send(failure.status, failure.body, failure.content_type)
            return
        malformed = app.faults.take_token_malformed()
        if malformed == "not_json":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        if malformed == "missing_access_token":
            self._json(200, {"token_type": "Bearer", "expires_in": 3600})
            return
        if malformed == "empty":
            self._send(200, b"", "application/json")
            return
        if form is None:
            self._json(
                400,
                {"error": "invalid_request", "error_description": "expected a form-encoded body"},
            )
            return
        try:
            reply = app.authority.token(form, self._basic())
        except OAuthError as exc:
            extra = {"WWW-Authenticate": 'Basic realm="scalekit"'} if exc.status == 401 else None
            self._json(exc.status, exc.body(), extra)
            return
        self._json(200, reply, {"Pragma": "no-cache"})


class MockHttpServer:
    """Owns the listening socket and the serving thread."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        authority: OAuthAuthority,
        keys: KeyRing,
        faults: FaultTable,
        recorder: Recorder,
    ) -> None:
        self._stopping = threading.Event()
        server_cls = _Server6 if ":" in host else _Server
        self._httpd = server_cls((host, port), _Handler)  # binds and listens here
        self._httpd.app = _App(
            authority=authority,
            keys=keys,
            faults=faults,
            recorder=recorder,
            stopping=self._stopping,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="scalekit-mock-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
