"""Run every benchmark against one mock server process and print the table.

A benchmark that fails does not stop the run: its rows are printed with the error as their note
and a NaN value (which the smoke test catches).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc

from benchmarks import concurrency, jwt_validation, scaling, startup, token_refresh, unary
from benchmarks._env import Env
from benchmarks._harness import PROFILES, Row, dump_json, error_row, format_table
from benchmarks._server import ServerProcess

Benchmark = Callable[[Env], list[Row]]

GROUPS = (unary, concurrency, jwt_validation, token_refresh, startup, scaling)
BENCHMARKS: tuple[Benchmark, ...] = tuple(b for group in GROUPS for b in group.BENCHMARKS)
EXPECTED_ROWS: tuple[str, ...] = tuple(
    name
    for bench in BENCHMARKS
    for name in bench.rows  # type: ignore[attr-defined]
)


@dataclass(slots=True)
class Report:
    rows: list[Row] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)

    def text(self) -> str:
        parts = [format_table(self.rows)]
        parts.extend(f"\n{title}:\n{body}" for title, body in self.sections)
        return "\n".join(parts)


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "os": f"{platform.system()} {platform.release()}",
    }


def run(mode: str, only: Sequence[str] = (), log: Callable[[str], None] = print) -> Report:
    """Run the benchmarks of ``mode`` (``smoke``, ``quick`` or ``full``).

    ``only`` keeps the benchmarks with a row whose name starts with one of the prefixes.
    """
    report = Report(meta={"mode": mode, **machine()})
    started = time.perf_counter()
    with ServerProcess() as server:
        env = Env(PROFILES[mode], server)
        for bench in BENCHMARKS:
            names: tuple[str, ...] = bench.rows  # type: ignore[attr-defined]
            if only and not any(n.startswith(tuple(only)) for n in names):
                continue
            begun = time.perf_counter()
            try:
                got = bench(env)
            except Exception as exc:
                got = [error_row(name, exc) for name in names]
            log(f"  {bench.__module__}.{bench.__name__}: {time.perf_counter() - begun:.1f} s")
            report.rows.extend(got)
        report.sections = env.sections
    report.meta["seconds"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of scalekit-grpc against its floors (full mode by default).",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_const", dest="mode", const="quick")
    modes.add_argument(
        "--smoke", action="store_const", dest="mode", const="smoke", help="smallest counts"
    )
    parser.add_argument("--only", action="append", default=[], help="row-name prefix to run")
    parser.add_argument("--json", help="also write the rows as JSON to this path")
    args = parser.parse_args(argv)
    mode = args.mode or "full"
    print(f"scalekit-grpc benchmarks, {mode} mode", flush=True)
    report = run(mode, args.only, log=lambda line: print(line, flush=True))
    meta = report.meta
    print(
        f"\n{meta['cpus']} x {meta['cpu']}, {meta['os']}, Python {meta['python']}, "
        f"grpcio {meta['grpcio']}; {len(report.rows)} rows in {meta['seconds']} s\n"
    )
    print(report.text())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(dump_json(report.rows, {**meta, "sections": dict(report.sections)}))
    return 0
