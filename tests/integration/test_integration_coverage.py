"""Coverage of the service surface by the integration tests: every public method of every service
class (sync and asyncio) must be declared by at least one integration test with ``covers``.

The declarations are checked in both directions: this module fails when a method has no
declaring test (a new method, or a test removed), and the ``api`` fixture fails a test that
declares a method it never called (checked below on a throwaway test module).
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path

import pytest
from _integration_kit import DECLARED, SERVICE_CLASSES, public_methods

from scalekit_grpc import services

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(30)

HERE = Path(__file__).parent
TEST_MODULES = sorted(p.stem for p in HERE.glob("test_integration_*.py"))


def _declarations() -> dict[str, set[str]]:
    """``"service.method"`` -> declaring tests, from this directory's test modules only."""
    modules = {importlib.import_module(name) for name in TEST_MODULES}
    names = {m.__name__ for m in modules}
    return {
        method: {test for test in tests if test.split("::")[0] in names}
        for method, tests in DECLARED.items()
    }


def test_the_service_classes_are_the_ones_the_package_exports() -> None:
    exported = {getattr(services, name) for name in services.__all__}
    assert exported == {cls for pair in SERVICE_CLASSES.values() for cls in pair}


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_async_twin_has_the_same_methods(service: str) -> None:
    sync_cls, async_cls = SERVICE_CLASSES[service]
    assert public_methods(sync_cls) == public_methods(async_cls)
    for name in public_methods(sync_cls):
        sync_fn, async_fn = getattr(sync_cls, name), getattr(async_cls, name)
        assert not inspect.iscoroutinefunction(sync_fn), f"{sync_cls.__name__}.{name}"
        # Pagers are built synchronously on both sides; every other async method is a coroutine.
        assert inspect.iscoroutinefunction(async_fn) is not name.startswith("iter_"), (
            f"{async_cls.__name__}.{name}"
        )
        assert list(inspect.signature(sync_fn).parameters) == list(
            inspect.signature(async_fn).parameters
        ), f"{service}.{name}: the sync and async signatures differ"


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_every_public_method_has_an_integration_test(service: str) -> None:
    declared = _declarations()
    sync_cls, _ = SERVICE_CLASSES[service]
    uncovered = sorted(
        f"{service}.{name}"
        for name in public_methods(sync_cls)
        if not declared.get(f"{service}.{name}")
    )
    assert uncovered == [], f"service methods without an integration test: {uncovered}"


def test_declaring_tests_run_through_the_api_fixture() -> None:
    """``covers`` is only enforced by the ``api`` fixture (run sync and async), so every test
    that declares coverage must take it."""
    offenders = []
    for name in TEST_MODULES:
        module = importlib.import_module(name)
        for attr, func in vars(module).items():
            if not attr.startswith("test_") or not callable(func):
                continue
            marks = getattr(func, "pytestmark", [])
            declares = any(m.name == "covers" for m in marks)
            if declares and "api" not in inspect.signature(func).parameters:
                offenders.append(f"{name}::{attr}")
    assert offenders == []


def test_a_declared_but_uncalled_method_fails_the_test(pytester: pytest.Pytester) -> None:
    for helper in ("_integration_kit.py", "conftest.py"):
        pytester.path.joinpath(helper).write_text(HERE.joinpath(helper).read_text())
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        test_inner_enforcement="""
        from _integration_kit import covers

        @covers("domains.list_domains", "domains.get_domain")
        async def test_claims_too_much(api):
            await api.domains.list_domains("org_x")

        @covers("domains.list_domains")
        async def test_honest(api):
            await api.domains.list_domains("org_x")
        """
    )
    args = ["-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-q"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "scalekit_grpc"]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=4, errors=2)
    for mode in ("sync", "async"):
        # (fnmatch patterns: no brackets, they would be a character class)
        result.stdout.fnmatch_lines([f"*declared in covers() but never called ({mode}):*"])
    assert result.stdout.str().count("'domains.get_domain'") >= 2
