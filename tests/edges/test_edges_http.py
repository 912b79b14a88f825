"""The standard-library HTTP client: one deadline for the whole exchange, typed failures."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from scalekit_grpc import _http

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def drip_server() -> Iterator[str]:
    """Answers with valid headers, then one body byte every 50 ms for ~10 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
            for _ in range(200):
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/keys"
    stop.set()
    listener.close()
    thread.join(5)


def test_a_dripping_server_cannot_stretch_the_deadline(drip_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(_http.HttpTransportError, match="timed out"):
        _http.request("GET", drip_server, timeout=0.5)
    # Each byte arrives well within a per-recv timeout; only a whole-exchange deadline stops it.
    assert time.monotonic() - started < 2.0


def test_an_invalid_port_is_a_transport_error() -> None:
    with pytest.raises(_http.HttpTransportError, match="invalid port"):
        _http.request("GET", "http://127.0.0.1:99999/keys", timeout=1)


def test_a_non_ascii_path_is_a_transport_error() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/kéys"
        with pytest.raises(_http.HttpTransportError, match="failed"):
            _http.request("GET", url, timeout=1)
    finally:
        listener.close()


def test_an_ipv6_loopback_url_without_a_port_is_parsed() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    # Port 80 on ::1 is almost surely closed: the point is that the connection goes to ::1
    # (refused), where a misparsed host ':' fails in name resolution.
    with pytest.raises(_http.HttpTransportError) as info:
        _http.request("GET", "http://[::1]/keys", timeout=1)
    assert "gaierror" not in str(info.value)
