#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv beside the official SDK (scalekit-sdk-python), and
# import both: ours imports every generated module and the package root; theirs imports
# `scalekit`. They run in separate processes because protobuf's default descriptor pool holds one
# definition per fully qualified name, and both packages define scalekit.v1.* messages.
set -euo pipefail
PY=${PY:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m pip wheel -q --no-deps -w "$work/dist" . 2>&1 | grep -v "^WARNING: Location" || true
"$PY" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/scalekit_grpc-*.whl scalekit-sdk-python 2>&1 \
  | grep -v "^WARNING: Location" || true
cd "$work"
"$work/venv/bin/python" - <<'PY'
import importlib
import pathlib

import scalekit_grpc

root = pathlib.Path(scalekit_grpc.__file__).parent
assert (root / "py.typed").exists(), "py.typed missing from the wheel"
modules = sorted(
    ".".join(p.relative_to(root.parent).with_suffix("").parts)
    for p in (root / "v1").rglob("*_pb2*.py")
)
for name in modules:
    importlib.import_module(name)
stubs = list((root / "v1").rglob("*.pyi"))
assert len(modules) == 12 and len(stubs) == 12, (modules, stubs)
print(f"wheel: imported {len(modules)} generated modules, {len(stubs)} .pyi stubs present")
PY
"$work/venv/bin/python" -c "import scalekit; print('official SDK importable beside it:', scalekit.__name__)"
