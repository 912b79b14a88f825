"""Row group 6: scaling with the number of clients and with the size of a list.

* Latency of one call (p50) on one client while 10 and 100 other clients exist (each has made
  one call, so it holds a channel and a token), against the same client with no others: before
  the others are made and again after they are closed.
* Memory per extra client: RSS growth per client in a child process making 100 more clients
  (each having made one call), against 100 more raw channels with a stub.
* Pager throughput: items per second iterating a directory's users (page size 100) through the
  client's pager, against a raw-stub loop following ``next_page_token``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from scalekit_grpc.v1.directories import directories_pb2, directories_pb2_grpc

from benchmarks._env import RAW_TIMEOUT, Env, run_child
from benchmarks._harness import Row, median, percentile, produces, time_calls
from scalekit_grpc.options import ListDirectoryUsersOptions

EXTRA_CLIENTS = 100
PAGE_SIZE = 100


@produces("scaling.others_10", "scaling.others_100")
def other_clients(env: Env) -> list[Row]:
    s = env.settings
    others: list[Any] = []
    p50: dict[str, float] = {}

    def measure(label: str, call: Callable[[], object]) -> None:
        time_calls(call, s.warmup)
        p50[label] = percentile(time_calls(call, s.scaling_calls), 50) / 1000

    with env.client() as client:
        call = env.get_domain(client)
        measure("none_before", call)
        for count in (10, 100):
            while len(others) < count:
                other = env.client()
                env.get_domain(other)()
                others.append(other)
            measure(f"others_{count}", call)
        for other in others:
            other.close()
        measure("none_after", call)
    floor = (p50["none_before"] + p50["none_after"]) / 2
    return [
        Row(
            f"scaling.others_{count}",
            p50[f"others_{count}"],
            "µs",
            floor,
            "p50 with no other client",
            note=(
                f"p50 of {s.scaling_calls} calls; no others: {p50['none_before']:.0f} µs before, "
                f"{p50['none_after']:.0f} µs after"
                if count == 10
                else ""
            ),
        )
        for count in (10, 100)
    ]


@produces("scaling.memory_per_client")
def memory_per_client(env: Env) -> list[Row]:
    extra = str(EXTRA_CLIENTS)
    ours = run_child(env, "clients", "client", extra)["per_client_kib"]
    floor = run_child(env, "clients", "raw", extra)["per_client_kib"]
    return [
        Row(
            "scaling.memory_per_client",
            ours,
            "KiB",
            floor,
            "raw channel + stub",
            note=f"RSS growth / {EXTRA_CLIENTS} extra clients, each after one call",
        )
    ]


def _seed_users(env: Env, channel: grpc.Channel, total: int) -> int:
    """Grow the seeded directory to ``total`` users (the seed made 3); returns the count."""
    request = directories_pb2.ListDirectoryUsersRequest(
        organization_id=env.org_id, directory_id=env.directory_id, page_size=1
    )
    stub = directories_pb2_grpc.DirectoryServiceStub(channel)
    have = stub.ListDirectoryUsers(request, metadata=env.metadata, timeout=RAW_TIMEOUT).total_size
    if have < total:
        env.server.call(
            "add_directory_users",
            org=env.org_id,
            directory=env.directory_id,
            n=total - have,
            prefix=f"user{have}-",
        )
    return max(have, total)


def _raw_pages(env: Env, channel: grpc.Channel) -> Callable[[], Iterable[Any]]:
    stub = directories_pb2_grpc.DirectoryServiceStub(channel)
    metadata = env.metadata

    def items() -> Iterable[Any]:
        request = directories_pb2.ListDirectoryUsersRequest(
            organization_id=env.org_id, directory_id=env.directory_id, page_size=PAGE_SIZE
        )
        while True:
            page = stub.ListDirectoryUsers(request, metadata=metadata, timeout=RAW_TIMEOUT)
            yield from page.users
            if not page.next_page_token:
                return
            request = directories_pb2.ListDirectoryUsersRequest(
                organization_id=env.org_id,
                directory_id=env.directory_id,
                page_size=PAGE_SIZE,
                page_token=page.next_page_token,
            )

    return items


@produces("scaling.pager")
def pager(env: Env) -> list[Row]:
    s = env.settings
    channel = env.raw_channel()
    total = _seed_users(env, channel, s.pager_items)
    rates: dict[str, list[float]] = {"raw": [], "client": []}
    cpu_per_item: dict[str, list[float]] = {"raw": [], "client": []}
    with channel, env.client() as client:
        sides = {"raw": _raw_pages(env, channel)}
        options = ListDirectoryUsersOptions(page_size=PAGE_SIZE)
        iter_users = client.directories.iter_directory_users
        sides["client"] = lambda: iter_users(env.org_id, env.directory_id, options)
        for name, items in sides.items():  # warm-up, and check both see every item
            count = sum(1 for _ in items())
            if count != total:
                raise RuntimeError(f"{name} pager saw {count} of {total} items")
        for rep in range(s.pager_reps):
            for name in ("raw", "client") if rep % 2 == 0 else ("client", "raw"):
                start, cpu = time.perf_counter(), time.process_time()
                for _ in sides[name]():
                    pass
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
                rates[name].append(total / elapsed)
                cpu_per_item[name].append(cpu * 1e6 / total)
    cpu_ours, cpu_raw = median(cpu_per_item["client"]), median(cpu_per_item["raw"])
    return [
        Row(
            "scaling.pager",
            median(rates["client"]),
            "items/s",
            median(rates["raw"]),
            "raw stub loop",
            note=f"client.directories.iter_directory_users; {total} items, page size "
            f"{PAGE_SIZE}, {s.pager_reps} reps; process CPU per item {cpu_ours:.1f} µs vs "
            f"{cpu_raw:.1f} µs raw",
        )
    ]


BENCHMARKS = (other_clients, memory_per_client, pager)
