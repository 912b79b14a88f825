"""Integration: `ConnectionsService` / `AsyncConnectionsService` against the mock server, both the
organization-level methods and the environment-level ones."""

from __future__ import annotations

import pytest
from _integration_kit import Api, assert_each_once, covers, ids
from google.protobuf import struct_pb2, wrappers_pb2
from scalekit_grpc.v1.connections import connections_pb2 as cx

from scalekit_grpc.errors import InvalidArgumentError, NotFoundError
from scalekit_grpc.options import (
    ListAppConnectionsOptions,
    ListConnectionsOptions,
    PageOptions,
    SearchOrganizationConnectionsOptions,
)
from scalekit_grpc.testing import MockScalekitServer

pytestmark = pytest.mark.timeout(30)

ORG = "org_connections_it"
OKTA_OIDC = cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC)


# --- organization connections ---------------------------------------------------------------


@covers(
    "connections.create_connection",
    "connections.get_connection",
    "connections.list_connections",
    "connections.enable_connection",
    "connections.disable_connection",
    "connections.update_connection",
    "connections.delete_connection",
)
async def test_organization_connection_lifecycle(api: Api) -> None:
    created = (await api.connections.create_connection(ORG, OKTA_OIDC)).connection
    assert created.id.startswith("conn_")
    assert created.organization_id == ORG
    assert (created.provider, created.type) == (cx.OKTA, cx.OIDC)
    assert created.enabled is False
    assert created.status == cx.DRAFT
    assert created.oidc_config.redirect_uri.endswith(f"/sso/v1/oidc/{created.id}/callback")
    assert (await api.connections.get_connection(ORG, created.id)).connection == created

    # include="all" by default: the new (disabled) connection is listed.
    listed = (await api.connections.list_connections(ORG)).connections
    assert [(c.id, c.enabled) for c in listed] == [(created.id, False)]
    # Without include the server default (enabled only) applies.
    active_only = await api.connections.list_connections(ORG, ListConnectionsOptions(include=None))
    assert list(active_only.connections) == []

    assert (await api.connections.enable_connection(ORG, created.id)).enabled is True
    assert (await api.connections.get_connection(ORG, created.id)).connection.enabled is True
    active_only = await api.connections.list_connections(ORG, ListConnectionsOptions(include=None))
    assert ids(active_only.connections) == [created.id]
    assert (await api.connections.disable_connection(ORG, created.id)).enabled is False
    assert (await api.connections.get_connection(ORG, created.id)).connection.enabled is False

    settings = cx.UpdateConnection(
        ui_button_title=wrappers_pb2.StringValue(value="Sign in with Okta"),
        debug_enabled=wrappers_pb2.BoolValue(value=True),
        oidc_config=cx.OIDCConnectionConfig(
            issuer=wrappers_pb2.StringValue(value="https://acme.okta.com"),
            client_id=wrappers_pb2.StringValue(value="okta-client"),
        ),
    )
    updated = (await api.connections.update_connection(ORG, created.id, settings)).connection
    assert updated.ui_button_title == "Sign in with Okta"
    assert updated.debug_enabled is True
    assert updated.status == cx.COMPLETED
    assert updated.oidc_config.issuer.value == "https://acme.okta.com"
    assert updated.oidc_config.client_id.value == "okta-client"
    assert updated.oidc_config.redirect_uri == created.oidc_config.redirect_uri
    assert (await api.connections.get_connection(ORG, created.id)).connection == updated

    assert await api.connections.delete_connection(ORG, created.id) is None
    with pytest.raises(NotFoundError):
        await api.connections.get_connection(ORG, created.id)
    assert list((await api.connections.list_connections(ORG)).connections) == []


@covers("connections.get_connection", "connections.enable_connection")
async def test_organization_methods_do_not_reach_other_organizations(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    got = (
        await api.connections.get_connection(seed.organization_id, seed.connection_id)
    ).connection
    assert got.enabled is True
    assert [d.id for d in got.domains] == [seed.domain_id]
    with pytest.raises(NotFoundError):
        await api.connections.get_connection("org_other", seed.connection_id)
    with pytest.raises(NotFoundError):
        await api.connections.enable_connection("org_other", seed.connection_id)


@covers("connections.create_connection")
async def test_create_connection_without_type_is_invalid_argument(api: Api) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await api.connections.create_connection(ORG, cx.CreateConnection())
    assert [v.field for v in caught.value.field_violations] == ["connection.type"]


@covers("connections.assign_domains_to_connection", "connections.list_connections_by_domain")
async def test_assign_domains_and_list_by_domain(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    org = seed.organization_id
    extra = (await api.domains.create_domain(org, "sso.acme.example.com")).domain
    second = (await api.connections.create_connection(org, OKTA_OIDC)).connection

    assigned = await api.connections.assign_domains_to_connection(org, second.id, [extra.id])
    assert [d.domain for d in assigned.connection.domains] == ["sso.acme.example.com"]

    by_domain = await api.connections.list_connections_by_domain("sso.acme.example.com")
    found = {c.id: c for c in by_domain.connections}
    # The connection the domain is assigned to, plus the others of the domain's organization.
    assert set(found) == {seed.connection_id, second.id}
    assert list(found[second.id].domains) == ["sso.acme.example.com"]
    # Without include="all" the disabled new connection is left out.
    enabled_only = await api.connections.list_connections_by_domain(
        "sso.acme.example.com", ListConnectionsOptions(include=None)
    )
    assert ids(enabled_only.connections) == [seed.connection_id]
    assert (
        list((await api.connections.list_connections_by_domain("nobody.example.org")).connections)
        == []
    )

    # Assigning replaces the set; an empty list clears it.
    cleared = await api.connections.assign_domains_to_connection(org, second.id, [])
    assert list(cleared.connection.domains) == []
    with pytest.raises(NotFoundError):
        await api.connections.assign_domains_to_connection(org, second.id, ["dom_missing"])


@covers("connections.get_connection_context", "connections.update_connection_context")
async def test_connection_context_round_trip(api: Api, scalekit_server: MockScalekitServer) -> None:
    seed = scalekit_server.seed()
    org, conn = seed.organization_id, seed.connection_id
    assert (await api.connections.get_connection_context(org, conn)).context == struct_pb2.Struct()

    await api.connections.update_connection_context(
        org, conn, {"tenant": "acme", "tier": 2, "features": ["sso", "scim"]}
    )
    context = (await api.connections.get_connection_context(org, conn)).context
    assert dict(context) == {"tenant": "acme", "tier": 2.0, "features": context["features"]}
    assert list(context["features"]) == ["sso", "scim"]

    replacement = struct_pb2.Struct()
    replacement.update({"only": True})
    assert await api.connections.update_connection_context(org, conn, replacement) is None
    assert dict((await api.connections.get_connection_context(org, conn)).context) == {"only": True}
    with pytest.raises(NotFoundError):
        await api.connections.get_connection_context("org_other", conn)


# --- lists across organizations ---------------------------------------------------------------


@covers(
    "connections.create_connection",
    "connections.list_organization_connections",
    "connections.iter_organization_connections",
)
async def test_iter_organization_connections_walks_every_page_once(api: Api) -> None:
    created = [
        (await api.connections.create_connection(org, OKTA_OIDC)).connection.id
        for org in ("org_a", "org_b", "org_a", "org_c", "org_b")
    ]
    await api.connections.create_environment_connection(
        cx.CreateConnection(provider_key="github", type=cx.OAUTH)
    )  # environment-level: not an organization connection

    first = await api.connections.list_organization_connections(PageOptions(page_size=2))
    assert ids(first.connections) == created[:2]
    assert first.total_size == 5
    rest = await api.connections.list_organization_connections(
        PageOptions(page_size=10, page_token=first.next_page_token)
    )
    assert ids(rest.connections) == created[2:]

    pager = api.connections.iter_organization_connections(PageOptions(page_size=2))
    seen = ids(await pager.items())
    assert_each_once(seen, created)
    assert [len(p.connections) for p in await pager.pages()] == [2, 2, 1]


@covers(
    "connections.search_organization_connections",
    "connections.iter_search_organization_connections",
)
async def test_search_organization_connections(api: Api) -> None:
    okta = [
        (await api.connections.create_connection(f"org_s{i}", OKTA_OIDC)).connection.id
        for i in range(3)
    ]
    saml = (
        await api.connections.create_connection(
            "org_s9", cx.CreateConnection(provider=cx.GOOGLE, type=cx.SAML)
        )
    ).connection.id
    await api.connections.enable_connection("org_s1", okta[1])

    everything = await api.connections.search_organization_connections()
    assert ids(everything.connections) == [*okta, saml]
    by_type = await api.connections.search_organization_connections(
        SearchOrganizationConnectionsOptions(connection_type="saml")
    )
    assert ids(by_type.connections) == [saml]
    enabled = await api.connections.search_organization_connections(
        SearchOrganizationConnectionsOptions(enabled=True)
    )
    assert ids(enabled.connections) == [okta[1]]
    by_query = await api.connections.search_organization_connections(
        SearchOrganizationConnectionsOptions(query="org_s2")
    )
    assert ids(by_query.connections) == [okta[2]]
    drafts = await api.connections.search_organization_connections(
        SearchOrganizationConnectionsOptions(status="DRAFT", provider="okta", enabled=False)
    )
    assert ids(drafts.connections) == [okta[0], okta[2]]

    pager = api.connections.iter_search_organization_connections(
        SearchOrganizationConnectionsOptions(provider="OKTA", page_size=2)
    )
    seen = ids(await pager.items())
    assert_each_once(seen, okta)
    assert [len(p.connections) for p in await pager.pages()] == [2, 1]


# --- environment connections ------------------------------------------------------------------


@covers(
    "connections.create_environment_connection",
    "connections.get_environment_connection",
    "connections.update_environment_connection",
    "connections.enable_environment_connection",
    "connections.disable_environment_connection",
    "connections.delete_environment_connection",
)
async def test_environment_connection_lifecycle(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    created = (
        await api.connections.create_environment_connection(
            cx.CreateConnection(provider=cx.GOOGLE, type=cx.OIDC), cx.Flags(is_login=True)
        )
    ).connection
    assert created.id.startswith("conn_")
    assert not created.HasField("organization_id")
    assert created.enabled is False
    got = (await api.connections.get_environment_connection(created.id)).connection
    assert got == created

    updated = (
        await api.connections.update_environment_connection(
            created.id,
            cx.UpdateConnection(ui_button_title=wrappers_pb2.StringValue(value="Google")),
        )
    ).connection
    assert updated.ui_button_title == "Google"
    assert (await api.connections.get_environment_connection(created.id)).connection == updated

    assert (await api.connections.enable_environment_connection(created.id)).enabled is True
    assert (await api.connections.get_environment_connection(created.id)).connection.enabled
    assert (await api.connections.disable_environment_connection(created.id)).enabled is False
    assert not (await api.connections.get_environment_connection(created.id)).connection.enabled

    # Environment-level methods reach organization connections by id too.
    seed = scalekit_server.seed()
    seeded = (await api.connections.get_environment_connection(seed.connection_id)).connection
    assert seeded.organization_id == seed.organization_id

    assert await api.connections.delete_environment_connection(created.id) is None
    with pytest.raises(NotFoundError):
        await api.connections.get_environment_connection(created.id)
    with pytest.raises(NotFoundError):
        await api.connections.enable_environment_connection(created.id)


@covers(
    "connections.create_environment_connection",
    "connections.list_app_connections",
    "connections.iter_app_connections",
)
async def test_app_connections_list_and_pager(api: Api) -> None:
    apps = [
        (
            await api.connections.create_environment_connection(
                cx.CreateConnection(provider_key=key, type=cx.OAUTH), cx.Flags(is_app=True)
            )
        ).connection.id
        for key in ("github", "slack", "github", "notion", "github")
    ]
    # Login-only environment connections and organization connections are not app connections.
    await api.connections.create_environment_connection(
        cx.CreateConnection(provider_key="github", type=cx.OIDC), cx.Flags(is_login=True)
    )
    await api.connections.create_connection(ORG, OKTA_OIDC)

    listed = await api.connections.list_app_connections()
    assert ids(listed.connections) == apps
    assert listed.total_size == 5
    github = await api.connections.list_app_connections(
        ListAppConnectionsOptions(provider="github")
    )
    assert ids(github.connections) == [apps[0], apps[2], apps[4]]
    by_query = await api.connections.list_app_connections(ListAppConnectionsOptions(query="slack"))
    assert ids(by_query.connections) == [apps[1]]

    pager = api.connections.iter_app_connections(ListAppConnectionsOptions(page_size=2))
    assert_each_once(ids(await pager.items()), apps)
    assert [len(p.connections) for p in await pager.pages()] == [2, 2, 1]
    github_pager = api.connections.iter_app_connections(
        ListAppConnectionsOptions(provider="github", page_size=2)
    )
    assert ids(await github_pager.items()) == [apps[0], apps[2], apps[4]]


@covers("connections.get_connection_test_result")
async def test_connection_test_result(api: Api, scalekit_server: MockScalekitServer) -> None:
    seed = scalekit_server.seed()
    pending = await api.connections.get_connection_test_result(seed.connection_id, "tst_1")
    assert pending.status == cx.PENDING
    assert not pending.HasField("user_info")

    scalekit_server.set_connection_test_result(
        seed.connection_id, "tst_1", "SUCCESS", user_info='{"email": "alice@acme.example.com"}'
    )
    scalekit_server.set_connection_test_result(
        seed.connection_id, "tst_2", "FAILURE", error="access_denied", error_description="nope"
    )
    ok = await api.connections.get_connection_test_result(seed.connection_id, "tst_1")
    assert (ok.status, ok.user_info) == (cx.SUCCESS, '{"email": "alice@acme.example.com"}')
    failed = await api.connections.get_connection_test_result(seed.connection_id, "tst_2")
    assert (failed.status, failed.error, failed.error_description) == (
        cx.FAILURE,
        "access_denied",
        "nope",
    )
    with pytest.raises(NotFoundError):
        await api.connections.get_connection_test_result("conn_missing", "tst_1")


@covers("connections.create_connection", "connections.update_connection")
async def test_update_saml_connection_settings(api: Api) -> None:
    created = (
        await api.connections.create_connection(
            ORG, cx.CreateConnection(provider=cx.OKTA, type=cx.SAML)
        )
    ).connection
    assert created.saml_config.sp_entity_id.endswith(f"/sso/v1/saml/{created.id}")
    settings = cx.UpdateConnection(
        saml_config=cx.SAMLConnectionConfigRequest(
            idp_entity_id=wrappers_pb2.StringValue(value="http://www.okta.com/exk1"),
            idp_sso_url=wrappers_pb2.StringValue(value="https://acme.okta.com/sso/saml"),
            idp_certificate=wrappers_pb2.StringValue(value="MIIC-cert"),
            force_authn=wrappers_pb2.BoolValue(value=True),
        )
    )
    saml = (await api.connections.update_connection(ORG, created.id, settings)).connection
    config = saml.saml_config
    assert config.idp_entity_id.value == "http://www.okta.com/exk1"
    assert config.idp_sso_url.value == "https://acme.okta.com/sso/saml"
    assert config.force_authn.value is True
    assert [c.certificate for c in config.idp_certificates] == ["MIIC-cert"]
    assert config.sp_entity_id == created.saml_config.sp_entity_id  # kept
    assert saml.status == cx.COMPLETED

    # A new certificate replaces the old one; other settings stay.
    rotated = cx.UpdateConnection(
        saml_config=cx.SAMLConnectionConfigRequest(
            idp_certificate=wrappers_pb2.StringValue(value="MIIC-next")
        )
    )
    again = (await api.connections.update_connection(ORG, created.id, rotated)).connection
    assert [c.certificate for c in again.saml_config.idp_certificates] == ["MIIC-next"]
    assert again.saml_config.idp_entity_id.value == "http://www.okta.com/exk1"
    assert (await api.connections.get_connection(ORG, created.id)).connection == again
