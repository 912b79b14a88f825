"""Helpers of the hardening suite (issue 8); the fixtures are in conftest.py.

A module with its own name (not ``conftest``): several test directories have a conftest.py, and
``from conftest import ...`` would pick whichever one was imported first.

Knobs (environment variables):

* ``SCALEKIT_HYPOTHESIS_EXAMPLES``: examples per property (default 10000).
* ``SCALEKIT_SOAK``: ``quick`` (default, 8 threads x 200 calls, 256 tasks x 8 calls) or ``long``
  (32 threads x 2000 calls, 256 tasks x 250 calls); ``make soak`` runs the long mode.

Nothing here sleeps to order events: `RequestWatcher` waits on a `threading.Condition` that the
mock's recorder notifies.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient
from scalekit_grpc.testing import MockScalekitServer

# The hostile-JWT corpus and its key/token helpers live with the auth tests; the hardening suite
# reuses them (the same module objects as when pytest collects tests/auth, which imports them by
# these top-level names too). Appended, so that nothing there shadows a module here.
_AUTH_TESTS = str(Path(__file__).resolve().parent.parent / "auth")
if _AUTH_TESTS not in sys.path:
    sys.path.append(_AUTH_TESTS)

HYPOTHESIS_EXAMPLES = int(os.environ.get("SCALEKIT_HYPOTHESIS_EXAMPLES", "10000"))
SOAK_MODE = os.environ.get("SCALEKIT_SOAK", "quick").strip().lower()
if SOAK_MODE not in ("quick", "long"):
    raise ValueError(f"SCALEKIT_SOAK must be 'quick' or 'long', not {SOAK_MODE!r}")
# How long a *failing* test may wait for an event (never reached when the test passes).
WAIT = 15.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port that was free a moment ago (for tests that restart a server on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RequestWatcher:
    """Lets a test wait until the mock has *received* N RPCs or N requests to an HTTP path.

    It wraps the mock's recorder (a private attribute: test-only) so that each recorded request
    notifies a condition; waiting is then event-driven, never a sleep-and-poll loop.
    """

    def __init__(self, server: MockScalekitServer) -> None:
        self._server = server
        self._cond = threading.Condition()
        recorder = server._recorder
        record_rpc, record_http = recorder.record_rpc, recorder.record_http

        def on_rpc(record: Any) -> None:
            record_rpc(record)
            with self._cond:
                self._cond.notify_all()

        def on_http(record: Any) -> None:
            record_http(record)
            with self._cond:
                self._cond.notify_all()

        recorder.record_rpc = on_rpc  # type: ignore[method-assign]
        recorder.record_http = on_http  # type: ignore[method-assign]

    def wait_rpcs(self, count: int, method: str = "*", timeout: float = WAIT) -> None:
        def enough() -> bool:
            return len(self._server.requests_for(method)) >= count

        with self._cond:
            if not self._cond.wait_for(enough, timeout):
                raise AssertionError(f"the mock did not receive {count} {method} RPCs")

    def wait_http(self, path: str, count: int, timeout: float = WAIT) -> None:
        def enough() -> bool:
            return self._server.http_counts[path] >= count

        with self._cond:
            if not self._cond.wait_for(enough, timeout):
                raise AssertionError(f"the mock did not receive {count} requests to {path}")

    async def await_rpcs(self, count: int, method: str = "*", timeout: float = WAIT) -> None:
        """`wait_rpcs` for a coroutine: waits in a worker thread, so the loop keeps running."""
        await asyncio.to_thread(self.wait_rpcs, count, method, timeout)

    async def await_http(self, path: str, count: int, timeout: float = WAIT) -> None:
        await asyncio.to_thread(self.wait_http, path, count, timeout)


def make_client(
    flavor: str, server: MockScalekitServer, **kwargs: Any
) -> ScalekitClient | AsyncScalekitClient:
    """A real client of either flavour for the mock (the async one must be made inside a loop)."""
    secret = kwargs.pop("client_secret", server.client_secret)
    cls = ScalekitClient if flavor == "sync" else AsyncScalekitClient
    kwargs.setdefault("grpc_target", server.grpc_target)
    return cls(server.env_url, server.client_id, secret, **kwargs)


async def resolve(value: T | Awaitable[T]) -> T:
    """Await ``value`` if it is awaitable (async client) or return it (sync client)."""
    if inspect.isawaitable(value):
        return await value
    return value


def run_with_client(
    flavor: str,
    server: MockScalekitServer,
    scenario: Callable[[Any], Awaitable[T]],
    **client_kwargs: Any,
) -> T:
    """Run ``scenario(client)`` in a fresh event loop with a client of ``flavor``.

    The scenario is written once for both flavours: it wraps each client call in `resolve`. The
    sync client blocks the loop while it calls, which is fine: the loop runs nothing else.
    """

    async def main() -> T:
        client = make_client(flavor, server, **client_kwargs)
        try:
            return await scenario(client)
        finally:
            await resolve(client.close())

    return asyncio.run(main())


class Outcome:
    """What one call did: its result or exception, and how long it took (monotonic seconds)."""

    def __init__(self, result: Any, error: BaseException | None, elapsed: float) -> None:
        self.result = result
        self.error = error
        self.elapsed = elapsed

    def __repr__(self) -> str:
        what = type(self.error).__name__ if self.error is not None else "ok"
        return f"Outcome({what}, {self.elapsed:.3f}s)"


async def timed(call: Callable[[], Any]) -> Outcome:
    """Call (and await, if needed) ``call()``; never raises (except BaseExceptions)."""
    start = time.monotonic()
    try:
        result = await resolve(call())
    except Exception as exc:
        return Outcome(None, exc, time.monotonic() - start)
    return Outcome(result, None, time.monotonic() - start)
