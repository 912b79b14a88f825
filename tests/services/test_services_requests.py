"""Every one of the 55 RPCs: the request that reaches the server has exactly the expected fields
(presence included), through the real pipeline with the default timeout, and the sync and
asyncio clients send the same request and return the same result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from _services_harness import ACCESS_TOKEN, Recorder, Services, all_rpcs, resolve
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2
from google.protobuf.message import Message
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.tokens import tokens_pb2 as tk

from scalekit_grpc.options import (
    ConnectionType,
    CreateDirectoryOptions,
    CreateDomainOptions,
    CreateTokenOptions,
    DirectoryProvider,
    ListAppConnectionsOptions,
    ListDirectoryGroupsOptions,
    ListDirectoryUsersOptions,
    PageOptions,
    SearchOrganizationConnectionsOptions,
    UpdateTokenOptions,
    UserSessionFilter,
    UserSessionsOptions,
)

ORG = "org_1"
EXPIRY = datetime(2031, 1, 2, 3, 4, 5, 600000, tzinfo=timezone.utc)
# A non-UTC zone: the instant, not the wall-clock reading, must reach the wire.
AFTER = datetime(2030, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
START = datetime(2030, 1, 1, tzinfo=timezone.utc)
END = datetime(2030, 2, 1, tzinfo=timezone.utc)


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def struct(**values: Any) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(values)
    return result


def same(response: Message) -> Any:
    return response


def nothing(response: Message) -> Any:
    return None


@dataclass(frozen=True)
class Case:
    name: str
    rpc: str
    call: Callable[[Services], Any]
    expected: Message
    returns: Callable[[Message], Any] = field(default=same)


CASES = [
    # --- tokens ---
    Case(
        "create_token",
        "ApiTokenService/CreateToken",
        lambda s: s.tokens.create_token(
            ORG,
            CreateTokenOptions(
                user_id="usr_1", custom_claims={"team": "core"}, expiry=EXPIRY, description="ci"
            ),
        ),
        tk.CreateTokenRequest(
            token=tk.CreateToken(
                organization_id=ORG,
                user_id="usr_1",
                custom_claims={"team": "core"},
                expiry=ts(EXPIRY),
                description="ci",
            )
        ),
    ),
    Case(
        "validate_token",
        "ApiTokenService/ValidateToken",
        lambda s: s.tokens.validate_token("apit_secret"),
        tk.ValidateTokenRequest(token="apit_secret"),
    ),
    Case(
        "invalidate_token",
        "ApiTokenService/InvalidateToken",
        lambda s: s.tokens.invalidate_token("apit_secret"),
        tk.InvalidateTokenRequest(token="apit_secret"),
        nothing,
    ),
    Case(
        "list_tokens",
        "ApiTokenService/ListTokens",
        lambda s: s.tokens.list_tokens(ORG),
        tk.ListTokensRequest(organization_id=ORG),
    ),
    Case(
        "update_token",
        "ApiTokenService/UpdateToken",
        lambda s: s.tokens.update_token(
            "apit_secret", UpdateTokenOptions(custom_claims={"a": "1"}, description="")
        ),
        tk.UpdateTokenRequest(token="apit_secret", custom_claims={"a": "1"}, description=""),
    ),
    Case(
        "fetch_token",
        "ApiTokenService/FetchToken",
        lambda s: s.tokens.fetch_token("apit_1"),
        tk.FetchTokenRequest(token_id="apit_1"),
    ),
    # --- domains ---
    Case(
        "create_domain",
        "DomainService/CreateDomain",
        lambda s: s.domains.create_domain(
            ORG, "example.com", CreateDomainOptions(domain_type="allowed_email_domain")
        ),
        dm.CreateDomainRequest(
            organization_id=ORG,
            domain=dm.CreateDomain(domain="example.com", domain_type=dm.ALLOWED_EMAIL_DOMAIN),
        ),
    ),
    Case(
        "update_domain",
        "DomainService/UpdateDomain",
        lambda s: s.domains.update_domain(ORG, "dom_1"),
        dm.UpdateDomainRequest(organization_id=ORG, id="dom_1", domain=dm.UpdateDomain()),
    ),
    Case(
        "verify_domain",
        "DomainService/VerifyDomain",
        lambda s: s.domains.verify_domain(ORG, "dom_1"),
        dm.VerifyDomainRequest(organization_id=ORG, id="dom_1"),
    ),
    Case(
        "get_domain",
        "DomainService/GetDomain",
        lambda s: s.domains.get_domain(ORG, "dom_1"),
        dm.GetDomainRequest(organization_id=ORG, id="dom_1"),
    ),
    Case(
        "delete_domain",
        "DomainService/DeleteDomain",
        lambda s: s.domains.delete_domain(ORG, "dom_1"),
        dm.DeleteDomainRequest(organization_id=ORG, id="dom_1"),
        nothing,
    ),
    Case(
        "list_domains",
        "DomainService/ListDomains",
        lambda s: s.domains.list_domains(ORG),
        dm.ListDomainRequest(organization_id=ORG, page_size=wrappers_pb2.Int32Value(value=100)),
    ),
    Case(
        "list_authorized_domains",
        "DomainService/ListAuthorizedDomains",
        lambda s: s.domains.list_authorized_domains("https://app.example.com", link_id="lnk_1"),
        dm.ListAuthorizedDomainRequest(origin="https://app.example.com", link_id="lnk_1"),
    ),
    # --- connections ---
    Case(
        "create_environment_connection",
        "ConnectionService/CreateEnvironmentConnection",
        lambda s: s.connections.create_environment_connection(
            cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC), cx.Flags(is_login=True)
        ),
        cx.CreateEnvironmentConnectionRequest(
            connection=cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC),
            flags=cx.Flags(is_login=True),
        ),
    ),
    Case(
        "create_connection",
        "ConnectionService/CreateConnection",
        lambda s: s.connections.create_connection(
            ORG, cx.CreateConnection(provider=cx.OKTA, type=cx.SAML)
        ),
        cx.CreateConnectionRequest(
            organization_id=ORG, connection=cx.CreateConnection(provider=cx.OKTA, type=cx.SAML)
        ),
    ),
    Case(
        "assign_domains_to_connection",
        "ConnectionService/AssignDomainsToConnection",
        lambda s: s.connections.assign_domains_to_connection(ORG, "conn_1", ["dom_1", "dom_2"]),
        cx.AssignDomainsToConnectionRequest(
            organization_id=ORG, connection_id="conn_1", domain_ids=["dom_1", "dom_2"]
        ),
    ),
    Case(
        "get_environment_connection",
        "ConnectionService/GetEnvironmentConnection",
        lambda s: s.connections.get_environment_connection("conn_1"),
        cx.GetEnvironmentConnectionRequest(connection_id="conn_1"),
    ),
    Case(
        "get_connection",
        "ConnectionService/GetConnection",
        lambda s: s.connections.get_connection(ORG, "conn_1"),
        cx.GetConnectionRequest(organization_id=ORG, id="conn_1"),
    ),
    Case(
        "list_connections",
        "ConnectionService/ListConnections",
        lambda s: s.connections.list_connections(ORG),
        cx.ListConnectionsRequest(organization_id=ORG, include="all"),
    ),
    Case(
        "list_connections_by_domain",
        "ConnectionService/ListConnections",
        lambda s: s.connections.list_connections_by_domain("example.com"),
        cx.ListConnectionsRequest(domain="example.com", include="all"),
    ),
    Case(
        "list_organization_connections",
        "ConnectionService/ListOrganizationConnections",
        lambda s: s.connections.list_organization_connections(
            PageOptions(page_size=5, page_token="p2")
        ),
        cx.ListOrganizationConnectionsRequest(page_size=5, page_token="p2"),
    ),
    Case(
        "search_organization_connections",
        "ConnectionService/SearchOrganizationConnections",
        lambda s: s.connections.search_organization_connections(
            SearchOrganizationConnectionsOptions(
                query="acme",
                provider="OKTA",
                status="completed",
                connection_type=ConnectionType.SAML,
                enabled=False,
                page_size=10,
                page_token="p2",
            )
        ),
        cx.SearchOrganizationConnectionsRequest(
            query="acme",
            provider="OKTA",
            status=cx.COMPLETED,
            connection_type=cx.SAML,
            enabled=False,
            page_size=10,
            page_token="p2",
        ),
    ),
    Case(
        "update_environment_connection",
        "ConnectionService/UpdateEnvironmentConnection",
        lambda s: s.connections.update_environment_connection(
            "conn_1", cx.UpdateConnection(debug_enabled=wrappers_pb2.BoolValue(value=False))
        ),
        cx.UpdateEnvironmentConnectionRequest(
            connection_id="conn_1",
            connection=cx.UpdateConnection(debug_enabled=wrappers_pb2.BoolValue(value=False)),
        ),
    ),
    Case(
        "update_connection",
        "ConnectionService/UpdateConnection",
        lambda s: s.connections.update_connection(
            ORG,
            "conn_1",
            cx.UpdateConnection(
                oidc_config=cx.OIDCConnectionConfig(
                    issuer=wrappers_pb2.StringValue(value="https://idp.example.com")
                )
            ),
        ),
        cx.UpdateConnectionRequest(
            organization_id=ORG,
            id="conn_1",
            connection=cx.UpdateConnection(
                oidc_config=cx.OIDCConnectionConfig(
                    issuer=wrappers_pb2.StringValue(value="https://idp.example.com")
                )
            ),
        ),
    ),
    Case(
        "delete_environment_connection",
        "ConnectionService/DeleteEnvironmentConnection",
        lambda s: s.connections.delete_environment_connection("conn_1"),
        cx.DeleteEnvironmentConnectionRequest(connection_id="conn_1"),
        nothing,
    ),
    Case(
        "delete_connection",
        "ConnectionService/DeleteConnection",
        lambda s: s.connections.delete_connection(ORG, "conn_1"),
        cx.DeleteConnectionRequest(organization_id=ORG, id="conn_1"),
        nothing,
    ),
    Case(
        "enable_environment_connection",
        "ConnectionService/EnableEnvironmentConnection",
        lambda s: s.connections.enable_environment_connection("conn_1"),
        cx.ToggleEnvironmentConnectionRequest(connection_id="conn_1"),
    ),
    Case(
        "enable_connection",
        "ConnectionService/EnableConnection",
        lambda s: s.connections.enable_connection(ORG, "conn_1"),
        cx.ToggleConnectionRequest(organization_id=ORG, id="conn_1"),
    ),
    Case(
        "disable_environment_connection",
        "ConnectionService/DisableEnvironmentConnection",
        lambda s: s.connections.disable_environment_connection("conn_1"),
        cx.ToggleEnvironmentConnectionRequest(connection_id="conn_1"),
    ),
    Case(
        "disable_connection",
        "ConnectionService/DisableConnection",
        lambda s: s.connections.disable_connection(ORG, "conn_1"),
        cx.ToggleConnectionRequest(organization_id=ORG, id="conn_1"),
    ),
    Case(
        "get_connection_test_result",
        "ConnectionService/GetConnectionTestResult",
        lambda s: s.connections.get_connection_test_result("conn_1", "tr_1"),
        cx.GetConnectionTestResultRequest(connection_id="conn_1", test_request_id="tr_1"),
    ),
    Case(
        "list_app_connections",
        "ConnectionService/ListAppConnections",
        lambda s: s.connections.list_app_connections(
            ListAppConnectionsOptions(provider="github", query="ci", page_size=3, page_token="p2")
        ),
        cx.ListAppConnectionsRequest(provider="github", query="ci", page_size=3, page_token="p2"),
    ),
    Case(
        "get_connection_context",
        "ConnectionService/GetConnectionContext",
        lambda s: s.connections.get_connection_context(ORG, "conn_1"),
        cx.GetConnectionContextRequest(organization_id=ORG, connection_id="conn_1"),
    ),
    Case(
        "update_connection_context",
        "ConnectionService/UpdateConnectionContext",
        lambda s: s.connections.update_connection_context(
            ORG, "conn_1", {"tenant": "acme", "seats": 3}
        ),
        cx.UpdateConnectionContextRequest(
            organization_id=ORG, connection_id="conn_1", context=struct(tenant="acme", seats=3)
        ),
        nothing,
    ),
    # --- directories ---
    Case(
        "create_directory",
        "DirectoryService/CreateDirectory",
        lambda s: s.directories.create_directory(
            ORG,
            CreateDirectoryOptions(
                directory_type="scim", directory_provider=DirectoryProvider.OKTA
            ),
        ),
        dr.CreateDirectoryRequest(
            organization_id=ORG,
            directory=dr.CreateDirectory(directory_type=dr.SCIM, directory_provider=dr.OKTA),
        ),
    ),
    Case(
        "delete_directory",
        "DirectoryService/DeleteDirectory",
        lambda s: s.directories.delete_directory(ORG, "dir_1"),
        dr.DeleteDirectoryRequest(organization_id=ORG, id="dir_1"),
        nothing,
    ),
    Case(
        "update_directory",
        "DirectoryService/UpdateDirectory",
        lambda s: s.directories.update_directory(
            ORG, "dir_1", dr.UpdateDirectory(name="Engineering", enabled=True)
        ),
        dr.UpdateDirectoryRequest(
            organization_id=ORG,
            id="dir_1",
            directory=dr.UpdateDirectory(name="Engineering", enabled=True),
        ),
    ),
    Case(
        "assign_groups_for_directory",
        "DirectoryService/AssignGroupsForDirectory",
        lambda s: s.directories.assign_groups_for_directory(ORG, "dir_1", ["g1", "g2"]),
        dr.AssignGroupsForDirectoryRequest(
            organization_id=ORG, id="dir_1", external_ids=["g1", "g2"]
        ),
        nothing,
    ),
    Case(
        "assign_roles",
        "DirectoryService/AssignRoles",
        lambda s: s.directories.assign_roles(
            ORG, "dir_1", [dr.RoleAssignment(group_id="g1", role_name="admin")]
        ),
        dr.AssignRolesRequest(
            organization_id=ORG,
            id="dir_1",
            role_assignments=dr.RoleAssignments(
                assignments=[dr.RoleAssignment(group_id="g1", role_name="admin")]
            ),
        ),
    ),
    Case(
        "update_attributes",
        "DirectoryService/UpdateAttributes",
        lambda s: s.directories.update_attributes(
            ORG,
            "dir_1",
            dr.AttributeMappings(attributes=[dr.AttributeMapping(key="email", map_to="mail")]),
        ),
        dr.UpdateAttributesRequest(
            organization_id=ORG,
            id="dir_1",
            attribute_mapping=dr.AttributeMappings(
                attributes=[dr.AttributeMapping(key="email", map_to="mail")]
            ),
        ),
    ),
    Case(
        "get_directory",
        "DirectoryService/GetDirectory",
        lambda s: s.directories.get_directory(ORG, "dir_1"),
        dr.GetDirectoryRequest(organization_id=ORG, id="dir_1"),
    ),
    Case(
        "list_directories",
        "DirectoryService/ListDirectories",
        lambda s: s.directories.list_directories(ORG),
        dr.ListDirectoriesRequest(organization_id=ORG),
    ),
    Case(
        "get_primary_directory_by_organization_id",
        "DirectoryService/ListDirectories",
        lambda s: s.directories.get_primary_directory_by_organization_id(ORG),
        dr.ListDirectoriesRequest(organization_id=ORG),
        lambda response: response.directories[0],  # type: ignore[attr-defined]
    ),
    Case(
        "enable_directory",
        "DirectoryService/EnableDirectory",
        lambda s: s.directories.enable_directory(ORG, "dir_1"),
        dr.ToggleDirectoryRequest(organization_id=ORG, id="dir_1"),
    ),
    Case(
        "disable_directory",
        "DirectoryService/DisableDirectory",
        lambda s: s.directories.disable_directory(ORG, "dir_1"),
        dr.ToggleDirectoryRequest(organization_id=ORG, id="dir_1"),
    ),
    Case(
        "list_directory_users",
        "DirectoryService/ListDirectoryUsers",
        lambda s: s.directories.list_directory_users(
            ORG,
            "dir_1",
            ListDirectoryUsersOptions(
                page_size=50,
                page_token="p2",
                include_detail=False,
                directory_group_id="grp_1",
                updated_after=AFTER,
            ),
        ),
        dr.ListDirectoryUsersRequest(
            organization_id=ORG,
            directory_id="dir_1",
            page_size=50,
            page_token="p2",
            include_detail=False,
            directory_group_id="grp_1",
            updated_after=ts(AFTER),
        ),
    ),
    Case(
        "list_directory_groups",
        "DirectoryService/ListDirectoryGroups",
        lambda s: s.directories.list_directory_groups(
            ORG,
            "dir_1",
            ListDirectoryGroupsOptions(
                page_size=50,
                page_token="p2",
                include_detail=True,
                updated_after=AFTER,
                include_external_groups=False,
            ),
        ),
        dr.ListDirectoryGroupsRequest(
            organization_id=ORG,
            directory_id="dir_1",
            page_size=50,
            page_token="p2",
            include_detail=True,
            updated_after=ts(AFTER),
            include_external_groups=False,
        ),
    ),
    Case(
        "list_directory_groups_summary",
        "DirectoryService/ListDirectoryGroupsSummary",
        lambda s: s.directories.list_directory_groups_summary(ORG, "dir_1"),
        dr.ListDirectoryGroupsSummaryRequest(organization_id=ORG, directory_id="dir_1"),
    ),
    Case(
        "create_directory_secret",
        "DirectoryService/CreateDirectorySecret",
        lambda s: s.directories.create_directory_secret(ORG, "dir_1"),
        dr.CreateDirectorySecretRequest(organization_id=ORG, directory_id="dir_1"),
    ),
    Case(
        "regenerate_directory_secret",
        "DirectoryService/RegenerateDirectorySecret",
        lambda s: s.directories.regenerate_directory_secret(ORG, "dir_1"),
        dr.RegenerateDirectorySecretRequest(organization_id=ORG, directory_id="dir_1"),
    ),
    Case(
        "trigger_directory_sync",
        "DirectoryService/TriggerDirectorySync",
        lambda s: s.directories.trigger_directory_sync(ORG, "dir_1"),
        dr.TriggerDirectorySyncRequest(organization_id=ORG, directory_id="dir_1"),
        nothing,
    ),
    Case(
        "get_directory_context",
        "DirectoryService/GetDirectoryContext",
        lambda s: s.directories.get_directory_context(ORG, "dir_1"),
        dr.GetDirectoryContextRequest(organization_id=ORG, directory_id="dir_1"),
    ),
    Case(
        "update_directory_context",
        "DirectoryService/UpdateDirectoryContext",
        lambda s: s.directories.update_directory_context(ORG, "dir_1", struct(region="eu")),
        dr.UpdateDirectoryContextRequest(
            organization_id=ORG, directory_id="dir_1", context=struct(region="eu")
        ),
        nothing,
    ),
    # --- sessions ---
    Case(
        "get_session",
        "SessionService/GetSession",
        lambda s: s.sessions.get_session("ses_1"),
        ss.SessionDetailsRequest(session_id="ses_1"),
    ),
    Case(
        "revoke_session",
        "SessionService/RevokeSession",
        lambda s: s.sessions.revoke_session("ses_1"),
        ss.RevokeSessionRequest(session_id="ses_1"),
    ),
    Case(
        "get_user_sessions",
        "SessionService/GetUserSessions",
        lambda s: s.sessions.get_user_sessions(
            "usr_1",
            UserSessionsOptions(
                page_size=20,
                page_token="p2",
                filter=UserSessionFilter(
                    status=["ACTIVE", "EXPIRED"], start_time=START, end_time=END
                ),
            ),
        ),
        ss.UserSessionDetailsRequest(
            user_id="usr_1",
            page_size=20,
            page_token="p2",
            filter=ss.UserSessionFilter(
                status=["ACTIVE", "EXPIRED"], start_time=ts(START), end_time=ts(END)
            ),
        ),
    ),
    Case(
        "revoke_all_user_sessions",
        "SessionService/RevokeAllUserSessions",
        lambda s: s.sessions.revoke_all_user_sessions("usr_1"),
        ss.RevokeAllUserSessionsRequest(user_id="usr_1"),
    ),
]


def field_names(message: Message) -> list[str]:
    return sorted(f.name for f, _ in message.ListFields())


def assert_same_request(actual: Message, expected: Message) -> None:
    """Same set fields (presence included, at every level) and the same values."""
    assert type(actual) is type(expected)
    assert field_names(actual) == field_names(expected)
    assert actual.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    ), f"{actual} != {expected}"


def test_every_rpc_has_a_case() -> None:
    assert {case.rpc for case in CASES} == all_rpcs()
    assert len(all_rpcs()) == 55


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_request_on_the_wire(
    case: Case, sync: Services, aio: Services, recorder: Recorder
) -> None:
    results = []
    for services in (sync, aio):
        recorder.reset()
        result = await resolve(case.call(services))
        [call] = recorder.calls
        assert call.rpc == case.rpc
        assert_same_request(call.request, case.expected)
        # The pipeline ran: bearer token, and timeout=DEFAULT became the client's 10 s default.
        assert call.metadata["authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert call.time_remaining is not None
        assert 5.0 < call.time_remaining <= 10.5  # grpc rounds deadlines up slightly
        results.append(result)
    expected = case.returns(recorder.default_response(case.rpc))
    assert results[0] == expected
    assert results[1] == expected
    if expected is not None:
        assert type(results[0]) is type(results[1]) is type(expected)
        assert results[0].ListFields()  # a filled response made it through
