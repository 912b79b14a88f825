"""The generated descriptors match the Scalekit v1 wire contract, field for field."""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
from types import ModuleType

import pytest
from google.protobuf import descriptor_pool

HERE = pathlib.Path(__file__).parent / "wire"
SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared"
# wirecheck.py (vendored unchanged) reads the contract through an unclosed file object.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
SERVICES = ("tokens", "domains", "connections", "directories", "sessions", "errdetails")


def _load_wirecheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wirecheck", HERE / "wirecheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _import_generated() -> None:
    for name in SERVICES:
        importlib.import_module(f"scalekit_grpc.v1.{name}.{name}_pb2")
        importlib.import_module(f"scalekit_grpc.v1.{name}.{name}_pb2_grpc")


def test_generated_descriptors_match_the_contract() -> None:
    wirecheck = _load_wirecheck()
    _import_generated()
    services, messages, enums = wirecheck.parse_reference(str(HERE / "scalekit-v1.txt"))
    errors, _notes = wirecheck.check(services, messages, enums, descriptor_pool.Default())
    assert errors == []
    assert (len(services), sum(len(m) for m in services.values())) == (5, 55)
    assert (len(messages), len(enums)) == (159, 20)


def test_wirecheck_detects_a_changed_field_number() -> None:
    """The comparison is live: a contract with one field renumbered must fail."""
    wirecheck = _load_wirecheck()
    _import_generated()
    services, messages, enums = wirecheck.parse_reference(str(HERE / "scalekit-v1.txt"))
    token_fields = messages["scalekit.v1.tokens.Token"]
    token_fields[99] = token_fields.pop(1)
    errors, _ = wirecheck.check(services, messages, enums, descriptor_pool.Default())
    assert any("scalekit.v1.tokens.Token" in e for e in errors)


@pytest.mark.parametrize(
    ("vendored", "original"),
    [("scalekit-v1.txt", "wire/scalekit-v1.txt"), ("wirecheck.py", "tools/wirecheck.py")],
)
def test_vendored_contract_matches_shared(vendored: str, original: str) -> None:
    source = SHARED / original
    if not source.exists():
        pytest.skip("no ../shared beside this checkout; the vendored copy is the reference")
    assert (HERE / vendored).read_bytes() == source.read_bytes()
