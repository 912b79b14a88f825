"""Child processes for the memory rows: ``python -m benchmarks._child <mode> <side> <n>``.

Each child imports only what its side needs (``client``: scalekit_grpc; ``raw``: grpc and the
generated module), talks to the benchmark's mock server (addresses and credentials come in
``BENCH_*`` environment variables) and prints one JSON line.

Modes:
    rss: make ``n`` calls on one client (or one raw stub), then report VmRSS.
    clients: one warm client, then ``n`` more, each having made one call; report the RSS
        growth per extra client.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable


def rss_kib() -> int:
    """Resident set size of this process now (VmRSS), falling back on the peak (ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _client_caller() -> Callable[[], tuple[object, Callable[[], object]]]:
    from scalekit_grpc.client import ScalekitClient

    env = os.environ
    org_id, domain_id = env["BENCH_ORG_ID"], env["BENCH_DOMAIN_ID"]

    def make() -> tuple[object, Callable[[], object]]:
        client = ScalekitClient(
            env["BENCH_ENV_URL"],
            env["BENCH_CLIENT_ID"],
            env["BENCH_CLIENT_SECRET"],
            grpc_target=env["BENCH_GRPC_TARGET"],
        )
        get_domain = client.domains.get_domain
        return client, lambda: get_domain(org_id, domain_id)

    return make


def _raw_caller() -> Callable[[], tuple[object, Callable[[], object]]]:
    import grpc
    from scalekit_grpc.v1.domains import domains_pb2, domains_pb2_grpc

    env = os.environ
    org_id, domain_id = env["BENCH_ORG_ID"], env["BENCH_DOMAIN_ID"]
    metadata = (
        ("authorization", env["BENCH_AUTHORIZATION"]),
        ("x-api-version", env["BENCH_API_VERSION"]),
        ("x-sdk-version", env["BENCH_SDK_VERSION"]),
    )

    def make() -> tuple[object, Callable[[], object]]:
        channel = grpc.insecure_channel(env["BENCH_GRPC_TARGET"])
        get = domains_pb2_grpc.DomainServiceStub(channel).GetDomain
        request = domains_pb2.GetDomainRequest
        return channel, lambda: get(
            request(organization_id=org_id, id=domain_id), timeout=10.0, metadata=metadata
        )

    return make


def main(argv: list[str]) -> None:
    mode, side, n = argv[0], argv[1], int(argv[2])
    make = _client_caller() if side == "client" else _raw_caller()
    if mode == "rss":
        _, call = make()
        for _ in range(n):
            call()
        gc.collect()
        print(json.dumps({"rss_kib": rss_kib()}))
        return
    keep = [make()]
    keep[0][1]()
    gc.collect()
    before = rss_kib()
    for _ in range(n):
        holder, call = make()
        call()
        keep.append((holder, call))
    gc.collect()
    print(json.dumps({"per_client_kib": (rss_kib() - before) / n, "held": len(keep)}))


if __name__ == "__main__":
    main(sys.argv[1:])
