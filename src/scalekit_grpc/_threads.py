"""Blocking I/O for the asyncio client, in daemon threads that never hold up loop shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_daemon_thread(work: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Run ``work`` in a daemon thread; its outcome resolves the returned future on this loop.

    Not `asyncio.to_thread`: the loop's default executor is joined when the loop shuts down
    (`asyncio.run` waits for it), so an HTTP request hanging up to its timeout would keep the
    program from exiting long after every caller gave up or was cancelled. If the loop is gone
    (or the future was cancelled) by the time ``work`` ends, its outcome is dropped.

    Must be called from a coroutine or callback running on the loop.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(outcome: tuple[bool, T | BaseException]) -> None:
        if future.done():  # the awaiting task was cancelled
            return
        ok, value = outcome
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            future.set_exception(value)

    def run() -> None:
        outcome: tuple[bool, T | BaseException]
        try:
            outcome = (True, work())
        except BaseException as exc:  # handed to the loop, never lost in this thread
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop is closed
            loop.call_soon_threadsafe(deliver, outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
