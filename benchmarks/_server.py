"""The mock Scalekit server in its own process, driven over stdin/stdout with JSON lines.

The server runs in a separate interpreter so that its Python handlers do not share the GIL with
the client being measured: on loopback the client process then holds only client work (ours or
the raw stub's), and the server gets the other core.

Protocol: the child prints one JSON line with its addresses and credentials, then answers each
command line ``{"op": ..., ...}`` with one line ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``. Closing stdin stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mock_server_class() -> Any:
    import scalekit_grpc.testing as testing

    cls = getattr(testing, "MockScalekitServer", None)
    if cls is None:  # the package root does not re-export it (yet)
        from scalekit_grpc.testing.server import MockScalekitServer as cls
    return cls


def _serve() -> None:
    server = _mock_server_class()(max_workers=8, max_recorded_requests=1000)
    server.start()
    seed = server.seed()
    hello = {
        "env_url": server.env_url,
        "grpc_target": server.grpc_target,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "seed": seed.to_dict(),
    }
    out = sys.stdout
    out.write(json.dumps(hello) + "\n")
    out.flush()
    handlers = {
        "token_requests": lambda: server.http_counts["/oauth/token"],
        "jwks_requests": lambda: server.http_counts["/keys"],
        "expire_tokens": server.expire_tokens,
        "issue_tokens": lambda n: [server.issue_access_token() for _ in range(n)],
        "add_directory_users": lambda org, directory, n, prefix: [
            server.add_directory_user(org, directory, f"{prefix}{i}@bench.example.com")
            for i in range(n)
        ][-1:],
        "clear_requests": server.clear_requests,
    }
    try:
        for line in sys.stdin:
            command = json.loads(line)
            op = command.pop("op")
            try:
                reply = {"ok": True, "result": handlers[op](**command)}
            except Exception as exc:
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        server.stop(grace=0)


class ServerProcess:
    """A handle on the child: its addresses, credentials, seed data and a `call` method."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._server"],
            cwd=_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        line = self._readline()
        hello = json.loads(line)
        self.env_url: str = hello["env_url"]
        self.grpc_target: str = hello["grpc_target"]
        self.client_id: str = hello["client_id"]
        self.client_secret: str = hello["client_secret"]
        self.seed: dict[str, Any] = hello["seed"]

    def _readline(self) -> str:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait(timeout=10)
            raise RuntimeError(f"the mock server process exited (code {code})")
        return line

    def call(self, op: str, **kwargs: Any) -> Any:
        with self._lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
            self._proc.stdin.flush()
            reply = json.loads(self._readline())
        if not reply["ok"]:
            raise RuntimeError(f"mock server {op}: {reply['error']}")
        return reply["result"]

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


if __name__ == "__main__":
    _serve()
