"""The Go SDK v2.2.0 semantics the issue lists, on both clients."""

from __future__ import annotations

from datetime import datetime, timezone

import grpc
import pytest
from _services_harness import Abort, Recorder, Services, resolve
from google.protobuf import struct_pb2
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.sessions import sessions_pb2 as ss

from scalekit_grpc import errors
from scalekit_grpc.options import (
    CreateDomainOptions,
    DomainType,
    ListConnectionsOptions,
    ListDomainsOptions,
    ListTokensOptions,
    UpdateTokenOptions,
    UserSessionFilter,
    UserSessionsOptions,
)


def fields(message: object) -> list[str]:
    return sorted(f.name for f, _ in message.ListFields())  # type: ignore[attr-defined]


def only_request(recorder: Recorder) -> object:
    [call] = recorder.calls
    return call.request


# --- domains --------------------------------------------------------------------------------


async def test_create_domain_uses_the_identities_oneof(svc: Services, recorder: Recorder) -> None:
    await resolve(svc.domains.create_domain("org_1", "example.com"))
    request = only_request(recorder)
    assert request.WhichOneof("identities") == "organization_id"  # type: ignore[attr-defined]
    assert fields(request.domain) == ["domain"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, {"page_size": 100}),
        (ListDomainsOptions(), {}),
        (ListDomainsOptions(page_size=0, page_number=0), {}),
        (ListDomainsOptions(page_size=25), {"page_size": 25}),
        (ListDomainsOptions(page_number=3), {"page_number": 3}),
        (
            ListDomainsOptions(
                page_size=5, page_number=2, domain_type=DomainType.ORGANIZATION_DOMAIN
            ),
            {"page_size": 5, "page_number": 2, "domain_type": dm.ORGANIZATION_DOMAIN},
        ),
    ],
    ids=["no-options", "empty-options", "zeros", "size", "number", "all"],
)
async def test_list_domains_sends_page_fields_like_go(
    svc: Services, recorder: Recorder, options: ListDomainsOptions | None, expected: dict[str, int]
) -> None:
    await resolve(svc.domains.list_domains("org_1", options))
    request = only_request(recorder)
    assert fields(request) == sorted(["organization_id", *expected])
    for name, value in expected.items():
        sent = getattr(request, name)
        assert (sent.value if name != "domain_type" else sent) == value


async def test_create_domain_type_and_connection(svc: Services, recorder: Recorder) -> None:
    options = CreateDomainOptions(domain_type="ORGANIZATION_DOMAIN", connection_id="conn_1")
    await resolve(svc.domains.create_domain("org_1", "example.com", options))
    request = only_request(recorder)
    assert request.domain.domain_type == dm.ORGANIZATION_DOMAIN  # type: ignore[attr-defined]
    assert request.HasField("connection_id")  # type: ignore[attr-defined]


# --- connections ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "include"),
    [
        (None, "all"),
        (ListConnectionsOptions(), "all"),
        (ListConnectionsOptions(include="active"), "active"),
        (ListConnectionsOptions(include=None), None),
    ],
    ids=["default", "default-options", "override", "server-default"],
)
async def test_list_connections_include(
    svc: Services, recorder: Recorder, options: ListConnectionsOptions | None, include: str | None
) -> None:
    await resolve(svc.connections.list_connections("org_1", options))
    await resolve(svc.connections.list_connections_by_domain("example.com", options))
    by_org, by_domain = (call.request for call in recorder.calls)
    assert fields(by_org) == sorted(["organization_id"] + (["include"] if include else []))
    assert fields(by_domain) == sorted(["domain"] + (["include"] if include else []))
    if include:
        assert by_org.include == by_domain.include == include  # type: ignore[attr-defined]


async def test_caller_messages_are_not_mutated(svc: Services, recorder: Recorder) -> None:
    connection = cx.CreateConnection(provider=cx.OKTA)
    before = connection.SerializeToString()
    await resolve(svc.connections.create_connection("org_1", connection))
    assert connection.SerializeToString() == before


async def test_context_rejects_a_non_mapping_before_io(svc: Services, recorder: Recorder) -> None:
    with pytest.raises(TypeError, match="Struct or a mapping"):
        await resolve(svc.connections.update_connection_context("org_1", "conn_1", ["a"]))
    with pytest.raises(TypeError, match="single string"):
        await resolve(svc.connections.assign_domains_to_connection("org_1", "conn_1", "dom_1"))
    assert recorder.calls == []


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (grpc.StatusCode.UNAUTHENTICATED, errors.UnauthenticatedError),
        (grpc.StatusCode.NOT_FOUND, errors.NotFoundError),
        (grpc.StatusCode.PERMISSION_DENIED, errors.PermissionDeniedError),
    ],
)
async def test_validate_token_rejections(
    svc: Services, recorder: Recorder, code: grpc.StatusCode, cause: type[Exception]
) -> None:
    def reject(request: object) -> object:
        raise Abort(code, "token revoked")

    recorder.on("ApiTokenService/ValidateToken", reject)
    with pytest.raises(errors.TokenValidationFailedError) as caught:
        await resolve(svc.tokens.validate_token("apit_bad"))
    assert isinstance(caught.value.__cause__, cause)
    assert "token revoked" in str(caught.value)
    assert not isinstance(caught.value, errors.ApiError)


async def test_validate_token_other_errors_pass_through(svc: Services, recorder: Recorder) -> None:
    def invalid(request: object) -> object:
        raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "malformed")

    recorder.on("ApiTokenService/ValidateToken", invalid)
    with pytest.raises(errors.InvalidArgumentError) as caught:
        await resolve(svc.tokens.validate_token("apit_bad"))
    assert not isinstance(caught.value, errors.TokenValidationFailedError)


async def test_validate_empty_token(svc: Services, recorder: Recorder) -> None:
    with pytest.raises(errors.TokenValidationFailedError):
        await resolve(svc.tokens.validate_token(""))
    assert recorder.calls == []


async def test_update_token_leaves_unset_fields_unsent(svc: Services, recorder: Recorder) -> None:
    await resolve(svc.tokens.update_token("apit_1"))
    await resolve(svc.tokens.update_token("apit_1", UpdateTokenOptions(description="new")))
    await resolve(svc.tokens.update_token("apit_1", UpdateTokenOptions(custom_claims={"a": "1"})))
    untouched, described, claimed = (call.request for call in recorder.calls)
    assert fields(untouched) == ["token"]
    assert fields(described) == ["description", "token"]
    assert fields(claimed) == ["custom_claims", "token"]
    # Full replacement: exactly the given claims, no merge with the current ones.
    assert dict(claimed.custom_claims) == {"a": "1"}  # type: ignore[attr-defined]


async def test_update_token_empty_description_clears(svc: Services, recorder: Recorder) -> None:
    await resolve(svc.tokens.update_token("apit_1", UpdateTokenOptions(description="")))
    request = only_request(recorder)
    assert request.HasField("description")  # type: ignore[attr-defined]
    assert request.description == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize(("user_id", "sent"), [(None, False), ("", False), ("usr_1", True)])
async def test_list_tokens_user_id_presence(
    svc: Services, recorder: Recorder, user_id: str | None, sent: bool
) -> None:
    await resolve(svc.tokens.list_tokens("org_1", ListTokensOptions(user_id=user_id)))
    assert only_request(recorder).HasField("user_id") is sent  # type: ignore[attr-defined]


async def test_invalidate_token_is_idempotent(svc: Services, recorder: Recorder) -> None:
    assert await resolve(svc.tokens.invalidate_token("apit_1")) is None
    assert await resolve(svc.tokens.invalidate_token("apit_1")) is None

    def gone(request: object) -> object:
        raise Abort(grpc.StatusCode.NOT_FOUND, "already revoked")

    recorder.on("ApiTokenService/InvalidateToken", gone)
    assert await resolve(svc.tokens.invalidate_token("apit_1")) is None
    assert len(recorder.calls) == 3


async def test_invalidate_token_other_errors_raise(svc: Services, recorder: Recorder) -> None:
    def denied(request: object) -> object:
        raise Abort(grpc.StatusCode.PERMISSION_DENIED, "nope")

    recorder.on("ApiTokenService/InvalidateToken", denied)
    with pytest.raises(errors.PermissionDeniedError):
        await resolve(svc.tokens.invalidate_token("apit_1"))


# --- directories ----------------------------------------------------------------------------


async def test_primary_directory_is_the_first(svc: Services, recorder: Recorder) -> None:
    recorder.on(
        "DirectoryService/ListDirectories",
        lambda r: dr.ListDirectoriesResponse(
            directories=[dr.Directory(id="dir_a"), dr.Directory(id="dir_b")]
        ),
    )
    primary = await resolve(svc.directories.get_primary_directory_by_organization_id("org_1"))
    assert isinstance(primary, dr.Directory)
    assert primary.id == "dir_a"


async def test_no_primary_directory(svc: Services, recorder: Recorder) -> None:
    recorder.on("DirectoryService/ListDirectories", lambda r: dr.ListDirectoriesResponse())
    with pytest.raises(errors.DirectoryNotFoundError, match="org_1") as caught:
        await resolve(svc.directories.get_primary_directory_by_organization_id("org_1"))
    assert isinstance(caught.value, errors.NotFoundError)


async def test_directory_users_non_empty_page(svc: Services, recorder: Recorder) -> None:
    detail = struct_pb2.Struct()
    detail.update({"department": "R&D", "level": 3})
    page = dr.ListDirectoryUsersResponse(
        users=[
            dr.DirectoryUser(
                id="du_1",
                email="a@x.io",
                emails=["a@x.io", "b@x.io"],
                groups=[dr.DirectoryGroup(id="g1", display_name="Eng")],
                user_detail=detail,
            )
        ],
        total_size=1,
    )
    recorder.on("DirectoryService/ListDirectoryUsers", lambda r: page)
    result = await resolve(svc.directories.list_directory_users("org_1", "dir_1"))
    assert result == page
    assert result.users[0].user_detail["department"] == "R&D"
    assert fields(only_request(recorder)) == ["directory_id", "organization_id"]


async def test_update_attributes_and_roles_accept_messages_or_lists(
    svc: Services, recorder: Recorder
) -> None:
    mapping = dr.AttributeMapping(key="email", map_to="mail")
    assignment = dr.RoleAssignment(group_id="g1", role_name="admin")
    await resolve(svc.directories.update_attributes("org_1", "dir_1", [mapping]))
    await resolve(
        svc.directories.assign_roles("org_1", "dir_1", dr.RoleAssignments(assignments=[assignment]))
    )
    attributes, roles = (call.request for call in recorder.calls)
    assert list(attributes.attribute_mapping.attributes) == [mapping]  # type: ignore[attr-defined]
    assert list(roles.role_assignments.assignments) == [assignment]  # type: ignore[attr-defined]


# --- sessions -------------------------------------------------------------------------------


async def test_user_sessions_filter(svc: Services, recorder: Recorder) -> None:
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    await resolve(svc.sessions.get_user_sessions("usr_1"))
    await resolve(
        svc.sessions.get_user_sessions(
            "usr_1", UserSessionsOptions(filter=UserSessionFilter(status=("ACTIVE",)))
        )
    )
    await resolve(
        svc.sessions.get_user_sessions(
            "usr_1", UserSessionsOptions(filter=UserSessionFilter(start_time=start))
        )
    )
    plain, by_status, by_start = (call.request for call in recorder.calls)
    assert fields(plain) == ["user_id"]
    assert fields(by_status.filter) == ["status"]  # type: ignore[attr-defined]
    assert list(by_status.filter.status) == ["ACTIVE"]  # type: ignore[attr-defined]
    assert fields(by_start.filter) == ["start_time"]  # type: ignore[attr-defined]
    assert by_start.filter.start_time.ToDatetime(tzinfo=timezone.utc) == start  # type: ignore[attr-defined]


async def test_session_results_are_the_generated_messages(
    svc: Services, recorder: Recorder
) -> None:
    details = ss.SessionDetails(session_id="ses_1", user_id="usr_1", status="ACTIVE")
    recorder.on("SessionService/GetSession", lambda r: details)
    assert await resolve(svc.sessions.get_session("ses_1")) == details
