"""State transitions of the five services through raw generated stubs on a real loopback server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.tokens import tokens_pb2 as tk

from scalekit_grpc.testing import MockScalekitServer

ORG = "org_100"


def walk(call: Callable[[str], Any], items: str) -> list[list[Any]]:
    """Every page of a token-paged list, following next_page_token until it is empty."""
    pages, token = [], ""
    for _ in range(50):
        reply = call(token)
        pages.append(list(getattr(reply, items)))
        token = reply.next_page_token
        if not token:
            return pages
    raise AssertionError("pagination did not end")


def code_of(fn: Callable[..., Any], *args: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        fn(*args)
    return caught.value.code()


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromNanoseconds(int(seconds * 1e9))
    return out


# --- API tokens ---


def test_token_lifecycle(api, error_info) -> None:
    future = ts(time.time() + 3600)
    created = api.tokens.CreateToken(
        tk.CreateTokenRequest(
            token=tk.CreateToken(
                organization_id=ORG,
                user_id="usr_1",
                custom_claims={"team": "core", "tier": "gold"},
                expiry=future,
                description="ci token",
            )
        )
    )
    info = created.token_info
    assert created.token_id.startswith("apit_")
    assert info.token_id == created.token_id
    assert info.token_suffix == created.token[-4:]
    assert dict(info.custom_claims) == {"team": "core", "tier": "gold"}
    assert info.description == "ci token"
    assert info.user_id == "usr_1"
    assert info.expiry == future
    assert info.HasField("created_at")

    by_token = api.tokens.ValidateToken(tk.ValidateTokenRequest(token=created.token)).token_info
    by_id = api.tokens.ValidateToken(tk.ValidateTokenRequest(token=created.token_id)).token_info
    assert by_token == by_id == info

    # description absent: unchanged; claims replaced as a whole
    updated = api.tokens.UpdateToken(
        tk.UpdateTokenRequest(token=created.token, custom_claims={"team": "edge"})
    ).token_info
    assert updated.description == "ci token"
    assert dict(updated.custom_claims) == {"team": "edge"}
    # empty map: claims unchanged; "" clears the description
    updated = api.tokens.UpdateToken(
        tk.UpdateTokenRequest(token=created.token, description="")
    ).token_info
    assert not updated.HasField("description")
    assert dict(updated.custom_claims) == {"team": "edge"}

    fetched = api.tokens.FetchToken(tk.FetchTokenRequest(token_id=created.token_id))
    assert fetched.token == created.token
    assert fetched.HasField("retrieved_at")

    api.tokens.InvalidateToken(tk.InvalidateTokenRequest(token=created.token))
    api.tokens.InvalidateToken(tk.InvalidateTokenRequest(token=created.token))  # idempotent
    with pytest.raises(grpc.RpcError) as caught:
        api.tokens.ValidateToken(tk.ValidateTokenRequest(token=created.token))
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(caught.value).error_code == "TOKEN_NOT_FOUND"
    assert code_of(api.tokens.FetchToken, tk.FetchTokenRequest(token_id=created.token_id)) is (
        grpc.StatusCode.NOT_FOUND
    )
    assert code_of(api.tokens.InvalidateToken, tk.InvalidateTokenRequest(token="skt_unknown")) is (
        grpc.StatusCode.NOT_FOUND
    )


def test_token_validation_errors(api, error_info) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        api.tokens.CreateToken(tk.CreateTokenRequest(token=tk.CreateToken()))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = error_info(caught.value).validation_error_info.field_violations
    assert [(v.field, v.constraint) for v in violations] == [("token.organization_id", "required")]

    created = api.tokens.CreateToken(
        tk.CreateTokenRequest(token=tk.CreateToken(organization_id=ORG))
    )
    with pytest.raises(grpc.RpcError) as caught:
        api.tokens.UpdateToken(tk.UpdateTokenRequest(token=created.token, custom_claims={"k": ""}))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert (
        error_info(caught.value)
        .validation_error_info.field_violations[0]
        .field.startswith("custom_claims")
    )
    assert code_of(api.tokens.ValidateToken, tk.ValidateTokenRequest()) is (
        grpc.StatusCode.INVALID_ARGUMENT
    )
    past = tk.CreateToken(organization_id=ORG, expiry=ts(time.time() - 10))
    assert code_of(api.tokens.CreateToken, tk.CreateTokenRequest(token=past)) is (
        grpc.StatusCode.INVALID_ARGUMENT
    )


def test_token_pages_three_then_stop_and_stable(api, error_info) -> None:
    ids = [
        api.tokens.CreateToken(
            tk.CreateTokenRequest(token=tk.CreateToken(organization_id=ORG, user_id=f"usr_{i % 2}"))
        ).token_id
        for i in range(25)
    ]
    api.tokens.CreateToken(tk.CreateTokenRequest(token=tk.CreateToken(organization_id="org_other")))

    def page(token: str) -> Any:
        return api.tokens.ListTokens(tk.ListTokensRequest(organization_id=ORG, page_token=token))

    first = walk(page, "tokens")
    assert [len(p) for p in first] == [10, 10, 5]
    assert [t.token_id for p in first for t in p] == ids
    assert walk(page, "tokens") == first
    reply = page("")
    assert reply.total_count == 25
    assert reply.prev_page_token == ""
    second = page(reply.next_page_token)
    assert page(second.prev_page_token) == reply

    user0 = api.tokens.ListTokens(
        tk.ListTokensRequest(organization_id=ORG, user_id="usr_0", page_size=100)
    )
    assert user0.total_count == 13
    assert user0.next_page_token == ""
    # a page token is bound to its filters
    with pytest.raises(grpc.RpcError) as caught:
        api.tokens.ListTokens(
            tk.ListTokensRequest(
                organization_id=ORG, user_id="usr_0", page_token=reply.next_page_token
            )
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).validation_error_info.field_violations[0].field == "page_token"
    garbage = tk.ListTokensRequest(organization_id=ORG, page_token="%%%")
    assert code_of(api.tokens.ListTokens, garbage) is grpc.StatusCode.INVALID_ARGUMENT


# --- domains ---


def test_domain_lifecycle(api, error_info) -> None:
    created = api.domains.CreateDomain(
        dm.CreateDomainRequest(organization_id=ORG, domain=dm.CreateDomain(domain="Example.COM"))
    ).domain
    assert created.id.startswith("dom_")
    assert created.domain == "example.com"
    assert created.domain_type == dm.ORGANIZATION_DOMAIN
    assert created.verification_status == dm.PENDING
    assert created.txt_record_secret
    assert created.organization_id == ORG
    assert created.environment_id.startswith("env_")

    got = api.domains.GetDomain(dm.GetDomainRequest(organization_id=ORG, id=created.id)).domain
    assert got == created
    assert api.domains.VerifyDomain(
        dm.VerifyDomainRequest(organization_id=ORG, id=created.id)
    ).verified
    got = api.domains.GetDomain(dm.GetDomainRequest(organization_id=ORG, id=created.id)).domain
    assert got.verification_status == dm.VERIFIED

    # the same name again, in any organization: ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.CreateDomain(
            dm.CreateDomainRequest(
                organization_id="org_2", domain=dm.CreateDomain(domain="example.com")
            )
        )
    assert caught.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_info(caught.value).error_code == "ALREADY_EXISTS"

    # another organization cannot see it
    other = dm.GetDomainRequest(organization_id="org_2", id=created.id)
    assert code_of(api.domains.GetDomain, other) is grpc.StatusCode.NOT_FOUND
    api.domains.DeleteDomain(dm.DeleteDomainRequest(organization_id=ORG, id=created.id))
    gone = dm.GetDomainRequest(organization_id=ORG, id=created.id)
    assert code_of(api.domains.GetDomain, gone) is grpc.StatusCode.NOT_FOUND


def test_domain_validation_and_external_id(api, error_info) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.CreateDomain(
            dm.CreateDomainRequest(domain=dm.CreateDomain(domain="a.example.com"))
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in error_info(caught.value).validation_error_info.field_violations]
    assert fields == ["organization_id"]
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.CreateDomain(
            dm.CreateDomainRequest(organization_id=ORG, domain=dm.CreateDomain())
        )
    assert [v.field for v in error_info(caught.value).validation_error_info.field_violations] == [
        "domain.domain"
    ]
    bad = dm.CreateDomainRequest(organization_id=ORG, domain=dm.CreateDomain(domain="not a domain"))
    assert code_of(api.domains.CreateDomain, bad) is grpc.StatusCode.INVALID_ARGUMENT

    by_ext = api.domains.CreateDomain(
        dm.CreateDomainRequest(
            external_id="customer-42",
            domain=dm.CreateDomain(domain="ext.example.com", domain_type=dm.ALLOWED_EMAIL_DOMAIN),
        )
    ).domain
    assert by_ext.organization_id.startswith("org_")
    assert by_ext.verification_status == dm.AUTO_VERIFIED
    again = api.domains.GetDomain(
        dm.GetDomainRequest(external_id="customer-42", id=by_ext.id)
    ).domain
    same = api.domains.GetDomain(
        dm.GetDomainRequest(organization_id=by_ext.organization_id, id=by_ext.id)
    ).domain
    assert again == same == by_ext


def test_list_domains_page_number_paging(api) -> None:
    names = [f"p{i:02}.example.com" for i in range(25)]
    for i, name in enumerate(names):
        kind = dm.ALLOWED_EMAIL_DOMAIN if i % 5 == 0 else dm.ORGANIZATION_DOMAIN
        api.domains.CreateDomain(
            dm.CreateDomainRequest(
                organization_id=ORG, domain=dm.CreateDomain(domain=name, domain_type=kind)
            )
        )
    default = api.domains.ListDomains(dm.ListDomainRequest(organization_id=ORG))
    assert (default.page_size, default.page_number, len(default.domains)) == (10, 1, 10)

    def page(n: int) -> list[str]:
        reply = api.domains.ListDomains(
            dm.ListDomainRequest(
                organization_id=ORG,
                page_size=wrappers_pb2.Int32Value(value=10),
                page_number=wrappers_pb2.Int32Value(value=n),
            )
        )
        assert (reply.page_size, reply.page_number) == (10, n)
        return [d.domain for d in reply.domains]

    pages = [page(n) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    assert [n for p in pages for n in p] == names
    assert [page(n) for n in (1, 2, 3, 4)] == pages

    filtered = api.domains.ListDomains(
        dm.ListDomainRequest(
            organization_id=ORG,
            domain_type=dm.ALLOWED_EMAIL_DOMAIN,
            page_size=wrappers_pb2.Int32Value(value=100),
        )
    )
    assert [d.domain for d in filtered.domains] == names[::5]
    authorized = api.domains.ListAuthorizedDomains(
        dm.ListAuthorizedDomainRequest(origin="https://app")
    )
    assert list(authorized.domains) == names


def test_domain_connection_assignment_via_update(api) -> None:
    conn = api.connections.CreateConnection(
        cx.CreateConnectionRequest(
            organization_id=ORG, connection=cx.CreateConnection(type=cx.OIDC)
        )
    ).connection
    a, b = (
        api.domains.CreateDomain(
            dm.CreateDomainRequest(organization_id=ORG, domain=dm.CreateDomain(domain=n))
        ).domain
        for n in ("a.example.com", "b.example.com")
    )
    api.domains.UpdateDomain(
        dm.UpdateDomainRequest(organization_id=ORG, id=b.id, connection_id=conn.id)
    )
    listed = api.domains.ListDomains(
        dm.ListDomainRequest(organization_id=ORG, connection_id=conn.id)
    )
    assert [d.id for d in listed.domains] == [b.id]
    got = api.connections.GetConnection(cx.GetConnectionRequest(organization_id=ORG, id=conn.id))
    assert [d.id for d in got.connection.domains] == [b.id]
    assert a.id != b.id


# --- connections ---


def test_connection_lifecycle_and_list_filters(server: MockScalekitServer, api) -> None:
    conn = api.connections.CreateConnection(
        cx.CreateConnectionRequest(
            organization_id=ORG, connection=cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC)
        )
    ).connection
    assert conn.id.startswith("conn_")
    assert conn.organization_id == ORG
    assert (conn.enabled, conn.status) == (False, cx.DRAFT)
    assert conn.test_connection_uri == f"{server.env_url}/sso/v1/oidc/{conn.id}/test"
    assert conn.oidc_config.redirect_uri.endswith(f"/sso/v1/oidc/{conn.id}/callback")

    def listed(**kw: Any) -> list[str]:
        return [
            c.id
            for c in api.connections.ListConnections(cx.ListConnectionsRequest(**kw)).connections
        ]

    assert listed(organization_id=ORG) == []  # default include: enabled only
    assert listed(organization_id=ORG, include="all") == [conn.id]
    toggled = api.connections.EnableConnection(
        cx.ToggleConnectionRequest(organization_id=ORG, id=conn.id)
    )
    assert toggled.enabled
    assert listed(organization_id=ORG) == [conn.id]
    assert listed(organization_id="org_elsewhere", include="all") == []

    dom = api.domains.CreateDomain(
        dm.CreateDomainRequest(
            organization_id=ORG, domain=dm.CreateDomain(domain="sso.example.com")
        )
    ).domain
    assigned = api.connections.AssignDomainsToConnection(
        cx.AssignDomainsToConnectionRequest(
            organization_id=ORG, connection_id=conn.id, domain_ids=[dom.id]
        )
    ).connection
    assert [d.domain for d in assigned.domains] == ["sso.example.com"]
    assert listed(domain="sso.example.com", include="all") == [conn.id]
    assert listed(domain="nobody.example.com", include="all") == []
    list_view = api.connections.ListConnections(cx.ListConnectionsRequest(domain="sso.example.com"))
    assert list(list_view.connections[0].domains) == ["sso.example.com"]

    api.connections.DisableConnection(cx.ToggleConnectionRequest(organization_id=ORG, id=conn.id))
    assert listed(organization_id=ORG, include="inactive") == [conn.id]
    bad_include = cx.ListConnectionsRequest(include="bogus")
    assert code_of(api.connections.ListConnections, bad_include) is grpc.StatusCode.INVALID_ARGUMENT

    wrong_org = cx.GetConnectionRequest(organization_id="org_x", id=conn.id)
    assert code_of(api.connections.GetConnection, wrong_org) is grpc.StatusCode.NOT_FOUND
    env_view = api.connections.GetEnvironmentConnection(
        cx.GetEnvironmentConnectionRequest(connection_id=conn.id)
    )
    assert env_view.connection.id == conn.id
    api.connections.DeleteConnection(cx.DeleteConnectionRequest(organization_id=ORG, id=conn.id))
    assert code_of(
        api.connections.GetConnection, cx.GetConnectionRequest(organization_id=ORG, id=conn.id)
    ) is (grpc.StatusCode.NOT_FOUND)


def test_connection_update_honours_presence(api) -> None:
    conn = api.connections.CreateConnection(
        cx.CreateConnectionRequest(
            organization_id=ORG, connection=cx.CreateConnection(type=cx.OIDC)
        )
    ).connection
    update = cx.UpdateConnection(
        ui_button_title=wrappers_pb2.StringValue(value="Sign in with Acme"),
        oidc_config=cx.OIDCConnectionConfig(
            issuer=wrappers_pb2.StringValue(value="https://idp.example"),
            client_id=wrappers_pb2.StringValue(value="cid"),
            scopes=[cx.openid, cx.email],
        ),
    )
    first = api.connections.UpdateConnection(
        cx.UpdateConnectionRequest(organization_id=ORG, id=conn.id, connection=update)
    ).connection
    assert first.ui_button_title == "Sign in with Acme"
    assert not first.debug_enabled
    assert first.oidc_config.issuer.value == "https://idp.example"
    assert list(first.oidc_config.scopes) == [cx.openid, cx.email]
    assert first.oidc_config.redirect_uri == conn.oidc_config.redirect_uri  # server-set, kept
    assert first.status == cx.COMPLETED

    second = api.connections.UpdateConnection(
        cx.UpdateConnectionRequest(
            organization_id=ORG,
            id=conn.id,
            connection=cx.UpdateConnection(
                debug_enabled=wrappers_pb2.BoolValue(value=True),
                oidc_config=cx.OIDCConnectionConfig(scopes=[cx.profile]),
            ),
        )
    ).connection
    assert second.debug_enabled
    assert second.ui_button_title == "Sign in with Acme"
    assert second.oidc_config.issuer.value == "https://idp.example"  # absent: unchanged
    assert list(second.oidc_config.scopes) == [cx.profile]  # repeated: replaced

    saml = api.connections.UpdateEnvironmentConnection(
        cx.UpdateEnvironmentConnectionRequest(
            connection_id=conn.id,
            connection=cx.UpdateConnection(
                type=cx.SAML,
                saml_config=cx.SAMLConnectionConfigRequest(
                    idp_entity_id=wrappers_pb2.StringValue(value="urn:idp"),
                    idp_certificate=wrappers_pb2.StringValue(value="MIIC..."),
                    sp_entity_id=wrappers_pb2.StringValue(value="urn:sp"),
                ),
            ),
        )
    ).connection
    assert saml.type == cx.SAML
    assert saml.WhichOneof("settings") == "saml_config"
    assert saml.saml_config.idp_entity_id.value == "urn:idp"
    assert saml.saml_config.sp_entity_id == "urn:sp"
    assert [c.certificate for c in saml.saml_config.idp_certificates] == ["MIIC..."]
    missing = cx.UpdateConnectionRequest(organization_id=ORG, id=conn.id)
    assert code_of(api.connections.UpdateConnection, missing) is grpc.StatusCode.INVALID_ARGUMENT


def test_environment_connections_app_list_search_and_paging(
    server: MockScalekitServer, api
) -> None:
    env_ids = [
        api.connections.CreateEnvironmentConnection(
            cx.CreateEnvironmentConnectionRequest(
                connection=cx.CreateConnection(
                    type=cx.OAUTH, provider=cx.GITHUB, provider_key=f"github{i}"
                ),
                flags=cx.Flags(is_app=True),
            )
        ).connection.id
        for i in range(3)
    ]
    login_only = api.connections.CreateEnvironmentConnection(
        cx.CreateEnvironmentConnectionRequest(
            connection=cx.CreateConnection(type=cx.OIDC, provider=cx.GOOGLE),
            flags=cx.Flags(is_login=True),
        )
    ).connection
    assert not login_only.HasField("organization_id")
    apps = api.connections.ListAppConnections(cx.ListAppConnectionsRequest())
    assert [c.id for c in apps.connections] == env_ids
    assert apps.total_size == 3
    one = api.connections.ListAppConnections(cx.ListAppConnectionsRequest(provider="github1"))
    assert [c.id for c in one.connections] == [env_ids[1]]
    api.connections.EnableEnvironmentConnection(
        cx.ToggleEnvironmentConnectionRequest(connection_id=env_ids[0])
    )
    got = api.connections.GetEnvironmentConnection(
        cx.GetEnvironmentConnectionRequest(connection_id=env_ids[0])
    )
    assert got.connection.enabled
    api.connections.DisableEnvironmentConnection(
        cx.ToggleEnvironmentConnectionRequest(connection_id=env_ids[0])
    )
    api.connections.DeleteEnvironmentConnection(
        cx.DeleteEnvironmentConnectionRequest(connection_id=env_ids[2])
    )
    gone = cx.GetEnvironmentConnectionRequest(connection_id=env_ids[2])
    assert code_of(api.connections.GetEnvironmentConnection, gone) is grpc.StatusCode.NOT_FOUND

    org_ids = []
    for i in range(23):
        org_ids.append(
            api.connections.CreateConnection(
                cx.CreateConnectionRequest(
                    organization_id=f"org_{i}",
                    connection=cx.CreateConnection(
                        type=cx.SAML if i % 2 else cx.OIDC, provider=cx.OKTA
                    ),
                )
            ).connection.id
        )

    def org_page(token: str) -> Any:
        return api.connections.ListOrganizationConnections(
            cx.ListOrganizationConnectionsRequest(page_token=token)
        )

    pages = walk(org_page, "connections")
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [c.id for p in pages for c in p] == org_ids
    assert walk(org_page, "connections") == pages

    saml = api.connections.SearchOrganizationConnections(
        cx.SearchOrganizationConnectionsRequest(connection_type=cx.SAML, page_size=100)
    )
    assert [c.id for c in saml.connections] == org_ids[1::2]
    assert saml.total_size == 11
    by_query = api.connections.SearchOrganizationConnections(
        cx.SearchOrganizationConnectionsRequest(query="org_7", provider="okta")
    )
    assert [c.id for c in by_query.connections] == [org_ids[7]]
    enabled = api.connections.SearchOrganizationConnections(
        cx.SearchOrganizationConnectionsRequest(enabled=True)
    )
    assert enabled.total_size == 0


def test_connection_test_result_and_context(server: MockScalekitServer, api) -> None:
    conn = api.connections.CreateConnection(
        cx.CreateConnectionRequest(
            organization_id=ORG, connection=cx.CreateConnection(type=cx.OIDC)
        )
    ).connection
    pending = api.connections.GetConnectionTestResult(
        cx.GetConnectionTestResultRequest(connection_id=conn.id, test_request_id="tr_1")
    )
    assert pending.status == cx.PENDING
    assert not pending.HasField("error")
    server.set_connection_test_result(conn.id, "tr_1", "FAILURE", error="access_denied")
    failed = api.connections.GetConnectionTestResult(
        cx.GetConnectionTestResultRequest(connection_id=conn.id, test_request_id="tr_1")
    )
    assert failed.status == cx.FAILURE
    assert failed.error == "access_denied"
    missing = cx.GetConnectionTestResultRequest(connection_id=conn.id)
    assert (
        code_of(api.connections.GetConnectionTestResult, missing)
        is grpc.StatusCode.INVALID_ARGUMENT
    )

    context = struct_pb2.Struct()
    context.update({"tenant": "acme", "limits": {"rps": 5}})
    api.connections.UpdateConnectionContext(
        cx.UpdateConnectionContextRequest(
            connection_id=conn.id, organization_id=ORG, context=context
        )
    )
    got = api.connections.GetConnectionContext(
        cx.GetConnectionContextRequest(connection_id=conn.id, organization_id=ORG)
    )
    assert got.context == context
    wrong = cx.GetConnectionContextRequest(connection_id=conn.id, organization_id="org_x")
    assert code_of(api.connections.GetConnectionContext, wrong) is grpc.StatusCode.NOT_FOUND


# --- directories ---


def _directory(api, org: str = ORG) -> dr.Directory:
    return api.directories.CreateDirectory(
        dr.CreateDirectoryRequest(
            organization_id=org,
            directory=dr.CreateDirectory(directory_type=dr.SCIM, directory_provider=dr.OKTA),
        )
    ).directory


def test_directory_lifecycle_and_delete_while_enabled(api, error_info) -> None:
    directory = _directory(api)
    assert directory.id.startswith("dir_")
    assert not directory.enabled
    assert directory.directory_endpoint.endswith(f"/api/v1/directories/{directory.id}/scim/v2")
    toggle = dr.ToggleDirectoryRequest(organization_id=ORG, id=directory.id)
    assert api.directories.EnableDirectory(toggle).enabled

    with pytest.raises(grpc.RpcError) as caught:
        api.directories.DeleteDirectory(
            dr.DeleteDirectoryRequest(organization_id=ORG, id=directory.id)
        )
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "directory is enabled" in caught.value.details()
    assert "disable" in caught.value.details()
    assert error_info(caught.value).resource_info.resource_name == directory.id

    assert not api.directories.DisableDirectory(toggle).enabled
    listed = api.directories.ListDirectories(dr.ListDirectoriesRequest(organization_id=ORG))
    assert [d.id for d in listed.directories] == [directory.id]
    api.directories.DeleteDirectory(dr.DeleteDirectoryRequest(organization_id=ORG, id=directory.id))
    gone = dr.GetDirectoryRequest(organization_id=ORG, id=directory.id)
    assert code_of(api.directories.GetDirectory, gone) is grpc.StatusCode.NOT_FOUND


def test_directory_users_groups_paging_and_filters(server: MockScalekitServer, api) -> None:
    directory = _directory(api)
    eng = server.add_directory_group(ORG, directory.id, "Engineering")
    ops = server.add_directory_group(ORG, directory.id, "Ops")
    users = [
        server.add_directory_user(
            ORG, directory.id, f"u{i}@example.com", group_ids=[eng] if i % 3 == 0 else [ops]
        )
        for i in range(24)
    ]
    got = api.directories.GetDirectory(dr.GetDirectoryRequest(organization_id=ORG, id=directory.id))
    assert (got.directory.total_users, got.directory.total_groups) == (24, 2)

    def page(token: str, **kw: Any) -> Any:
        return api.directories.ListDirectoryUsers(
            dr.ListDirectoryUsersRequest(
                organization_id=ORG, directory_id=directory.id, page_token=token, **kw
            )
        )

    pages = walk(page, "users")
    assert [len(p) for p in pages] == [10, 10, 4]
    assert [u.id for p in pages for u in p] == users
    assert walk(page, "users") == pages
    assert not pages[0][0].HasField("user_detail")
    assert [g.id for g in pages[0][0].groups] == [eng]

    detailed = page("", include_detail=True, page_size=100)
    assert detailed.users[0].user_detail["userName"] == "u0@example.com"
    in_eng = page("", directory_group_id=eng, page_size=100)
    assert [u.id for u in in_eng.users] == users[::3]
    assert in_eng.total_size == 8
    unknown_group = dr.ListDirectoryUsersRequest(
        organization_id=ORG, directory_id=directory.id, directory_group_id="dirgroup_nope"
    )
    assert code_of(api.directories.ListDirectoryUsers, unknown_group) is grpc.StatusCode.NOT_FOUND

    cutoff = (
        api.directories.ListDirectoryUsers(
            dr.ListDirectoryUsersRequest(
                organization_id=ORG, directory_id=directory.id, page_size=100
            )
        )
        .users[19]
        .updated_at
    )
    later = page("", updated_after=cutoff, page_size=100)
    assert [u.id for u in later.users] == users[20:]

    groups = api.directories.ListDirectoryGroups(
        dr.ListDirectoryGroupsRequest(
            organization_id=ORG, directory_id=directory.id, include_detail=True
        )
    )
    assert [(g.id, g.total_users) for g in groups.groups] == [(eng, 8), (ops, 16)]
    assert groups.groups[0].group_detail["displayName"] == "Engineering"
    summary = api.directories.ListDirectoryGroupsSummary(
        dr.ListDirectoryGroupsSummaryRequest(organization_id=ORG, directory_id=directory.id)
    )
    assert [g.display_name for g in summary.groups] == ["Engineering", "Ops"]
    assert summary.total_size == 2
    assert summary.next_page_token == ""

    # external groups from UpdateDirectory show up only when asked for
    api.directories.UpdateDirectory(
        dr.UpdateDirectoryRequest(
            organization_id=ORG,
            id=directory.id,
            directory=dr.UpdateDirectory(
                name="Corp SCIM",
                groups=[dr.ExternalGroup(external_id="ext-1", display_name="Finance")],
            ),
        )
    )
    plain = api.directories.ListDirectoryGroups(
        dr.ListDirectoryGroupsRequest(organization_id=ORG, directory_id=directory.id)
    )
    with_external = api.directories.ListDirectoryGroups(
        dr.ListDirectoryGroupsRequest(
            organization_id=ORG, directory_id=directory.id, include_external_groups=True
        )
    )
    assert plain.total_size == 2
    assert with_external.total_size == 3


def test_directory_settings_secrets_roles_and_context(server: MockScalekitServer, api) -> None:
    directory = _directory(api)
    group = server.add_directory_group(ORG, directory.id, "Admins")
    updated = api.directories.UpdateDirectory(
        dr.UpdateDirectoryRequest(
            organization_id=ORG,
            id=directory.id,
            directory=dr.UpdateDirectory(
                name="Okta SCIM",
                status=dr.COMPLETED,
                mappings=[dr.DirectoryMapping(key="email", map_to="emails[0].value")],
            ),
        )
    ).directory
    assert (updated.name, updated.status, updated.enabled) == ("Okta SCIM", "COMPLETED", False)
    assert updated.directory_provider == dr.OKTA  # unspecified enum: unchanged
    assert [(a.key, a.map_to) for a in updated.attribute_mappings.attributes] == [
        ("email", "emails[0].value")
    ]

    first = api.directories.CreateDirectorySecret(
        dr.CreateDirectorySecretRequest(organization_id=ORG, directory_id=directory.id)
    )
    assert first.secret.id.startswith("secret_")
    assert first.secret.secret_suffix == first.plain_secret[-4:]
    assert first.secret.status == dr.ACTIVE
    second = api.directories.RegenerateDirectorySecret(
        dr.RegenerateDirectorySecretRequest(organization_id=ORG, directory_id=directory.id)
    )
    assert second.plain_secret != first.plain_secret
    secrets = api.directories.GetDirectory(
        dr.GetDirectoryRequest(organization_id=ORG, id=directory.id)
    ).directory.secrets
    assert [(s.id, s.status) for s in secrets] == [
        (first.secret.id, dr.INACTIVE),
        (second.secret.id, dr.ACTIVE),
    ]

    roles = api.directories.AssignRoles(
        dr.AssignRolesRequest(
            organization_id=ORG,
            id=directory.id,
            role_assignments=dr.RoleAssignments(
                assignments=[dr.RoleAssignment(group_id=group, role_name="admin")]
            ),
        )
    ).role_assignments
    assert roles.assignments[0].role_id.startswith("role_")
    bad_group = dr.AssignRolesRequest(
        organization_id=ORG,
        id=directory.id,
        role_assignments=dr.RoleAssignments(
            assignments=[dr.RoleAssignment(group_id="nope", role_name="x")]
        ),
    )
    assert code_of(api.directories.AssignRoles, bad_group) is grpc.StatusCode.NOT_FOUND

    mapping = dr.AttributeMappings(
        attributes=[dr.AttributeMapping(key="dept", map_to="department")]
    )
    attrs = api.directories.UpdateAttributes(
        dr.UpdateAttributesRequest(organization_id=ORG, id=directory.id, attribute_mapping=mapping)
    )
    assert attrs.attribute_mappings == mapping

    api.directories.AssignGroupsForDirectory(
        dr.AssignGroupsForDirectoryRequest(
            organization_id=ORG, id=directory.id, external_ids=["g1"]
        )
    )
    api.directories.TriggerDirectorySync(
        dr.TriggerDirectorySyncRequest(organization_id=ORG, directory_id=directory.id)
    )
    after = api.directories.GetDirectory(
        dr.GetDirectoryRequest(organization_id=ORG, id=directory.id)
    ).directory
    assert after.groups_tracked == "SELECTED"
    assert after.HasField("last_synced_at")
    assert after.role_assignments == roles
    assert after.attribute_mappings == mapping

    context = struct_pb2.Struct()
    context.update({"sync": "nightly"})
    api.directories.UpdateDirectoryContext(
        dr.UpdateDirectoryContextRequest(
            organization_id=ORG, directory_id=directory.id, context=context
        )
    )
    got = api.directories.GetDirectoryContext(
        dr.GetDirectoryContextRequest(organization_id=ORG, directory_id=directory.id)
    )
    assert got.context == context


# --- sessions ---


def test_sessions_from_seed(server: MockScalekitServer, api) -> None:
    seed = server.seed()
    active, expired = seed.active_session_ids, seed.session_ids[0]
    got = api.sessions.GetSession(ss.SessionDetailsRequest(session_id=active[0]))
    assert (got.user_id, got.organization_id, got.status) == (
        seed.user_id,
        seed.organization_id,
        "ACTIVE",
    )
    assert got.authenticated_clients[0].client_id == server.client_id

    every = api.sessions.GetUserSessions(ss.UserSessionDetailsRequest(user_id=seed.user_id))
    assert [s.session_id for s in every.sessions] == list(seed.session_ids)
    assert every.total_size == 3
    only_active = api.sessions.GetUserSessions(
        ss.UserSessionDetailsRequest(
            user_id=seed.user_id, filter=ss.UserSessionFilter(status=["active"])
        )
    )
    assert [s.session_id for s in only_active.sessions] == list(active)
    recent = api.sessions.GetUserSessions(
        ss.UserSessionDetailsRequest(
            user_id=seed.user_id,
            filter=ss.UserSessionFilter(
                start_time=ts(time.time() - 3600), end_time=ts(time.time() + 5)
            ),
        )
    )
    assert [s.session_id for s in recent.sessions] == [active[1]]

    revoked = api.sessions.RevokeSession(
        ss.RevokeSessionRequest(session_id=active[0])
    ).revoked_session
    assert (revoked.session_id, revoked.status) == (active[0], "REVOKED")
    assert revoked.HasField("logout_at")
    again = api.sessions.RevokeSession(
        ss.RevokeSessionRequest(session_id=active[0])
    ).revoked_session
    assert again == revoked
    expired_view = api.sessions.GetSession(ss.SessionDetailsRequest(session_id=expired))
    assert expired_view.status == "EXPIRED"

    everything = api.sessions.RevokeAllUserSessions(
        ss.RevokeAllUserSessionsRequest(user_id=seed.user_id)
    )
    assert everything.total_revoked == 1
    assert everything.revoked_sessions[0].session_id == active[1]
    assert (
        api.sessions.RevokeAllUserSessions(
            ss.RevokeAllUserSessionsRequest(user_id=seed.user_id)
        ).total_revoked
        == 0
    )

    unknown = ss.SessionDetailsRequest(session_id="ses_404")
    assert code_of(api.sessions.GetSession, unknown) is grpc.StatusCode.NOT_FOUND
    assert (
        code_of(api.sessions.GetSession, ss.SessionDetailsRequest())
        is grpc.StatusCode.INVALID_ARGUMENT
    )


def test_user_sessions_paging(server: MockScalekitServer, api) -> None:
    ids = [
        server.add_session("usr_pager", ORG, created_at=time.time() - 100 + i) for i in range(21)
    ]

    def page(token: str) -> Any:
        return api.sessions.GetUserSessions(
            ss.UserSessionDetailsRequest(user_id="usr_pager", page_size=8, page_token=token)
        )

    pages = walk(page, "sessions")
    assert [len(p) for p in pages] == [8, 8, 5]
    assert [s.session_id for p in pages for s in p] == ids
    assert walk(page, "sessions") == pages
    empty = api.sessions.GetUserSessions(ss.UserSessionDetailsRequest(user_id="usr_nobody"))
    assert list(empty.sessions) == []
    assert empty.next_page_token == ""


def test_seed_data_is_consistent(server: MockScalekitServer, api) -> None:
    seed = server.seed()
    assert seed.domain.verification_status == dm.VERIFIED
    assert seed.domain.id == seed.domain_id
    conns = api.connections.ListConnections(cx.ListConnectionsRequest(domain=seed.domain.domain))
    assert [c.id for c in conns.connections] == [seed.connection_id]
    directory = api.directories.GetDirectory(
        dr.GetDirectoryRequest(organization_id=seed.organization_id, id=seed.directory_id)
    ).directory
    assert directory.enabled
    assert directory.total_users == len(seed.directory_user_ids) == 3
    assert directory.total_groups == len(seed.directory_group_ids) == 2
    token = api.tokens.ValidateToken(tk.ValidateTokenRequest(token=seed.api_token)).token_info
    assert token.token_id == seed.api_token_id
    assert token.organization_id == seed.organization_id
    assert server.default_user.user_id == seed.user_id
    second = server.seed()
    assert second.organization_id != seed.organization_id
    assert second.domain.domain != seed.domain.domain
