"""Row group 5: start-up and footprint.

* Import time: wall time of a fresh ``python -c "import ..."`` (median of repeated runs, ours and
  the floor alternating), plus the ``-X importtime`` entries that ours adds on top of the floor.
* Client construction: ``ScalekitClient(...)`` (no I/O) vs ``grpc.insecure_channel(target)``.
* RSS of a process that has made 1000 calls through one client vs one through a raw stub.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import grpc

from benchmarks._env import ROOT, Env, run_child
from benchmarks._harness import Row, median, produces

IMPORT_OURS = "import scalekit_grpc"
IMPORT_CLIENTS = "from scalekit_grpc import AsyncScalekitClient, ScalekitClient"
IMPORT_FLOOR = "import grpc, google.protobuf"
IMPORT_CLIENTS_FLOOR = "import grpc, grpc.aio, google.protobuf"
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def _python_c(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def _import_ms(ours: str, floor: str, reps: int) -> tuple[float, float]:
    _python_c(ours)  # warm the filesystem and bytecode caches for both
    _python_c(floor)
    times: dict[str, list[float]] = {ours: [], floor: []}
    for rep in range(reps):
        for code in (ours, floor) if rep % 2 == 0 else (floor, ours):
            start = time.perf_counter()
            _python_c(code)
            times[code].append((time.perf_counter() - start) * 1000)
    return median(times[ours]), median(times[floor])


def _importtime(code: str) -> dict[str, tuple[int, int]]:
    """``{module: (self µs, cumulative µs)}`` from ``-X importtime``."""
    stderr = _python_c(code, "-X", "importtime").stderr
    return {
        m.group(4): (int(m.group(1)), int(m.group(2)))
        for m in map(_IMPORTTIME.match, stderr.splitlines())
        if m
    }


def _added_imports(ours: str, floor: str, top: int = 8) -> str:
    """The modules ``ours`` imports that ``floor`` does not: the slowest by self time, and our
    own modules by cumulative time (what each one pulls in)."""
    floor_modules = _importtime(floor)
    added = {k: v for k, v in _importtime(ours).items() if k not in floor_modules}
    total = sum(v[0] for v in added.values()) / 1000
    lines = [f"`{ours}` adds {len(added)} modules to `{floor}`, {total:.1f} ms self time:"]
    by_self = sorted(added.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
    ours_by_cumulative = sorted(
        ((k, v) for k, v in added.items() if k.startswith("scalekit_grpc")),
        key=lambda kv: kv[1][1],
        reverse=True,
    )[:top]
    for title, ranked in (("slowest (self)", by_self), ("ours (cumulative)", ours_by_cumulative)):
        lines.append(f"  {title}:")
        lines.extend(
            f"    {self_us / 1000:7.2f} ms self {cum_us / 1000:7.2f} ms cumulative  {name}"
            for name, (self_us, cum_us) in ranked
        )
    return "\n".join(lines)


@produces("startup.import", "startup.import_clients")
def imports(env: Env) -> list[Row]:
    reps = env.settings.import_reps
    ours, floor = _import_ms(IMPORT_OURS, IMPORT_FLOOR, reps)
    clients, clients_floor = _import_ms(IMPORT_CLIENTS, IMPORT_CLIENTS_FLOOR, reps)
    env.sections.append(
        (
            "Import time added on top of the floor (-X importtime, one run each)",
            _added_imports(IMPORT_OURS, IMPORT_FLOOR)
            + "\n\n"
            + _added_imports(IMPORT_CLIENTS, IMPORT_CLIENTS_FLOOR),
        )
    )
    return [
        Row(
            "startup.import",
            ours,
            "ms",
            floor,
            IMPORT_FLOOR,
            note=f"python -c '{IMPORT_OURS}', wall time incl. interpreter start; median of {reps}",
        ),
        Row(
            "startup.import_clients",
            clients,
            "ms",
            clients_floor,
            IMPORT_CLIENTS_FLOOR,
            note=f"python -c '{IMPORT_CLIENTS}'; median of {reps}",
        ),
    ]


@produces("startup.construct")
def construct(env: Env) -> list[Row]:
    reps = env.settings.construct_reps
    target = env.server.grpc_target
    ours: list[int] = []
    floor: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(reps):
        start = clock()
        client = env.client()
        ours.append(clock() - start)
        client.close()
        start = clock()
        channel = grpc.insecure_channel(target)
        floor.append(clock() - start)
        channel.close()
    return [
        Row(
            "startup.construct",
            median(ours) / 1000,
            "µs",
            median(floor) / 1000,
            "grpc.insecure_channel",
            note=f"ScalekitClient(...) without I/O; median of {reps}",
        )
    ]


@produces("startup.rss")
def rss(env: Env) -> list[Row]:
    calls = str(env.settings.rss_calls)
    ours = run_child(env, "rss", "client", calls)["rss_kib"] / 1024
    floor = run_child(env, "rss", "raw", calls)["rss_kib"] / 1024
    return [
        Row(
            "startup.rss",
            ours,
            "MiB",
            floor,
            "raw stub process",
            note=f"VmRSS of a process holding one client after {calls} calls",
        )
    ]


BENCHMARKS = (imports, construct, rss)
