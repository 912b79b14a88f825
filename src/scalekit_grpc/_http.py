"""A minimal blocking HTTP client for the token, JWKS and OAuth endpoints.

Built on `http.client` rather than urllib on purpose: it follows no redirects (a credential POST
must never be replayed to another host), consults no proxy environment variables, and lets the
whole exchange run under one deadline (connect, send, and a size-capped read). The asyncio client
runs it in a daemon thread (`_threads.in_daemon_thread`); these calls are rare (token refresh,
JWKS, OAuth).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_DEFAULT_MAX_BODY = 1024 * 1024
_CHUNK = 16 * 1024
_SSL_CONTEXT: ssl.SSLContext | None = None


class HttpTransportError(Exception):
    """No usable HTTP response: connection failure, timeout, or a body over the size cap.

    The message never contains the request body, headers or query string.
    """


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or ``None`` when it is not one."""
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


def _ssl_context() -> ssl.SSLContext:
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_body: int = _DEFAULT_MAX_BODY,
) -> HttpResponse:
    """Send one request and read the whole response within ``timeout`` seconds.

    Returns every response, 3xx and error statuses included; raises `HttpTransportError` when
    there is none.
    """
    if timeout <= 0:
        raise HttpTransportError("no time left for the HTTP request")
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise HttpTransportError("the URL has an invalid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpTransportError(f"unsupported URL scheme {parts.scheme!r}")
    host = parts.hostname
    # http.client parses "host:port" out of a bare IPv6 address unless the port is explicit.
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_ssl_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    all_headers = {"Accept": "application/json", "Connection": "close", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    # Socket timeouts bound each recv, not the exchange: a server dripping one byte at a time
    # would reset them forever. The watchdog shuts the socket down at the deadline instead.
    watchdog = _Watchdog(conn, timeout)
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > max_body:
                raise HttpTransportError(f"response body larger than {max_body} bytes")
            chunks.append(chunk)
        if watchdog.fired:
            raise TimeoutError
        return HttpResponse(
            status=response.status,
            body=b"".join(chunks),
            content_type=response.getheader("Content-Type", "") or "",
        )
    except HttpTransportError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError covers a URL path that is not ASCII (UnicodeEncodeError) and reads on a
        # connection the watchdog has closed.
        if watchdog.fired or isinstance(exc, TimeoutError):
            raise HttpTransportError(f"HTTP {method} to {host} timed out") from None
        raise HttpTransportError(f"HTTP {method} to {host} failed: {type(exc).__name__}") from exc
    finally:
        watchdog.cancel()
        conn.close()


class _Watchdog:
    """Shuts a connection's socket down once ``timeout`` seconds have passed."""

    def __init__(self, conn: http.client.HTTPConnection, timeout: float) -> None:
        self._conn = conn
        self.fired = False
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
