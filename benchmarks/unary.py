"""Row group 1: sequential unary latency, full pipeline vs the raw stub (sync and asyncio).

Besides the wall-clock percentiles, the ``.cpu`` rows report the CPU time this process spent
per call. The server runs in another process, so that is the client's own cost (Python plus
gRPC's threads).

``unary.sync.overhead`` isolates the pipeline's own cost from network noise: a client-side
interceptor answers every call at once (no I/O), on the client (``interceptors=``, which run
inside the pipeline) and on a raw channel (``grpc.intercept_channel``). The difference per call
is what the pipeline adds; the row divides it by the raw stub's p50 over the network, so its
budget (<= 0.10) says the same as the p50 budget without loopback jitter.
"""

from __future__ import annotations

from typing import Any

import grpc
from scalekit_grpc.v1.domains import domains_pb2, domains_pb2_grpc

from benchmarks._env import RAW_TIMEOUT, Env
from benchmarks._harness import (
    Budget,
    Row,
    Samples,
    ainterleaved,
    interleaved,
    median,
    percentile,
    produces,
    run_async,
)

P50_BUDGET = Budget("<=", 1.10)
OVERHEAD_BUDGET = Budget("<=", 0.10)


class _Answered:
    """The outcome of a call the short-circuit interceptor answered."""

    __slots__ = ("_response",)

    def __init__(self, response: Any) -> None:
        self._response = response

    def result(self, timeout: float | None = None) -> Any:
        return self._response


class _ShortCircuit(grpc.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    """Answers every unary call with a fixed response, without calling the server."""

    def __init__(self, response: Any) -> None:
        self._outcome = _Answered(response)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return self._outcome


def _overhead_row(env: Env, raw_p50_us: float) -> Row:
    s = env.settings
    response = domains_pb2.GetDomainResponse()
    short = _ShortCircuit(response)
    channel = grpc.intercept_channel(env.raw_channel(), short)
    stub_get = domains_pb2_grpc.DomainServiceStub(channel).GetDomain
    request = domains_pb2.GetDomainRequest
    org_id, domain_id, metadata = env.org_id, env.domain_id, env.metadata

    def raw() -> object:
        return stub_get(
            request(organization_id=org_id, id=domain_id), timeout=RAW_TIMEOUT, metadata=metadata
        )

    n = max(s.unary_calls, 1000)
    with env.client(interceptors=[short]) as client:
        ours = env.get_domain(client)
        ours()  # fetches the token
        samples = interleaved({"raw": raw, "client": ours}, n, s.warmup, s.rounds)
    channel.close()
    raw_ns = median(samples["raw"].wall_ns)
    client_ns = median(samples["client"].wall_ns)
    return Row(
        "unary.sync.overhead",
        (client_ns - raw_ns) / 1000,
        "µs",
        raw_p50_us,
        "raw stub p50",
        OVERHEAD_BUDGET,
        note=f"pipeline cost per call with the network short-circuited: {client_ns / 1000:.2f} "
        f"µs vs {raw_ns / 1000:.2f} µs raw (same interceptor), median of {n}",
    )


def _rows(kind: str, samples: dict[str, Samples], floor: str) -> list[Row]:
    client, raw = samples["client"], samples["raw"]
    rows = [
        Row(
            f"unary.{kind}.p{q}",
            percentile(client.wall_ns, q) / 1000,
            "µs",
            percentile(raw.wall_ns, q) / 1000,
            floor,
            P50_BUDGET if q == 50 else None,
            note=f"client.domains.get_domain; {len(client.wall_ns)} calls per side"
            if q == 50
            else "",
        )
        for q in (50, 99)
    ]
    rows.append(
        Row(
            f"unary.{kind}.cpu",
            client.cpu_per_call_ns / 1000,
            "µs",
            raw.cpu_per_call_ns / 1000,
            floor,
            note="client-process CPU per call (all threads)",
        )
    )
    return rows


@produces("unary.sync.p50", "unary.sync.p99", "unary.sync.cpu", "unary.sync.overhead")
def unary_sync(env: Env) -> list[Row]:
    s = env.settings
    channel = env.raw_channel()
    with env.client() as client:
        sides = {"raw": env.raw_get_domain(channel), "client": env.get_domain(client)}
        samples = interleaved(sides, s.unary_calls, s.warmup, s.rounds)
    channel.close()
    rows = _rows("sync", samples, "raw stub")
    rows.append(_overhead_row(env, rows[0].baseline or 0.0))
    return rows


@produces("unary.async.p50", "unary.async.p99", "unary.async.cpu")
def unary_async(env: Env) -> list[Row]:
    s = env.settings

    async def measure() -> dict[str, Samples]:
        channel = env.raw_aio_channel()
        async with env.async_client() as client:
            sides = {"raw": env.raw_aget_domain(channel), "client": env.aget_domain(client)}
            samples = await ainterleaved(sides, s.unary_calls, s.warmup, s.rounds)
        await channel.close(None)
        return samples

    return _rows("async", run_async(measure), "grpc.aio raw stub")


BENCHMARKS = (unary_sync, unary_async)
