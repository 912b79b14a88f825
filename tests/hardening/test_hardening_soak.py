"""Soak: many threads (sync client) or asyncio tasks (async client) calling all five services
while the access tokens expire every 2 s.

Quick mode (default, CI): 8 threads x 200 calls, and 256 tasks x 8 calls. Long mode
(``SCALEKIT_SOAK=long``, ``make soak``): 32 threads x 2,000 calls, and 256 tasks x 250 calls.

The mock runs in this process; the client runs in a child process (`soak_client.py`), so that
the RSS measured is the client's alone and the two do not share a GIL. Asserted:

* 0 errors; and re-auths under 1 % of the calls (the proactive refresh keeps RPCs off expired
  tokens; only a call slower than the ~1 s a token has left inside its refresh margin can meet
  a 401, which its one resend then recovers).
* Token requests (counted by the mock). The client refreshes a token once it is older than
  ``lifetime - margin``, ``margin = min(60 s, lifetime / 2)``: for a 2 s lifetime the refresh
  period is P = 1 s (so counting against ``D / lifetime`` would be off by 2x, by design). Each
  refresh is requested P after the previous request at the earliest, and as soon as a call
  notices the token is stale at the latest (calls never pause), plus a scheduling delay d. So
  over a soak of D seconds there are ``1 + floor((D - t0) / (P + d))`` requests, t0 being the
  moment of the first. Asserted: ``floor(D / (P + 0.05)) <= requests <= 1 + floor(D / P)``:
  never more than one request per period (the upper bound is strict), at least one per period
  allowing d up to 50 ms. That is "within 1 of 1 + D / P"; the long soak's ~130 periods
  accumulate d (measured ~8 ms), hence the slack. The client's own fetch count must equal the
  mock's.
* 0 lost writes: what each worker created or revoked equals what the client's list calls
  return for its organization or user afterwards.
* RSS of the client process after the soak at most 10 % above its RSS after the warm-up (the
  first 10 % of each worker's calls), from ``/proc/self/status``.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_kit import SOAK_MODE, resolve
from soak_client import WRITES, revokes_for

from scalekit_grpc.client import ScalekitClient
from scalekit_grpc.options import UserSessionFilter, UserSessionsOptions
from scalekit_grpc.testing import MockScalekitServer

LONG = SOAK_MODE == "long"
MODES = {  # (workers, calls per worker)
    "threads": (32, 2000) if LONG else (8, 200),
    "tasks": (256, 250) if LONG else (256, 8),
}
LIFETIME = 2.0
PERIOD = LIFETIME - min(60.0, LIFETIME / 2)  # the client's proactive refresh period
SCHEDULING_SLACK = 0.05
CHILD = Path(__file__).with_name("soak_client.py")

pytestmark = pytest.mark.timeout(1800 if LONG else 120)


@pytest.fixture
def soak_server() -> Iterator[MockScalekitServer]:
    server = MockScalekitServer(max_recorded_requests=256, max_workers=64).start()
    try:
        yield server
    finally:
        server.stop()


def _spec(server: MockScalekitServer, mode: str) -> dict[str, Any]:
    count, calls = MODES[mode]
    seed = server.seed()
    workers = []
    for w in range(count):
        org, user = f"org_soak_{w}", f"usr_soak_{w}"
        sessions = [server.add_session(user, org) for _ in range(revokes_for(w, calls))]
        workers.append({"index": w, "org": org, "user": user, "sessions": sessions})
    return {
        "mode": mode,
        "env_url": server.env_url,
        "grpc_target": server.grpc_target,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "seed": {
            "org": seed.organization_id,
            "domain": seed.domain_id,
            "directory": seed.directory_id,
            "session": seed.active_session_ids[0],
        },
        "workers": workers,
        "calls": calls,
        "warm_calls": max(2, calls // 10),
    }


async def _stored(client: Any, worker: dict[str, Any]) -> dict[str, int]:
    """What the mock holds for a worker, read back through the client's list calls."""

    async def count(pager: Any) -> int:
        if hasattr(pager, "__aiter__"):
            return len([item async for item in pager])
        return len(list(pager))

    org = worker["org"]
    revoked = UserSessionsOptions(filter=UserSessionFilter(status=["REVOKED"]))
    connections = await resolve(client.connections.list_connections(org))
    directories = await resolve(client.directories.list_directories(org))
    return {
        "tokens": await count(client.tokens.iter_tokens(org)),
        "domains": await count(client.domains.iter_domains(org)),
        "connections": len(connections.connections),
        "dirs": len(directories.directories),
        "revoked": await count(client.sessions.iter_user_sessions(worker["user"], revoked)),
    }


@pytest.mark.parametrize("mode", list(MODES))
def test_soak(soak_server: MockScalekitServer, mode: str) -> None:
    server = soak_server
    spec = _spec(server, mode)
    server.token_lifetime = LIFETIME
    child = subprocess.run(
        [sys.executable, str(CHILD)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=1700 if LONG else 100,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout)
    token_requests = server.http_counts["/oauth/token"]
    duration = report["duration"]
    expected = 1 + duration / PERIOD
    print(  # shown with -s; docs/RELIABILITY.md quotes these numbers
        f"\nsoak[{mode}]: {report['calls']} calls in {duration:.2f} s "
        f"({report['calls'] / duration:.0f}/s); {token_requests} token requests "
        f"(1 + D/P = {expected:.1f}); client RSS {report['rss_warm']} -> "
        f"{report['rss_end']} KiB ({100 * (report['rss_end'] / report['rss_warm'] - 1):+.1f} %); "
        f"{report['error_count']} errors, {report['reauths']} re-auths; call latency p50 "
        f"{report['latency_p50'] * 1000:.0f} ms, p99 {report['latency_p99'] * 1000:.0f} ms, "
        f"max {report['latency_max'] * 1000:.0f} ms; RSS at each tenth (KiB): "
        f"{report['rss_series']}"
    )

    assert report["error_count"] == 0, report["errors"]
    # A re-auth means a call outlived the ~1 s left on a token inside its refresh margin: with
    # 256 tasks in flight the mean call latency is ~0.5 s and the tail grows with the machine's
    # load. Each was recovered by its one resend (0 errors above). Bounded at 1 % of the calls,
    # far above what was measured (0 in quick mode; 2 and 15 of 64,000 in two long asyncio
    # runs) and far below what a late or missing proactive refresh would cause.
    assert report["reauths"] <= report["calls"] // 100
    assert report["fetches"] == token_requests
    low = math.floor(duration / (PERIOD + SCHEDULING_SLACK))
    assert low <= token_requests <= 1 + math.floor(duration / PERIOD), (low, token_requests)
    assert report["rss_end"] <= report["rss_warm"] * 1.10

    server.token_lifetime = 3600.0
    with ScalekitClient(
        server.env_url, server.client_id, server.client_secret, grpc_target=server.grpc_target
    ) as client:
        for worker, writes in zip(spec["workers"], report["writes"], strict=True):
            assert asyncio.run(_stored(client, worker)) == writes, worker["index"]
    totals = {name: sum(writes[name] for writes in report["writes"]) for name in WRITES}
    assert all(totals.values()), totals  # every kind of write happened
