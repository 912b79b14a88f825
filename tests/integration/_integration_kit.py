"""Shared machinery of the integration tests: one test body for both clients, and the ledger of
which service methods the tests cover.

* `Api` wraps a `ScalekitClient` or an `AsyncScalekitClient` behind one awaitable surface, so
  each scenario is written once and runs twice (the ``api`` fixture is parametrized ``sync`` /
  ``async``): ``await api.domains.get_domain(...)`` calls the sync method directly or awaits
  the coroutine, and ``await api.domains.iter_domains(...).items()`` drains a `Pager` or an
  `AsyncPager`. The wrapper checks that each side has the shape it should (coroutines only on
  the async client, the right pager class) and logs every method it calls.
* `covers` declares the methods a test exercises. It registers them in `DECLARED` at import
  time (read by the coverage test, which fails when a public method of a service class has no
  test) and marks the test, so the ``api`` fixture can fail a test that declares a method it
  never called.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

import pytest

from scalekit_grpc._pagination import AsyncPager, Pager
from scalekit_grpc.services import (
    AsyncConnectionsService,
    AsyncDirectoriesService,
    AsyncDomainsService,
    AsyncSessionsService,
    AsyncTokensService,
    ConnectionsService,
    DirectoriesService,
    DomainsService,
    SessionsService,
    TokensService,
)

Mode = Literal["sync", "async"]
F = TypeVar("F", bound=Callable[..., Any])

SERVICE_CLASSES: dict[str, tuple[type, type]] = {
    "tokens": (TokensService, AsyncTokensService),
    "domains": (DomainsService, AsyncDomainsService),
    "connections": (ConnectionsService, AsyncConnectionsService),
    "directories": (DirectoriesService, AsyncDirectoriesService),
    "sessions": (SessionsService, AsyncSessionsService),
}
"""Client accessor name -> (sync class, async class)."""

DECLARED: dict[str, set[str]] = {}
"""``"service.method"`` -> the tests (``module::function``) that declare they exercise it."""


def public_methods(cls: type) -> set[str]:
    """The public methods a service class defines (what a user can call)."""
    return {
        name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")
    }


def covers(*names: str) -> Callable[[F], F]:
    """Declare the ``"service.method"`` names a test calls through the ``api`` fixture."""
    for name in names:
        service, _, method = name.partition(".")
        if service not in SERVICE_CLASSES or method not in public_methods(
            SERVICE_CLASSES[service][0]
        ):
            raise ValueError(f"covers({name!r}): no such service method")

    def mark(func: F) -> F:
        for name in names:
            DECLARED.setdefault(name, set()).add(f"{func.__module__}::{func.__name__}")
        marked: F = pytest.mark.covers(*names)(func)
        return marked

    return mark


class PagerView:
    """A `Pager` or `AsyncPager`, drained with ``await``."""

    def __init__(self, pager: Any, mode: Mode) -> None:
        expected = AsyncPager if mode == "async" else Pager
        assert isinstance(pager, expected), f"{mode} iter_* returned {type(pager).__name__}"
        self._pager = pager
        self._mode = mode

    async def items(self) -> list[Any]:
        """Every item across all pages."""
        if self._mode == "async":
            return [item async for item in self._pager]
        return list(self._pager)

    async def pages(self) -> list[Any]:
        """Every page (response message) in order."""
        if self._mode == "async":
            return [page async for page in self._pager.pages]
        return list(self._pager.pages)


class ServiceView:
    """One service of a client; every public method becomes awaitable."""

    def __init__(self, name: str, service: Any, mode: Mode, calls: set[str]) -> None:
        self._name = name
        self._service = service
        self._mode = mode
        self._calls = calls

    def __getattr__(self, method_name: str) -> Callable[..., Any]:
        if method_name.startswith("_"):
            raise AttributeError(method_name)
        method = getattr(self._service, method_name)
        qualified = f"{self._name}.{method_name}"
        mode, calls = self._mode, self._calls

        if method_name.startswith("iter_"):

            def make_pager(*args: Any, **kwargs: Any) -> PagerView:
                calls.add(qualified)
                return PagerView(method(*args, **kwargs), mode)

            return make_pager

        async def call(*args: Any, **kwargs: Any) -> Any:
            calls.add(qualified)
            result = method(*args, **kwargs)
            if mode == "async":
                assert inspect.isawaitable(result), f"async {qualified} did not return a coroutine"
                return await result
            assert not inspect.isawaitable(result), f"sync {qualified} returned an awaitable"
            return result

        return call


class Api:
    """The five services of one client (sync or asyncio) behind an awaitable surface."""

    def __init__(self, client: Any, mode: Mode) -> None:
        self.mode: Mode = mode
        self.client = client
        self.calls: set[str] = set()
        self.tokens = ServiceView("tokens", client.tokens, mode, self.calls)
        self.domains = ServiceView("domains", client.domains, mode, self.calls)
        self.connections = ServiceView("connections", client.connections, mode, self.calls)
        self.directories = ServiceView("directories", client.directories, mode, self.calls)
        self.sessions = ServiceView("sessions", client.sessions, mode, self.calls)
        for name, (sync_cls, async_cls) in SERVICE_CLASSES.items():
            expected = async_cls if mode == "async" else sync_cls
            actual = type(getattr(client, name))
            assert actual is expected, f"{mode} client.{name} is {actual.__name__}"


# --- small shared helpers ------------------------------------------------------------------


def ids(items: Iterable[Any], attr: str = "id") -> list[str]:
    """The ``attr`` of each item, in order."""
    return [getattr(item, attr) for item in items]


def assert_each_once(seen: list[str], expected: Iterable[str]) -> None:
    """``seen`` holds every expected id exactly once (in any order) and nothing else."""
    assert len(seen) == len(set(seen)), f"duplicates in {seen}"
    assert sorted(seen) == sorted(expected)


def utc(seconds: float) -> datetime:
    """A timezone-aware datetime from a Unix time."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
