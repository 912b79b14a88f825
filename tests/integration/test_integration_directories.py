"""Integration: `DirectoriesService` / `AsyncDirectoriesService` against the mock server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from _integration_kit import Api, assert_each_once, covers, ids, utc
from google.protobuf import struct_pb2
from scalekit_grpc.v1.directories import directories_pb2 as dr

from scalekit_grpc.errors import (
    DirectoryNotFoundError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from scalekit_grpc.options import (
    CreateDirectoryOptions,
    DirectoryProvider,
    ListDirectoryGroupsOptions,
    ListDirectoryUsersOptions,
)
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(30)

ORG = "org_directories_it"


@pytest.fixture
def seed(scalekit_server: MockScalekitServer) -> SeedData:
    return scalekit_server.seed()


@covers(
    "directories.get_primary_directory_by_organization_id",
    "directories.create_directory",
    "directories.get_directory",
    "directories.list_directories",
    "directories.enable_directory",
    "directories.disable_directory",
    "directories.delete_directory",
)
async def test_directory_lifecycle(api: Api) -> None:
    with pytest.raises(DirectoryNotFoundError):
        await api.directories.get_primary_directory_by_organization_id(ORG)

    created = (
        await api.directories.create_directory(
            ORG, CreateDirectoryOptions(directory_type="scim", directory_provider="okta")
        )
    ).directory
    assert created.id.startswith("dir_")
    assert (created.organization_id, created.name) == (ORG, "Okta Directory")
    assert (created.directory_type, created.directory_provider) == (dr.SCIM, dr.OKTA)
    assert created.enabled is False
    assert (await api.directories.get_directory(ORG, created.id)).directory == created
    assert ids((await api.directories.list_directories(ORG)).directories) == [created.id]
    primary = await api.directories.get_primary_directory_by_organization_id(ORG)
    assert primary == created

    # A second directory does not change the primary one (the first in server order).
    second = (
        await api.directories.create_directory(
            ORG, CreateDirectoryOptions(directory_provider=DirectoryProvider.GOOGLE)
        )
    ).directory
    listed = (await api.directories.list_directories(ORG)).directories
    assert ids(listed) == [created.id, second.id]
    assert (await api.directories.get_primary_directory_by_organization_id(ORG)).id == created.id

    assert (await api.directories.enable_directory(ORG, created.id)).enabled is True
    assert (await api.directories.get_directory(ORG, created.id)).directory.enabled is True
    with pytest.raises(FailedPreconditionError):
        await api.directories.delete_directory(ORG, created.id)
    assert (await api.directories.get_directory(ORG, created.id)).directory.enabled is True

    assert (await api.directories.disable_directory(ORG, created.id)).enabled is False
    assert (await api.directories.get_directory(ORG, created.id)).directory.enabled is False
    assert await api.directories.delete_directory(ORG, created.id) is None
    with pytest.raises(NotFoundError):
        await api.directories.get_directory(ORG, created.id)
    assert ids((await api.directories.list_directories(ORG)).directories) == [second.id]
    assert (await api.directories.get_primary_directory_by_organization_id(ORG)).id == second.id


@covers("directories.get_directory", "directories.get_primary_directory_by_organization_id")
async def test_seeded_directory(api: Api, seed: SeedData) -> None:
    directory = (
        await api.directories.get_directory(seed.organization_id, seed.directory_id)
    ).directory
    assert directory.enabled is True
    assert (directory.total_users, directory.total_groups) == (3, 2)
    primary = await api.directories.get_primary_directory_by_organization_id(seed.organization_id)
    assert primary == directory
    with pytest.raises(NotFoundError):
        await api.directories.get_directory("org_other", seed.directory_id)


@covers("directories.update_directory", "directories.get_directory")
async def test_update_directory(api: Api, seed: SeedData) -> None:
    org, directory_id = seed.organization_id, seed.directory_id
    updated = (
        await api.directories.update_directory(
            org,
            directory_id,
            dr.UpdateDirectory(
                name="HR directory",
                status=dr.COMPLETED,
                mappings=[dr.DirectoryMapping(key="email", map_to="user.email")],
            ),
        )
    ).directory
    assert (updated.name, updated.status) == ("HR directory", "COMPLETED")
    assert [(a.key, a.map_to) for a in updated.attribute_mappings.attributes] == [
        ("email", "user.email")
    ]
    assert (await api.directories.get_directory(org, directory_id)).directory == updated
    # Unset fields leave the directory as it is.
    again = (
        await api.directories.update_directory(org, directory_id, dr.UpdateDirectory())
    ).directory
    assert again == updated
    with pytest.raises(NotFoundError):
        await api.directories.update_directory(org, "dir_missing", dr.UpdateDirectory(name="x"))


@covers("directories.list_directory_users", "directories.iter_directory_users")
async def test_directory_users(
    api: Api, seed: SeedData, scalekit_server: MockScalekitServer
) -> None:
    org, directory_id = seed.organization_id, seed.directory_id
    engineering, sales = seed.directory_group_ids

    page = await api.directories.list_directory_users(org, directory_id)
    assert ids(page.users) == list(seed.directory_user_ids)
    assert [u.email for u in page.users] == [
        "alice@acme.example.com",
        "bob@acme.example.com",
        "carol@acme.example.com",
    ]
    assert page.total_size == 3
    assert page.next_page_token == ""
    bob = page.users[1]
    assert (bob.given_name, bob.family_name) == ("Bob", "Brown")
    assert ids(bob.groups) == [engineering, sales]
    assert not bob.HasField("user_detail")

    detailed = await api.directories.list_directory_users(
        org, directory_id, ListDirectoryUsersOptions(include_detail=True)
    )
    assert detailed.users[0].user_detail["userName"] == "alice@acme.example.com"

    members = await api.directories.list_directory_users(
        org, directory_id, ListDirectoryUsersOptions(directory_group_id=sales)
    )
    assert [u.email for u in members.users] == ["bob@acme.example.com", "carol@acme.example.com"]
    with pytest.raises(NotFoundError):
        await api.directories.list_directory_users(
            org, directory_id, ListDirectoryUsersOptions(directory_group_id="dirgroup_missing")
        )

    # updated_after is strictly later: just after the last seeded user, only newer users match.
    last = max(u.updated_at.ToDatetime(tzinfo=utc(0).tzinfo) for u in page.users)
    newer_ids = [
        scalekit_server.add_directory_user(org, directory_id, f"new{i}@acme.example.com")
        for i in range(4)
    ]
    newer = await api.directories.list_directory_users(
        org,
        directory_id,
        ListDirectoryUsersOptions(updated_after=last + timedelta(microseconds=1)),
    )
    assert ids(newer.users) == newer_ids
    future = await api.directories.list_directory_users(
        org, directory_id, ListDirectoryUsersOptions(updated_after=utc(time.time() + 3600))
    )
    assert list(future.users) == []

    everyone = [*seed.directory_user_ids, *newer_ids]
    pager = api.directories.iter_directory_users(
        org, directory_id, ListDirectoryUsersOptions(page_size=3)
    )
    assert_each_once(ids(await pager.items()), everyone)
    assert [len(p.users) for p in await pager.pages()] == [3, 3, 1]
    in_engineering = api.directories.iter_directory_users(
        org,
        directory_id,
        ListDirectoryUsersOptions(directory_group_id=engineering, page_size=1),
    )
    assert ids(await in_engineering.items()) == list(seed.directory_user_ids[:2])


@covers(
    "directories.list_directory_groups",
    "directories.iter_directory_groups",
    "directories.list_directory_groups_summary",
    "directories.update_directory",
)
async def test_directory_groups(
    api: Api, seed: SeedData, scalekit_server: MockScalekitServer
) -> None:
    org, directory_id = seed.organization_id, seed.directory_id
    engineering, sales = seed.directory_group_ids

    page = await api.directories.list_directory_groups(org, directory_id)
    assert ids(page.groups) == [engineering, sales]
    assert [(g.display_name, g.total_users) for g in page.groups] == [
        ("Engineering", 2),
        ("Sales", 2),
    ]
    assert not page.groups[0].HasField("group_detail")
    detailed = await api.directories.list_directory_groups(
        org, directory_id, ListDirectoryGroupsOptions(include_detail=True)
    )
    assert detailed.groups[0].group_detail["displayName"] == "Engineering"

    summary = await api.directories.list_directory_groups_summary(org, directory_id)
    assert [(g.id, g.total_users) for g in summary.groups] == [(engineering, 2), (sales, 2)]
    assert summary.total_size == 2

    more = [scalekit_server.add_directory_group(org, directory_id, f"Team {i}") for i in range(3)]
    # A provider group recorded through UpdateDirectory is external: listed only on request.
    await api.directories.update_directory(
        org,
        directory_id,
        dr.UpdateDirectory(groups=[dr.ExternalGroup(external_id="ext-1", display_name="Ext")]),
    )
    every = [engineering, sales, *more]
    pager = api.directories.iter_directory_groups(
        org, directory_id, ListDirectoryGroupsOptions(page_size=2)
    )
    assert_each_once(ids(await pager.items()), every)
    assert [len(p.groups) for p in await pager.pages()] == [2, 2, 1]

    with_external = api.directories.iter_directory_groups(
        org, directory_id, ListDirectoryGroupsOptions(include_external_groups=True, page_size=4)
    )
    names = [g.display_name for g in await with_external.items()]
    assert names == ["Engineering", "Sales", "Team 0", "Team 1", "Team 2", "Ext"]
    summary = await api.directories.list_directory_groups_summary(org, directory_id)
    assert ids(summary.groups) == every
    # The same external id again renames the group instead of adding one.
    await api.directories.update_directory(
        org,
        directory_id,
        dr.UpdateDirectory(groups=[dr.ExternalGroup(external_id="ext-1", display_name="Ext 2")]),
    )
    again = await api.directories.list_directory_groups(
        org, directory_id, ListDirectoryGroupsOptions(include_external_groups=True)
    )
    assert [g.display_name for g in again.groups][-2:] == ["Team 2", "Ext 2"]

    recent = await api.directories.list_directory_groups(
        org, directory_id, ListDirectoryGroupsOptions(updated_after=utc(time.time() + 3600))
    )
    assert list(recent.groups) == []


@covers(
    "directories.assign_groups_for_directory",
    "directories.assign_roles",
    "directories.update_attributes",
)
async def test_groups_roles_and_attributes(api: Api, seed: SeedData) -> None:
    org, directory_id = seed.organization_id, seed.directory_id
    engineering, sales = seed.directory_group_ids

    await api.directories.assign_groups_for_directory(org, directory_id, ["okta-grp-1", "okta-2"])
    assert (await api.directories.get_directory(org, directory_id)).directory.groups_tracked == (
        "SELECTED"
    )
    assert await api.directories.assign_groups_for_directory(org, directory_id, []) is None
    assert (await api.directories.get_directory(org, directory_id)).directory.groups_tracked == (
        "ALL"
    )

    roles = await api.directories.assign_roles(
        org,
        directory_id,
        [
            dr.RoleAssignment(group_id=engineering, role_name="admin"),
            dr.RoleAssignment(group_id=sales, role_name="member", role_id="role_member"),
        ],
    )
    assigned = [(a.group_id, a.role_name) for a in roles.role_assignments.assignments]
    assert assigned == [(engineering, "admin"), (sales, "member")]
    assert roles.role_assignments.assignments[0].role_id.startswith("role_")
    assert roles.role_assignments.assignments[1].role_id == "role_member"
    stored = (await api.directories.get_directory(org, directory_id)).directory.role_assignments
    assert stored == roles.role_assignments
    # A RoleAssignments message works too, and replaces the previous assignments.
    replaced = await api.directories.assign_roles(
        org,
        directory_id,
        dr.RoleAssignments(assignments=[dr.RoleAssignment(group_id=sales, role_name="viewer")]),
    )
    assert [a.role_name for a in replaced.role_assignments.assignments] == ["viewer"]

    with pytest.raises(InvalidArgumentError) as caught:
        await api.directories.assign_roles(org, directory_id, [dr.RoleAssignment(group_id=sales)])
    assert [(v.field, v.description) for v in caught.value.field_violations] == [
        ("role_assignments.assignments[0].role_name", "is required")
    ]
    with pytest.raises(NotFoundError):
        await api.directories.assign_roles(
            org, directory_id, [dr.RoleAssignment(group_id="dirgroup_missing", role_name="x")]
        )

    mappings = await api.directories.update_attributes(
        org,
        directory_id,
        [
            dr.AttributeMapping(key="email", map_to="emails[primary]"),
            dr.AttributeMapping(key="department", map_to="urn:enterprise:department"),
        ],
    )
    pairs = [(a.key, a.map_to) for a in mappings.attribute_mappings.attributes]
    assert pairs == [("email", "emails[primary]"), ("department", "urn:enterprise:department")]
    directory = (await api.directories.get_directory(org, directory_id)).directory
    assert directory.attribute_mappings == mappings.attribute_mappings
    with pytest.raises(InvalidArgumentError) as caught:
        await api.directories.update_attributes(
            org, directory_id, dr.AttributeMappings(attributes=[dr.AttributeMapping(map_to="x")])
        )
    assert [v.field for v in caught.value.field_violations] == [
        "attribute_mapping.attributes[0].key"
    ]


@covers(
    "directories.create_directory_secret",
    "directories.regenerate_directory_secret",
    "directories.trigger_directory_sync",
)
async def test_secrets_and_sync(api: Api, seed: SeedData) -> None:
    org, directory_id = seed.organization_id, seed.directory_id

    first = await api.directories.create_directory_secret(org, directory_id)
    assert first.plain_secret
    assert first.secret.secret_suffix == first.plain_secret[-4:]
    assert (first.secret.status, first.secret.directory_id) == (dr.ACTIVE, directory_id)

    second = await api.directories.regenerate_directory_secret(org, directory_id)
    assert second.plain_secret != first.plain_secret
    assert second.secret.status == dr.ACTIVE
    stored = {
        s.id: s for s in (await api.directories.get_directory(org, directory_id)).directory.secrets
    }
    assert set(stored) == {first.secret.id, second.secret.id}
    assert stored[first.secret.id].status == dr.INACTIVE
    assert stored[first.secret.id].HasField("expire_time")
    assert stored[second.secret.id].status == dr.ACTIVE

    before = (await api.directories.get_directory(org, directory_id)).directory
    assert not before.HasField("last_synced_at")
    assert await api.directories.trigger_directory_sync(org, directory_id) is None
    after = (await api.directories.get_directory(org, directory_id)).directory
    assert after.HasField("last_synced_at")
    with pytest.raises(NotFoundError):
        await api.directories.trigger_directory_sync(org, "dir_missing")


@covers("directories.get_directory_context", "directories.update_directory_context")
async def test_directory_context_round_trip(api: Api, seed: SeedData) -> None:
    org, directory_id = seed.organization_id, seed.directory_id
    context = (await api.directories.get_directory_context(org, directory_id)).context
    assert context == struct_pb2.Struct()

    await api.directories.update_directory_context(
        org, directory_id, {"source": "okta", "nested": {"depth": 1}}
    )
    got = (await api.directories.get_directory_context(org, directory_id)).context
    assert got["source"] == "okta"
    assert dict(got["nested"]) == {"depth": 1.0}

    await api.directories.update_directory_context(org, directory_id, {"replaced": True})
    got = (await api.directories.get_directory_context(org, directory_id)).context
    assert dict(got) == {"replaced": True}
    with pytest.raises(NotFoundError):
        await api.directories.get_directory_context("org_other", directory_id)
