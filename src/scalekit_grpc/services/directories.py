"""Directories (SCIM and friends) of an organization (``scalekit.v1.directories.DirectoryService``).

Every method takes the organization id first, then the directory id. Directory settings are
nested messages, so ``update_directory`` takes the generated ``UpdateDirectory`` message.
``list_directory_users`` / ``list_directory_groups`` expose every field of their requests and
return the generated responses unchanged (the official Python SDK breaks on non-empty pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from scalekit_grpc._pagination import AsyncPager, Pager, token_advance
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import (
    DirectoryIdRequiredError,
    DirectoryNotFoundError,
    OrganizationIdRequiredError,
)
from scalekit_grpc.options import (
    CreateDirectoryOptions,
    DirectoryProvider,
    DirectoryType,
    ListDirectoryGroupsOptions,
    ListDirectoryUsersOptions,
    _enum_number,
    _page_size,
    _timestamp,
)
from scalekit_grpc.services._rpc import Context, require, to_struct, unary, unary_async
from scalekit_grpc.v1.directories import directories_pb2 as pb
from scalekit_grpc.v1.directories.directories_pb2_grpc import DirectoryServiceStub

if TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = ["AsyncDirectoriesService", "DirectoriesService"]


# --- request building (pure, shared by both shells) -----------------------------------------


def _org(organization_id: str) -> str:
    return require(organization_id, OrganizationIdRequiredError, "organization_id")


def _ids(organization_id: str, directory_id: str) -> tuple[str, str]:
    return _org(organization_id), require(directory_id, DirectoryIdRequiredError, "directory_id")


def _create_directory_request(
    organization_id: str, options: CreateDirectoryOptions | None
) -> pb.CreateDirectoryRequest:
    org = _org(organization_id)
    options = options or CreateDirectoryOptions()
    body = pb.CreateDirectory()
    directory_type = _enum_number(
        options.directory_type, DirectoryType, "directory_type", pb.DirectoryType
    )
    if directory_type is not None:
        body.directory_type = directory_type
    provider = _enum_number(
        options.directory_provider, DirectoryProvider, "directory_provider", pb.DirectoryProvider
    )
    if provider is not None:
        body.directory_provider = provider
    # The body is always sent (the REST mapping's body=directory), even when empty.
    return pb.CreateDirectoryRequest(organization_id=org, directory=body)


def _delete_directory_request(organization_id: str, directory_id: str) -> pb.DeleteDirectoryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.DeleteDirectoryRequest(organization_id=org, id=directory_id)


def _update_directory_request(
    organization_id: str, directory_id: str, directory: pb.UpdateDirectory
) -> pb.UpdateDirectoryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.UpdateDirectoryRequest(organization_id=org, id=directory_id, directory=directory)


def _assign_groups_request(
    organization_id: str, directory_id: str, external_ids: Iterable[str]
) -> pb.AssignGroupsForDirectoryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    if isinstance(external_ids, str):
        raise TypeError("external_ids must be a sequence of group ids, not a single string")
    return pb.AssignGroupsForDirectoryRequest(
        organization_id=org, id=directory_id, external_ids=list(external_ids)
    )


def _assign_roles_request(
    organization_id: str,
    directory_id: str,
    role_assignments: pb.RoleAssignments | Iterable[pb.RoleAssignment],
) -> pb.AssignRolesRequest:
    org, directory_id = _ids(organization_id, directory_id)
    if not isinstance(role_assignments, pb.RoleAssignments):
        role_assignments = pb.RoleAssignments(assignments=list(role_assignments))
    return pb.AssignRolesRequest(
        organization_id=org, id=directory_id, role_assignments=role_assignments
    )


def _update_attributes_request(
    organization_id: str,
    directory_id: str,
    attribute_mapping: pb.AttributeMappings | Iterable[pb.AttributeMapping],
) -> pb.UpdateAttributesRequest:
    org, directory_id = _ids(organization_id, directory_id)
    if not isinstance(attribute_mapping, pb.AttributeMappings):
        attribute_mapping = pb.AttributeMappings(attributes=list(attribute_mapping))
    return pb.UpdateAttributesRequest(
        organization_id=org, id=directory_id, attribute_mapping=attribute_mapping
    )


def _get_directory_request(organization_id: str, directory_id: str) -> pb.GetDirectoryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.GetDirectoryRequest(organization_id=org, id=directory_id)


def _list_directories_request(organization_id: str) -> pb.ListDirectoriesRequest:
    return pb.ListDirectoriesRequest(organization_id=_org(organization_id))


def _toggle_request(organization_id: str, directory_id: str) -> pb.ToggleDirectoryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.ToggleDirectoryRequest(organization_id=org, id=directory_id)


def _list_users_request(
    organization_id: str, directory_id: str, options: ListDirectoryUsersOptions | None
) -> pb.ListDirectoryUsersRequest:
    org, directory_id = _ids(organization_id, directory_id)
    options = options or ListDirectoryUsersOptions()
    request = pb.ListDirectoryUsersRequest(organization_id=org, directory_id=directory_id)
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    if options.include_detail is not None:
        request.include_detail = options.include_detail
    if options.directory_group_id:
        request.directory_group_id = options.directory_group_id
    updated_after = _timestamp(options.updated_after, "updated_after")
    if updated_after is not None:
        request.updated_after.CopyFrom(updated_after)
    return request


def _list_groups_request(
    organization_id: str, directory_id: str, options: ListDirectoryGroupsOptions | None
) -> pb.ListDirectoryGroupsRequest:
    org, directory_id = _ids(organization_id, directory_id)
    options = options or ListDirectoryGroupsOptions()
    request = pb.ListDirectoryGroupsRequest(organization_id=org, directory_id=directory_id)
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    updated_after = _timestamp(options.updated_after, "updated_after")
    if updated_after is not None:
        request.updated_after.CopyFrom(updated_after)
    if options.include_detail is not None:
        request.include_detail = options.include_detail
    if options.include_external_groups is not None:
        request.include_external_groups = options.include_external_groups
    return request


def _groups_summary_request(
    organization_id: str, directory_id: str
) -> pb.ListDirectoryGroupsSummaryRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.ListDirectoryGroupsSummaryRequest(organization_id=org, directory_id=directory_id)


def _create_secret_request(
    organization_id: str, directory_id: str
) -> pb.CreateDirectorySecretRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.CreateDirectorySecretRequest(organization_id=org, directory_id=directory_id)


def _regenerate_secret_request(
    organization_id: str, directory_id: str
) -> pb.RegenerateDirectorySecretRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.RegenerateDirectorySecretRequest(organization_id=org, directory_id=directory_id)


def _trigger_sync_request(
    organization_id: str, directory_id: str
) -> pb.TriggerDirectorySyncRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.TriggerDirectorySyncRequest(organization_id=org, directory_id=directory_id)


def _get_context_request(organization_id: str, directory_id: str) -> pb.GetDirectoryContextRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.GetDirectoryContextRequest(organization_id=org, directory_id=directory_id)


def _update_context_request(
    organization_id: str, directory_id: str, context: Context
) -> pb.UpdateDirectoryContextRequest:
    org, directory_id = _ids(organization_id, directory_id)
    return pb.UpdateDirectoryContextRequest(
        organization_id=org, directory_id=directory_id, context=to_struct(context)
    )


def _users(page: pb.ListDirectoryUsersResponse) -> Sequence[pb.DirectoryUser]:
    return page.users


def _groups(page: pb.ListDirectoryGroupsResponse) -> Sequence[pb.DirectoryGroup]:
    return page.groups


def _primary(organization_id: str, response: pb.ListDirectoriesResponse) -> pb.Directory:
    if not response.directories:
        raise DirectoryNotFoundError(f"organization {organization_id!r} has no directory")
    return response.directories[0]


# --- sync shell -----------------------------------------------------------------------------


class DirectoriesService:
    """Directories, sync. Reach it as ``client.directories``.

    Every method raises `OrganizationIdRequiredError` / `DirectoryIdRequiredError` for an empty
    id (before any I/O) and an `ApiError` subclass when the RPC fails.
    """

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = DirectoryServiceStub(channel)

    def create_directory(
        self,
        organization_id: str,
        options: CreateDirectoryOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDirectoryResponse:
        """Create a directory for an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed (the subclass for its status code).
        """
        request = _create_directory_request(organization_id, options)
        return unary(self._stub.CreateDirectory, request, timeout, metadata)

    def get_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDirectoryResponse:
        """One directory.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed (`NotFoundError` for an unknown directory).
        """
        request = _get_directory_request(organization_id, directory_id)
        return unary(self._stub.GetDirectory, request, timeout, metadata)

    def list_directories(
        self, organization_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ListDirectoriesResponse:
        """Every directory of an organization (not paged).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_directories_request(organization_id)
        return unary(self._stub.ListDirectories, request, timeout, metadata)

    def get_primary_directory_by_organization_id(
        self, organization_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.Directory:
        """The organization's first directory, in server order (Go SDK semantics).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryNotFoundError: the organization has no directory.
            ApiError: the RPC failed.
        """
        request = _list_directories_request(organization_id)
        return _primary(
            organization_id, unary(self._stub.ListDirectories, request, timeout, metadata)
        )

    def update_directory(
        self,
        organization_id: str,
        directory_id: str,
        directory: pb.UpdateDirectory,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateDirectoryResponse:
        """Update a directory's settings (name, type, provider, status, mappings, groups).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _update_directory_request(organization_id, directory_id, directory)
        return unary(self._stub.UpdateDirectory, request, timeout, metadata)

    def delete_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Delete a directory (the server refuses while it is enabled).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _delete_directory_request(organization_id, directory_id)
        unary(self._stub.DeleteDirectory, request, timeout, metadata)

    def enable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleDirectoryResponse:
        """Enable a directory.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_request(organization_id, directory_id)
        return unary(self._stub.EnableDirectory, request, timeout, metadata)

    def disable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleDirectoryResponse:
        """Disable a directory.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_request(organization_id, directory_id)
        return unary(self._stub.DisableDirectory, request, timeout, metadata)

    def assign_groups_for_directory(
        self,
        organization_id: str,
        directory_id: str,
        external_ids: Iterable[str],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Choose which provider groups (by external id) the directory tracks.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            TypeError: ``external_ids`` is a single string.
            ApiError: the RPC failed.
        """
        request = _assign_groups_request(organization_id, directory_id, external_ids)
        unary(self._stub.AssignGroupsForDirectory, request, timeout, metadata)

    def assign_roles(
        self,
        organization_id: str,
        directory_id: str,
        role_assignments: pb.RoleAssignments | Iterable[pb.RoleAssignment],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.AssignRolesResponse:
        """Map directory groups to roles (a ``RoleAssignments`` or ``RoleAssignment`` list).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _assign_roles_request(organization_id, directory_id, role_assignments)
        return unary(self._stub.AssignRoles, request, timeout, metadata)

    def update_attributes(
        self,
        organization_id: str,
        directory_id: str,
        attribute_mapping: pb.AttributeMappings | Iterable[pb.AttributeMapping],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateAttributesResponse:
        """Set how provider attributes map to user fields.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _update_attributes_request(organization_id, directory_id, attribute_mapping)
        return unary(self._stub.UpdateAttributes, request, timeout, metadata)

    def list_directory_users(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryUsersOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryUsersResponse:
        """One page of a directory's users; see `iter_directory_users` for all of them.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_users_request(organization_id, directory_id, options)
        return unary(self._stub.ListDirectoryUsers, request, timeout, metadata)

    def iter_directory_users(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryUsersOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.DirectoryUser, pb.ListDirectoryUsersResponse]:
        """Every user of a directory, across pages (``timeout`` per page).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty (raised here).
            DirectoryIdRequiredError: ``directory_id`` is empty (raised here).
        """
        request = _list_users_request(organization_id, directory_id, options)
        stub = self._stub
        return Pager(
            lambda r: unary(stub.ListDirectoryUsers, r, timeout, metadata),
            request,
            _users,
            lambda: token_advance(request),
        )

    def list_directory_groups(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryGroupsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryGroupsResponse:
        """One page of a directory's groups; see `iter_directory_groups` for all of them.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_groups_request(organization_id, directory_id, options)
        return unary(self._stub.ListDirectoryGroups, request, timeout, metadata)

    def iter_directory_groups(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryGroupsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.DirectoryGroup, pb.ListDirectoryGroupsResponse]:
        """Every group of a directory, across pages (``timeout`` per page).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty (raised here).
            DirectoryIdRequiredError: ``directory_id`` is empty (raised here).
        """
        request = _list_groups_request(organization_id, directory_id, options)
        stub = self._stub
        return Pager(
            lambda r: unary(stub.ListDirectoryGroups, r, timeout, metadata),
            request,
            _groups,
            lambda: token_advance(request),
        )

    def list_directory_groups_summary(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryGroupsResponse:
        """A summary of a directory's groups (one response; the RPC takes no page token).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _groups_summary_request(organization_id, directory_id)
        return unary(self._stub.ListDirectoryGroupsSummary, request, timeout, metadata)

    def create_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDirectorySecretResponse:
        """Create the directory's SCIM bearer secret; ``plain_secret`` is shown only here.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _create_secret_request(organization_id, directory_id)
        return unary(self._stub.CreateDirectorySecret, request, timeout, metadata)

    def regenerate_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.RegenerateDirectorySecretResponse:
        """Replace the directory's secret; ``plain_secret`` is shown only here.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _regenerate_secret_request(organization_id, directory_id)
        return unary(self._stub.RegenerateDirectorySecret, request, timeout, metadata)

    def trigger_directory_sync(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Start a sync of the directory now.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _trigger_sync_request(organization_id, directory_id)
        unary(self._stub.TriggerDirectorySync, request, timeout, metadata)

    def get_directory_context(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDirectoryContextResponse:
        """The directory's context (free-form ``Struct``).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _get_context_request(organization_id, directory_id)
        return unary(self._stub.GetDirectoryContext, request, timeout, metadata)

    def update_directory_context(
        self,
        organization_id: str,
        directory_id: str,
        context: Context,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Replace the directory's context with ``context`` (a `Struct` or JSON-like mapping).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DirectoryIdRequiredError: ``directory_id`` is empty.
            TypeError: ``context`` is neither a Struct nor a JSON-like mapping.
            ApiError: the RPC failed.
        """
        request = _update_context_request(organization_id, directory_id, context)
        unary(self._stub.UpdateDirectoryContext, request, timeout, metadata)


# --- asyncio shell --------------------------------------------------------------------------


class AsyncDirectoriesService:
    """Directories, asyncio: `DirectoriesService` with coroutines and async pagers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DirectoryServiceStub(channel)

    async def create_directory(
        self,
        organization_id: str,
        options: CreateDirectoryOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDirectoryResponse:
        """See `DirectoriesService.create_directory`."""
        request = _create_directory_request(organization_id, options)
        return await unary_async(self._stub.CreateDirectory, request, timeout, metadata)

    async def get_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDirectoryResponse:
        """See `DirectoriesService.get_directory`."""
        request = _get_directory_request(organization_id, directory_id)
        return await unary_async(self._stub.GetDirectory, request, timeout, metadata)

    async def list_directories(
        self, organization_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ListDirectoriesResponse:
        """See `DirectoriesService.list_directories`."""
        request = _list_directories_request(organization_id)
        return await unary_async(self._stub.ListDirectories, request, timeout, metadata)

    async def get_primary_directory_by_organization_id(
        self, organization_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.Directory:
        """See `DirectoriesService.get_primary_directory_by_organization_id`."""
        request = _list_directories_request(organization_id)
        return _primary(
            organization_id,
            await unary_async(self._stub.ListDirectories, request, timeout, metadata),
        )

    async def update_directory(
        self,
        organization_id: str,
        directory_id: str,
        directory: pb.UpdateDirectory,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateDirectoryResponse:
        """See `DirectoriesService.update_directory`."""
        request = _update_directory_request(organization_id, directory_id, directory)
        return await unary_async(self._stub.UpdateDirectory, request, timeout, metadata)

    async def delete_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `DirectoriesService.delete_directory`."""
        request = _delete_directory_request(organization_id, directory_id)
        await unary_async(self._stub.DeleteDirectory, request, timeout, metadata)

    async def enable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleDirectoryResponse:
        """See `DirectoriesService.enable_directory`."""
        request = _toggle_request(organization_id, directory_id)
        return await unary_async(self._stub.EnableDirectory, request, timeout, metadata)

    async def disable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleDirectoryResponse:
        """See `DirectoriesService.disable_directory`."""
        request = _toggle_request(organization_id, directory_id)
        return await unary_async(self._stub.DisableDirectory, request, timeout, metadata)

    async def assign_groups_for_directory(
        self,
        organization_id: str,
        directory_id: str,
        external_ids: Iterable[str],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `DirectoriesService.assign_groups_for_directory`."""
        request = _assign_groups_request(organization_id, directory_id, external_ids)
        await unary_async(self._stub.AssignGroupsForDirectory, request, timeout, metadata)

    async def assign_roles(
        self,
        organization_id: str,
        directory_id: str,
        role_assignments: pb.RoleAssignments | Iterable[pb.RoleAssignment],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.AssignRolesResponse:
        """See `DirectoriesService.assign_roles`."""
        request = _assign_roles_request(organization_id, directory_id, role_assignments)
        return await unary_async(self._stub.AssignRoles, request, timeout, metadata)

    async def update_attributes(
        self,
        organization_id: str,
        directory_id: str,
        attribute_mapping: pb.AttributeMappings | Iterable[pb.AttributeMapping],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateAttributesResponse:
        """See `DirectoriesService.update_attributes`."""
        request = _update_attributes_request(organization_id, directory_id, attribute_mapping)
        return await unary_async(self._stub.UpdateAttributes, request, timeout, metadata)

    async def list_directory_users(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryUsersOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryUsersResponse:
        """See `DirectoriesService.list_directory_users`."""
        request = _list_users_request(organization_id, directory_id, options)
        return await unary_async(self._stub.ListDirectoryUsers, request, timeout, metadata)

    def iter_directory_users(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryUsersOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.DirectoryUser, pb.ListDirectoryUsersResponse]:
        """See `DirectoriesService.iter_directory_users`; iterate with ``async for``."""
        request = _list_users_request(organization_id, directory_id, options)
        stub = self._stub
        return AsyncPager(
            lambda r: unary_async(stub.ListDirectoryUsers, r, timeout, metadata),
            request,
            _users,
            lambda: token_advance(request),
        )

    async def list_directory_groups(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryGroupsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryGroupsResponse:
        """See `DirectoriesService.list_directory_groups`."""
        request = _list_groups_request(organization_id, directory_id, options)
        return await unary_async(self._stub.ListDirectoryGroups, request, timeout, metadata)

    def iter_directory_groups(
        self,
        organization_id: str,
        directory_id: str,
        options: ListDirectoryGroupsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.DirectoryGroup, pb.ListDirectoryGroupsResponse]:
        """See `DirectoriesService.iter_directory_groups`; iterate with ``async for``."""
        request = _list_groups_request(organization_id, directory_id, options)
        stub = self._stub
        return AsyncPager(
            lambda r: unary_async(stub.ListDirectoryGroups, r, timeout, metadata),
            request,
            _groups,
            lambda: token_advance(request),
        )

    async def list_directory_groups_summary(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDirectoryGroupsResponse:
        """See `DirectoriesService.list_directory_groups_summary`."""
        request = _groups_summary_request(organization_id, directory_id)
        return await unary_async(self._stub.ListDirectoryGroupsSummary, request, timeout, metadata)

    async def create_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDirectorySecretResponse:
        """See `DirectoriesService.create_directory_secret`."""
        request = _create_secret_request(organization_id, directory_id)
        return await unary_async(self._stub.CreateDirectorySecret, request, timeout, metadata)

    async def regenerate_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.RegenerateDirectorySecretResponse:
        """See `DirectoriesService.regenerate_directory_secret`."""
        request = _regenerate_secret_request(organization_id, directory_id)
        return await unary_async(self._stub.RegenerateDirectorySecret, request, timeout, metadata)

    async def trigger_directory_sync(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `DirectoriesService.trigger_directory_sync`."""
        request = _trigger_sync_request(organization_id, directory_id)
        await unary_async(self._stub.TriggerDirectorySync, request, timeout, metadata)

    async def get_directory_context(
        self,
        organization_id: str,
        directory_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDirectoryContextResponse:
        """See `DirectoriesService.get_directory_context`."""
        request = _get_context_request(organization_id, directory_id)
        return await unary_async(self._stub.GetDirectoryContext, request, timeout, metadata)

    async def update_directory_context(
        self,
        organization_id: str,
        directory_id: str,
        context: Context,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `DirectoriesService.update_directory_context`."""
        request = _update_context_request(organization_id, directory_id, context)
        await unary_async(self._stub.UpdateDirectoryContext, request, timeout, metadata)
