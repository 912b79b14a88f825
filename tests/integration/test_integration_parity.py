"""Integration: the sync and asyncio clients give the same results for the same state.

The other modules run each scenario once per client with the same expectations; here both
clients read one seeded environment in the same test and their answers are compared directly,
values and errors alike. Also: pagers send the caller's timeout and metadata with every page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from _integration_kit import Api, covers
from scalekit_grpc.v1.connections import connections_pb2 as cx

from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient
from scalekit_grpc.errors import ApiError, ScalekitError
from scalekit_grpc.options import (
    ListDirectoryGroupsOptions,
    ListDirectoryUsersOptions,
    ListDomainsOptions,
    ListTokensOptions,
    PageOptions,
    SearchOrganizationConnectionsOptions,
    UserSessionFilter,
    UserSessionsOptions,
)
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(30)

Call = Callable[[SeedData], tuple[tuple[Any, ...], dict[str, Any]]]


def _args(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return args, kwargs


# "service.method" -> its arguments, from the seed. Read-only calls, so both clients see the
# same state; iter_* results are compared page by page.
READS: dict[str, Call] = {
    "tokens.validate_token": lambda s: _args(s.api_token),
    "tokens.fetch_token": lambda s: _args(s.api_token_id),
    "tokens.list_tokens": lambda s: _args(s.organization_id),
    "tokens.iter_tokens": lambda s: _args(s.organization_id, ListTokensOptions(page_size=1)),
    "domains.get_domain": lambda s: _args(s.organization_id, s.domain_id),
    "domains.list_domains": lambda s: _args(s.organization_id),
    "domains.iter_domains": lambda s: _args(s.organization_id, ListDomainsOptions(page_size=1)),
    "domains.list_authorized_domains": lambda s: _args("https://app.example.com"),
    "connections.get_connection": lambda s: _args(s.organization_id, s.connection_id),
    "connections.get_environment_connection": lambda s: _args(s.connection_id),
    "connections.list_connections": lambda s: _args(s.organization_id),
    "connections.list_connections_by_domain": lambda s: _args(s.domain.domain),
    "connections.iter_organization_connections": lambda s: _args(PageOptions(page_size=1)),
    "connections.search_organization_connections": lambda s: _args(
        SearchOrganizationConnectionsOptions(provider="okta", enabled=True)
    ),
    "connections.get_connection_context": lambda s: _args(s.organization_id, s.connection_id),
    "connections.get_connection_test_result": lambda s: _args(s.connection_id, "tst_parity"),
    "directories.get_directory": lambda s: _args(s.organization_id, s.directory_id),
    "directories.list_directories": lambda s: _args(s.organization_id),
    "directories.get_primary_directory_by_organization_id": lambda s: _args(s.organization_id),
    "directories.iter_directory_users": lambda s: _args(
        s.organization_id, s.directory_id, ListDirectoryUsersOptions(page_size=2)
    ),
    "directories.list_directory_users": lambda s: _args(
        s.organization_id,
        s.directory_id,
        ListDirectoryUsersOptions(include_detail=True, directory_group_id=s.directory_group_ids[0]),
    ),
    "directories.iter_directory_groups": lambda s: _args(
        s.organization_id, s.directory_id, ListDirectoryGroupsOptions(page_size=1)
    ),
    "directories.list_directory_groups_summary": lambda s: _args(s.organization_id, s.directory_id),
    "directories.get_directory_context": lambda s: _args(s.organization_id, s.directory_id),
    "sessions.get_session": lambda s: _args(s.active_session_ids[0]),
    "sessions.get_user_sessions": lambda s: _args(
        s.user_id, UserSessionsOptions(filter=UserSessionFilter(status=["ACTIVE"]))
    ),
    "sessions.iter_user_sessions": lambda s: _args(s.user_id, UserSessionsOptions(page_size=1)),
}

# Calls that fail without changing anything: both clients must raise the same error.
FAILURES: dict[str, tuple[str, Call]] = {
    "unknown domain": ("domains.get_domain", lambda s: _args(s.organization_id, "dom_missing")),
    "missing field": (
        "connections.create_connection",
        lambda s: _args(s.organization_id, cx.CreateConnection()),
    ),
    "enabled directory": (
        "directories.delete_directory",
        lambda s: _args(s.organization_id, s.directory_id),
    ),
    "no directory": (
        "directories.get_primary_directory_by_organization_id",
        lambda s: _args("org_without_directory"),
    ),
    "invalid token": ("tokens.validate_token", lambda s: _args("skt_unknown")),
    "bad page token": (
        "tokens.list_tokens",
        lambda s: _args(s.organization_id, ListTokensOptions(page_token="bogus")),
    ),
}


def _normalize(name: str, value: Any) -> Any:
    if name == "tokens.fetch_token":
        value.ClearField("retrieved_at")  # the time of the call itself
    return value


async def _run(api: Api, name: str, call: Call, seed: SeedData) -> Any:
    service, method = name.split(".")
    args, kwargs = call(seed)
    bound = getattr(getattr(api, service), method)
    if method.startswith("iter_"):
        pager = bound(*args, **kwargs)
        return await pager.items(), await pager.pages()
    return _normalize(name, await bound(*args, **kwargs))


def _error_signature(exc: BaseException | None) -> tuple[Any, ...]:
    """What must match between the clients (not the request id, which is per call)."""
    if isinstance(exc, ApiError):
        return (type(exc), exc.code_name, exc.message, exc.error_code, exc.field_violations)
    if exc is None:
        return ()
    return (type(exc), _error_signature(exc.__cause__))


@pytest.fixture
def seed(scalekit_server: MockScalekitServer, scalekit_client: ScalekitClient) -> SeedData:
    """The seeded organization, with enough tokens, domains and organization connections that
    every pager above walks more than one page (page size 1)."""
    seed = scalekit_server.seed()
    scalekit_server.seed()  # a second organization: a second organization connection
    for i in range(2):
        scalekit_client.domains.create_domain(seed.organization_id, f"extra{i}.acme.example.com")
        scalekit_client.tokens.create_token(seed.organization_id)
    return seed


@pytest.fixture
def both(
    scalekit_client: ScalekitClient, async_scalekit_client: AsyncScalekitClient
) -> tuple[Api, Api]:
    return Api(scalekit_client, "sync"), Api(async_scalekit_client, "async")


@pytest.mark.parametrize("name", sorted(READS))
async def test_both_clients_read_the_same(name: str, both: tuple[Api, Api], seed: SeedData) -> None:
    sync_api, async_api = both
    from_sync = await _run(sync_api, name, READS[name], seed)
    from_async = await _run(async_api, name, READS[name], seed)
    assert from_sync == from_async
    if name.split(".")[1].startswith("iter_"):
        items, pages = from_sync
        assert len(items) >= 2
        assert len(pages) >= 2  # a real walk across pages


@pytest.mark.parametrize("case", sorted(FAILURES))
async def test_both_clients_fail_the_same(case: str, both: tuple[Api, Api], seed: SeedData) -> None:
    name, call = FAILURES[case]
    signatures = []
    for api in both:
        with pytest.raises(ScalekitError) as caught:
            await _run(api, name, call, seed)
        signatures.append(_error_signature(caught.value))
    assert signatures[0] == signatures[1]
    assert signatures[0]


@covers("directories.iter_directory_users")
async def test_pager_sends_timeout_and_metadata_with_every_page(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    scalekit_server.clear_requests()
    pager = api.directories.iter_directory_users(
        seed.organization_id,
        seed.directory_id,
        ListDirectoryUsersOptions(page_size=1),
        timeout=7.0,
        metadata=[("x-integration-run", api.mode)],
    )
    assert len(await pager.items()) == 3
    recorded = scalekit_server.requests_for("ListDirectoryUsers")
    assert len(recorded) == 3
    assert [r.request.page_token == "" for r in recorded] == [True, False, False]
    for request in recorded:
        assert request.header("x-integration-run") == api.mode
        assert request.header("authorization") is not None
        assert request.time_remaining is not None
        # grpc-timeout is rounded up on the wire, hence the small margin above 7 s.
        assert 6.0 < request.time_remaining <= 7.2


async def test_concurrent_creates_are_all_kept(api: Api) -> None:
    """16 creates at once (threads on the sync client, tasks on the async one): 16 domains."""
    names = [f"c{i}.example.com" for i in range(16)]
    if api.mode == "async":
        created = await asyncio.gather(
            *(api.client.domains.create_domain("org_concurrent", n) for n in names)
        )
    else:
        with ThreadPoolExecutor(max_workers=8) as pool:
            created = list(
                pool.map(lambda n: api.client.domains.create_domain("org_concurrent", n), names)
            )
    created_ids = [c.domain.id for c in created]
    assert len(set(created_ids)) == 16
    listed = await api.domains.iter_domains(
        "org_concurrent", ListDomainsOptions(page_size=5)
    ).items()
    assert sorted(d.domain for d in listed) == sorted(names)
    assert sorted(d.id for d in listed) == sorted(created_ids)
