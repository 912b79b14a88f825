"""Fixtures of the integration tests: the ``api`` fixture runs each test once with the sync client
and once with the asyncio client, both from the package's own pytest plugin (``scalekit_client``
and ``async_scalekit_client``) against the plugin's `MockScalekitServer` (reset per test)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest
from _integration_kit import Api

_CALL_FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "covers(*names): the 'service.method' names an integration test exercises "
        "(see tests/integration/_integration_kit.py)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The client's services for this run (``sync`` or ``async``), awaitable either way.

    After a passing test, fails it if a method it declared with ``covers`` was never called."""
    mode = request.param
    client: Any = request.getfixturevalue(
        "scalekit_client" if mode == "sync" else "async_scalekit_client"
    )
    facade = Api(client, mode)
    yield facade
    if request.node.stash.get(_CALL_FAILED, True):
        return
    declared = {name for marker in request.node.iter_markers("covers") for name in marker.args}
    never_called = sorted(declared - facade.calls)
    if never_called:
        pytest.fail(f"declared in covers() but never called ({mode}): {never_called}")
