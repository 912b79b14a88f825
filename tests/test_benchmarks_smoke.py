"""The benchmark harness runs end to end and produces every row with numbers (timing is not
checked: benchmarks report, they never fail on speed)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("bench") / "rows.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| row " in done.stdout
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    data["stdout"] = done.stdout
    return data


def _expected_rows() -> tuple[str, ...]:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.runner import EXPECTED_ROWS
    finally:
        sys.path.remove(str(ROOT))
    return EXPECTED_ROWS


@pytest.mark.timeout(300)
def test_every_row_is_produced_with_numbers(report: dict[str, object]) -> None:
    rows = {row["name"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    expected = _expected_rows()
    assert len(expected) >= 20
    assert set(expected) <= set(rows), f"missing rows: {sorted(set(expected) - set(rows))}"
    for name in expected:
        row = rows[name]
        assert isinstance(row["value"], int | float), name
        assert math.isfinite(row["value"]), f"{name}: {row['note']}"
        assert isinstance(row["baseline"], int | float), name
        assert math.isfinite(row["baseline"]), f"{name}: {row['note']}"
        assert row["met"] in (True, False, None), name


@pytest.mark.timeout(300)
def test_the_table_names_every_row(report: dict[str, object]) -> None:
    table = str(report["stdout"])
    for name in _expected_rows():
        assert f"| {name} " in table, name
