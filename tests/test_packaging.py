"""The package metadata and layout that a wheel build depends on."""

from __future__ import annotations

import importlib.metadata
import pathlib

import tomllib

import scalekit_grpc

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])  # type: ignore[index]
    found = set()
    for base in (ROOT / "src", ROOT / "gen"):
        for init in base.rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(base).parts))
    assert found == listed


def test_version_matches_the_distribution_metadata() -> None:
    assert importlib.metadata.version("scalekit-grpc") == scalekit_grpc.__version__
    assert _pyproject()["project"]["version"] == scalekit_grpc.__version__  # type: ignore[index]


def test_runtime_dependencies_are_the_allowed_set() -> None:
    deps = _pyproject()["project"]["dependencies"]  # type: ignore[index]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in deps}  # type: ignore[union-attr]
    assert names <= {"grpcio", "protobuf", "googleapis-common-protos", "pyjwt", "cryptography"}


def test_generated_files_carry_a_do_not_edit_marker() -> None:
    files = [p for p in (ROOT / "gen").rglob("*") if p.suffix in {".py", ".pyi"}]
    assert len(files) >= 30
    for path in files:
        head = path.read_text(encoding="utf-8")[:400]
        assert "DO NOT EDIT" in head.upper() or "do not edit" in head.lower(), path


def test_py_typed_is_shipped() -> None:
    assert (pathlib.Path(scalekit_grpc.__file__).parent / "py.typed").exists()
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]  # type: ignore[index]
    assert "py.typed" in package_data["*"]
