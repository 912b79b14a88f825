"""Every pager (sync and asyncio) walks a 3-page result and stops, forwards the timeout and
metadata to every page request, and refuses to loop on a server that repeats itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from _services_harness import Abort, Recorder, Services, collect
from google.protobuf.message import Message
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.tokens import tokens_pb2 as tk

from scalekit_grpc._pagination import PaginationLoopError
from scalekit_grpc.errors import NotFoundError, OrganizationIdRequiredError
from scalekit_grpc.options import ListDomainsOptions, ListTokensOptions

TIMEOUT = 7.0
METADATA = [("x-trace-id", "trace-123")]
PAGES = {"": (["a1", "a2"], "t2"), "t2": (["b1", "b2"], "t3"), "t3": (["c1"], "")}
ALL_IDS = ["a1", "a2", "b1", "b2", "c1"]


@dataclass(frozen=True)
class TokenPaged:
    name: str
    rpc: str
    call: Callable[..., Any]
    response: type[Message]
    items: str
    make: Callable[[str], Message]
    key: Callable[[Any], str]


TOKEN_PAGED = [
    TokenPaged(
        "iter_tokens",
        "ApiTokenService/ListTokens",
        lambda s, **kw: s.tokens.iter_tokens("org_1", ListTokensOptions(page_size=2), **kw),
        tk.ListTokensResponse,
        "tokens",
        lambda i: tk.Token(token_id=i),
        lambda item: item.token_id,
    ),
    TokenPaged(
        "iter_organization_connections",
        "ConnectionService/ListOrganizationConnections",
        lambda s, **kw: s.connections.iter_organization_connections(**kw),
        cx.ListOrganizationConnectionsResponse,
        "connections",
        lambda i: cx.ListConnection(id=i),
        lambda item: item.id,
    ),
    TokenPaged(
        "iter_search_organization_connections",
        "ConnectionService/SearchOrganizationConnections",
        lambda s, **kw: s.connections.iter_search_organization_connections(**kw),
        cx.SearchOrganizationConnectionsResponse,
        "connections",
        lambda i: cx.ListConnection(id=i),
        lambda item: item.id,
    ),
    TokenPaged(
        "iter_app_connections",
        "ConnectionService/ListAppConnections",
        lambda s, **kw: s.connections.iter_app_connections(**kw),
        cx.ListAppConnectionsResponse,
        "connections",
        lambda i: cx.ListConnection(id=i),
        lambda item: item.id,
    ),
    TokenPaged(
        "iter_directory_users",
        "DirectoryService/ListDirectoryUsers",
        lambda s, **kw: s.directories.iter_directory_users("org_1", "dir_1", **kw),
        dr.ListDirectoryUsersResponse,
        "users",
        # Non-empty pages with nested groups and details: the official SDK crashes here.
        lambda i: dr.DirectoryUser(id=i, email=f"{i}@x.io", groups=[dr.DirectoryGroup(id="g")]),
        lambda item: item.id,
    ),
    TokenPaged(
        "iter_directory_groups",
        "DirectoryService/ListDirectoryGroups",
        lambda s, **kw: s.directories.iter_directory_groups("org_1", "dir_1", **kw),
        dr.ListDirectoryGroupsResponse,
        "groups",
        lambda i: dr.DirectoryGroup(id=i, display_name=i.upper()),
        lambda item: item.id,
    ),
    TokenPaged(
        "iter_user_sessions",
        "SessionService/GetUserSessions",
        lambda s, **kw: s.sessions.iter_user_sessions("usr_1", **kw),
        ss.UserSessionDetails,
        "sessions",
        lambda i: ss.SessionDetails(session_id=i),
        lambda item: item.session_id,
    ),
]


def serve_token_pages(
    case: TokenPaged, pages: dict[str, tuple[list[str], str]] = PAGES
) -> Callable[[Any], Message]:
    def handler(request: Any) -> Message:
        ids, following = pages[request.page_token]
        response = case.response(next_page_token=following)
        getattr(response, case.items).extend(case.make(i) for i in ids)
        return response

    return handler


def assert_forwarded(recorder: Recorder, rpc: str, count: int) -> None:
    calls = recorder.calls_to(rpc)
    assert len(calls) == count
    for call in calls:
        assert call.metadata["x-trace-id"] == "trace-123"
        assert call.time_remaining is not None
        assert TIMEOUT - 2.0 < call.time_remaining <= TIMEOUT + 0.5


@pytest.mark.parametrize("case", TOKEN_PAGED, ids=[c.name for c in TOKEN_PAGED])
async def test_token_pager_walks_three_pages(
    case: TokenPaged, svc: Services, recorder: Recorder
) -> None:
    recorder.on(case.rpc, serve_token_pages(case))
    pager = case.call(svc, timeout=TIMEOUT, metadata=METADATA)
    assert recorder.calls == []  # lazy: nothing sent before iterating

    items = await collect(pager)

    assert [case.key(item) for item in items] == ALL_IDS
    assert_forwarded(recorder, case.rpc, 3)
    requests = [call.request for call in recorder.calls_to(case.rpc)]
    assert [r.page_token for r in requests] == ["", "t2", "t3"]
    # Apart from the token, every page asks the same question.
    for request in requests[1:]:
        rest = type(request)()
        rest.CopyFrom(request)
        rest.ClearField("page_token")
        first = type(request)()
        first.CopyFrom(requests[0])
        assert rest == first


@pytest.mark.parametrize("case", TOKEN_PAGED, ids=[c.name for c in TOKEN_PAGED])
async def test_token_pager_pages_and_reiteration(
    case: TokenPaged, svc: Services, recorder: Recorder
) -> None:
    recorder.on(case.rpc, serve_token_pages(case))
    pager = case.call(svc, timeout=TIMEOUT, metadata=METADATA)

    pages = await collect(pager, pages=True)
    assert [type(page) for page in pages] == [case.response] * 3
    assert [page.next_page_token for page in pages] == ["t2", "t3", ""]
    # A second traversal starts over from the first page.
    assert [case.key(item) for item in await collect(pager)] == ALL_IDS
    assert_forwarded(recorder, case.rpc, 6)


@pytest.mark.parametrize("case", TOKEN_PAGED, ids=[c.name for c in TOKEN_PAGED])
async def test_token_pager_refuses_a_repeated_token(
    case: TokenPaged, svc: Services, recorder: Recorder
) -> None:
    recorder.on(case.rpc, serve_token_pages(case, {"": (["a1"], "same"), "same": (["b1"], "same")}))
    with pytest.raises(PaginationLoopError, match="twice"):
        await collect(case.call(svc))
    assert len(recorder.calls_to(case.rpc)) == 2


async def test_token_pager_refuses_a_token_cycle(svc: Services, recorder: Recorder) -> None:
    case = TOKEN_PAGED[0]
    cycle = {"": (["a1"], "t2"), "t2": (["b1"], "t3"), "t3": (["c1"], "t2")}
    recorder.on(case.rpc, serve_token_pages(case, cycle))
    with pytest.raises(PaginationLoopError):
        await collect(case.call(svc))
    assert len(recorder.calls_to(case.rpc)) == 3


async def test_token_pager_refuses_the_starting_token_again(
    svc: Services, recorder: Recorder
) -> None:
    recorder.on("ApiTokenService/ListTokens", lambda r: tk.ListTokensResponse(next_page_token="s"))
    pager = svc.tokens.iter_tokens("org_1", ListTokensOptions(page_token="s"))
    with pytest.raises(PaginationLoopError):
        await collect(pager)
    assert len(recorder.calls) == 1


async def test_pager_surfaces_a_failing_page(svc: Services, recorder: Recorder) -> None:
    case = TOKEN_PAGED[0]
    serve = serve_token_pages(case)

    def handler(request: Any) -> Message:
        if request.page_token == "t3":
            raise Abort(grpc.StatusCode.NOT_FOUND, "organization vanished")
        return serve(request)

    recorder.on(case.rpc, handler)
    seen: list[str] = []

    async def drain() -> None:
        pager = case.call(svc)
        if svc.is_async:
            async for item in pager:
                seen.append(case.key(item))
        else:
            seen.extend(case.key(item) for item in pager)

    with pytest.raises(NotFoundError, match="organization vanished"):
        await drain()
    assert seen == ["a1", "a2", "b1", "b2"]


async def test_pager_checks_preconditions_when_created(svc: Services, recorder: Recorder) -> None:
    with pytest.raises(OrganizationIdRequiredError):
        svc.tokens.iter_tokens("")
    assert recorder.calls == []


# --- ListDomains: page numbers --------------------------------------------------------------

DOMAIN_PAGES = {1: ["a1", "a2"], 2: ["b1", "b2"], 3: ["c1"]}


def serve_domain_pages(*, report_size: bool = True) -> Callable[[Any], Message]:
    def handler(request: Any) -> Message:
        number = request.page_number.value
        ids = DOMAIN_PAGES.get(number, [])
        return dm.ListDomainResponse(
            page_number=number,
            page_size=request.page_size.value if report_size else 0,
            domains=[dm.Domain(id=i) for i in ids],
        )

    return handler


@pytest.mark.parametrize("report_size", [True, False])
async def test_domain_pager_follows_page_numbers(
    svc: Services, recorder: Recorder, report_size: bool
) -> None:
    recorder.on("DomainService/ListDomains", serve_domain_pages(report_size=report_size))
    pager = svc.domains.iter_domains(
        "org_1",
        ListDomainsOptions(page_size=2, domain_type="ORGANIZATION_DOMAIN"),
        timeout=TIMEOUT,
        metadata=METADATA,
    )

    assert [d.id for d in await collect(pager)] == ALL_IDS

    assert_forwarded(recorder, "DomainService/ListDomains", 3)
    requests = [call.request for call in recorder.calls]
    assert [r.page_number.value for r in requests] == [1, 2, 3]
    for request in requests:
        assert request.HasField("page_size")
        assert request.page_size.value == 2
        assert request.HasField("page_number")
        assert request.organization_id == "org_1"
        assert request.domain_type == dm.ORGANIZATION_DOMAIN


async def test_domain_pager_defaults(svc: Services, recorder: Recorder) -> None:
    """Without options the pager asks for 100 per page from page 1; a short page ends it."""
    recorder.on(
        "DomainService/ListDomains",
        lambda r: dm.ListDomainResponse(domains=[dm.Domain(id="only")]),
    )
    pages = await collect(svc.domains.iter_domains("org_1"), pages=True)
    assert len(pages) == 1
    [call] = recorder.calls
    assert call.request.page_size.value == 100
    assert call.request.page_number.value == 1


async def test_domain_pager_starts_at_the_given_page(svc: Services, recorder: Recorder) -> None:
    recorder.on("DomainService/ListDomains", serve_domain_pages())
    pager = svc.domains.iter_domains("org_1", ListDomainsOptions(page_size=2, page_number=2))
    assert [d.id for d in await collect(pager)] == ["b1", "b2", "c1"]
    assert [c.request.page_number.value for c in recorder.calls] == [2, 3]


async def test_domain_pager_stops_on_an_empty_page(svc: Services, recorder: Recorder) -> None:
    pages = {1: ["a1", "a2"], 2: ["b1", "b2"]}
    recorder.on(
        "DomainService/ListDomains",
        lambda r: dm.ListDomainResponse(
            domains=[dm.Domain(id=i) for i in pages.get(r.page_number.value, [])]
        ),
    )
    pager = svc.domains.iter_domains("org_1", ListDomainsOptions(page_size=2))
    assert [d.id for d in await collect(pager)] == ["a1", "a2", "b1", "b2"]
    assert len(recorder.calls) == 3


async def test_domain_pager_refuses_a_server_that_ignores_page_numbers(
    svc: Services, recorder: Recorder
) -> None:
    recorder.on(
        "DomainService/ListDomains",
        lambda r: dm.ListDomainResponse(domains=[dm.Domain(id="a1"), dm.Domain(id="a2")]),
    )
    with pytest.raises(PaginationLoopError, match="same page"):
        await collect(svc.domains.iter_domains("org_1", ListDomainsOptions(page_size=2)))
    assert len(recorder.calls) == 2


def test_pager_repr(sync: Services) -> None:
    assert repr(sync.tokens.iter_tokens("org_1")) == "<Pager over ListTokensRequest>"


async def test_pager_default_timeout_applies_per_page(svc: Services, recorder: Recorder) -> None:
    case = TOKEN_PAGED[0]
    recorder.on(case.rpc, serve_token_pages(case))
    await collect(case.call(svc))  # timeout=DEFAULT: the client's 10 s, fresh for each page
    calls = recorder.calls_to(case.rpc)
    assert len(calls) == 3
    for call in calls:
        assert call.time_remaining is not None
        assert 8.0 < call.time_remaining <= 10.5
