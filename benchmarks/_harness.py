"""The plain harness: settings per mode, timing and statistics helpers, rows and the table.

Nothing here knows about Scalekit. A benchmark function returns `Row` objects; each row carries
its measured value, the floor measured in the same run (its baseline), and an optional budget on
the ratio ``value / baseline``. Budgets are reported, never enforced.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TypeVar

# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Iteration counts of one mode (``smoke`` < ``quick`` < ``full``)."""

    mode: str
    unary_calls: int
    """Latency samples per side (raw and pipeline), split over `rounds` interleaved blocks."""
    warmup: int
    rounds: int
    """Interleaved repetitions (raw, client, client, raw, ...) to cancel drift between sides."""
    thread_calls: int
    """Calls per thread in the 16-thread row."""
    task_calls: int
    """Calls per task in the 256-task row."""
    concurrency_reps: int
    jwt_tokens: int
    """Distinct tokens in the distinct-token rows."""
    jwt_repeats: int
    """Validations of one token in the repeated-token row."""
    cold_reps: int
    refresh_rounds: int
    import_reps: int
    construct_reps: int
    rss_calls: int
    """Calls made by the process whose RSS is reported (1000 except in smoke mode)."""
    scaling_calls: int
    pager_items: int
    pager_reps: int


PROFILES: dict[str, Settings] = {
    "smoke": Settings(
        mode="smoke",
        unary_calls=40,
        warmup=10,
        rounds=2,
        thread_calls=4,
        task_calls=1,
        concurrency_reps=1,
        jwt_tokens=20,
        jwt_repeats=200,
        cold_reps=2,
        refresh_rounds=1,
        import_reps=2,
        construct_reps=20,
        rss_calls=50,
        scaling_calls=40,
        pager_items=200,
        pager_reps=1,
    ),
    "quick": Settings(
        mode="quick",
        unary_calls=400,
        warmup=50,
        rounds=4,
        thread_calls=20,
        task_calls=2,
        concurrency_reps=4,
        jwt_tokens=100,
        jwt_repeats=2000,
        cold_reps=3,
        refresh_rounds=2,
        import_reps=5,
        construct_reps=100,
        rss_calls=1000,
        scaling_calls=300,
        pager_items=1000,
        pager_reps=1,
    ),
    "full": Settings(
        mode="full",
        unary_calls=4000,
        warmup=300,
        rounds=8,
        thread_calls=40,
        task_calls=3,
        concurrency_reps=16,
        jwt_tokens=1000,
        jwt_repeats=20000,
        cold_reps=7,
        refresh_rounds=7,
        import_reps=15,
        construct_reps=500,
        rss_calls=1000,
        scaling_calls=2000,
        pager_items=10_000,
        pager_reps=6,
    ),
}


# --- statistics --------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


# --- timing ------------------------------------------------------------------------------------


def time_calls(fn: Callable[[], object], n: int) -> list[int]:
    """Nanoseconds of each of ``n`` sequential calls of ``fn``."""
    clock = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        start = clock()
        fn()
        out[i] = clock() - start
    return out


async def atime_calls(fn: Callable[[], Awaitable[object]], n: int) -> list[int]:
    """Nanoseconds of each of ``n`` sequential awaits of ``fn()``."""
    clock = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        start = clock()
        await fn()
        out[i] = clock() - start
    return out


def time_per_op(fn: Callable[[], object], n: int) -> float:
    """Mean nanoseconds per call over one tight loop of ``n`` calls (for sub-µs work)."""
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(n):
        fn()
    return (clock() - start) / n


@dataclass(slots=True)
class Samples:
    """Per-call wall-clock latencies of one side, and the process CPU time they used."""

    wall_ns: list[int] = field(default_factory=list)
    cpu_ns: int = 0

    @property
    def cpu_per_call_ns(self) -> float:
        return self.cpu_ns / max(1, len(self.wall_ns))


def interleaved(
    sides: dict[str, Callable[[], object]], n: int, warmup: int, rounds: int
) -> dict[str, Samples]:
    """Latency samples of each side, collected in alternating blocks so drift hits all sides."""
    for fn in sides.values():
        time_calls(fn, warmup)
    samples = {name: Samples() for name in sides}
    names = list(sides)
    per_round = max(1, n // rounds)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            cpu = time.process_time_ns()
            samples[name].wall_ns.extend(time_calls(sides[name], per_round))
            samples[name].cpu_ns += time.process_time_ns() - cpu
    return samples


async def ainterleaved(
    sides: dict[str, Callable[[], Awaitable[object]]], n: int, warmup: int, rounds: int
) -> dict[str, Samples]:
    """`interleaved` for coroutine functions."""
    for fn in sides.values():
        await atime_calls(fn, warmup)
    samples = {name: Samples() for name in sides}
    names = list(sides)
    per_round = max(1, n // rounds)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            cpu = time.process_time_ns()
            samples[name].wall_ns.extend(await atime_calls(sides[name], per_round))
            samples[name].cpu_ns += time.process_time_ns() - cpu
    return samples


T = TypeVar("T")


def run_async(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run one async benchmark in a fresh event loop."""

    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Budget:
    """A bound on ``value / baseline`` (``on="ratio"``) or on the value itself."""

    op: str
    """``"<="``, ``">="`` or ``"=="``."""
    limit: float
    on: str = "ratio"

    def check(self, value: float, ratio: float | None) -> bool | None:
        subject = ratio if self.on == "ratio" else value
        if subject is None or math.isnan(subject):
            return None
        if self.op == "<=":
            return subject <= self.limit
        if self.op == ">=":
            return subject >= self.limit
        return subject == self.limit

    def __str__(self) -> str:
        subject = "ratio" if self.on == "ratio" else "value"
        limit = f"{self.limit:g}"
        return f"{subject} {self.op} {limit}"


@dataclass(slots=True)
class Row:
    """One line of the table."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    budget: Budget | None = None
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or math.isnan(self.value):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.budget is None else self.budget.check(self.value, self.ratio)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["budget"] = None if self.budget is None else str(self.budget)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data


F = TypeVar("F", bound=Callable[..., object])


def produces(*names: str) -> Callable[[F], F]:
    """Declare the rows a benchmark function returns (the smoke test checks them all)."""

    def mark(fn: F) -> F:
        fn.rows = names  # type: ignore[attr-defined]
        return fn

    return mark


def error_row(name: str, exc: BaseException) -> Row:
    return Row(name, math.nan, "", note=f"ERROR {type(exc).__name__}: {exc}"[:200])


# --- output ------------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if float(value).is_integer() and abs(value) < 1000:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (readable as plain text too), with the notes listed under it."""
    header = ("row", "value", "baseline (floor)", "ratio", "budget", "met")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        unit = f" {row.unit}" if row.unit else ""
        baseline = "-" if row.baseline is None else f"{_fmt(row.baseline)}{unit}"
        if row.baseline_label and row.baseline is not None:
            baseline = f"{baseline} ({row.baseline_label})"
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
        lines.append(
            (
                row.name,
                f"{_fmt(row.value)}{unit}",
                baseline,
                ratio,
                "-" if row.budget is None else str(row.budget),
                met,
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def render(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [render(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(render(line) for line in lines)
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        out.extend(["", "Notes:", *notes])
    return "\n".join(out)


def dump_json(rows: Sequence[Row], meta: dict[str, object]) -> str:
    return json.dumps({"meta": meta, "rows": [row.to_dict() for row in rows]}, indent=2)
