"""SSO and app connections (``scalekit.v1.connections.ConnectionService``).

Organization-level methods take the organization id first; the ``*_environment_connection``
methods act on connections that belong to the environment. Connection settings are large nested
messages, so the create and update methods take the generated ``CreateConnection`` /
``UpdateConnection`` message. Go SDK v2.2.0 semantics kept: ``list_connections`` and
``list_connections_by_domain`` send ``include="all"`` unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from scalekit_grpc._pagination import AsyncPager, Pager, TokenPage, TokenRequest, token_advance
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import (
    ConnectionIdRequiredError,
    ConnectionTestRequestIdRequiredError,
    DomainRequiredError,
    OrganizationIdRequiredError,
)
from scalekit_grpc.options import (
    ConnectionStatus,
    ConnectionType,
    ListAppConnectionsOptions,
    ListConnectionsOptions,
    PageOptions,
    SearchOrganizationConnectionsOptions,
    _enum_number,
    _page_size,
)
from scalekit_grpc.services._rpc import Context, require, to_struct, unary, unary_async
from scalekit_grpc.v1.connections import connections_pb2 as pb
from scalekit_grpc.v1.connections.connections_pb2_grpc import ConnectionServiceStub

if TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = ["AsyncConnectionsService", "ConnectionsService"]

# --- request building (pure, shared by both shells) -----------------------------------------


def _org(organization_id: str) -> str:
    return require(organization_id, OrganizationIdRequiredError, "organization_id")


def _conn(connection_id: str) -> str:
    return require(connection_id, ConnectionIdRequiredError, "connection_id")


def _create_environment_connection_request(
    connection: pb.CreateConnection, flags: pb.Flags | None
) -> pb.CreateEnvironmentConnectionRequest:
    request = pb.CreateEnvironmentConnectionRequest(connection=connection)
    if flags is not None:
        request.flags.CopyFrom(flags)
    return request


def _create_connection_request(
    organization_id: str, connection: pb.CreateConnection
) -> pb.CreateConnectionRequest:
    return pb.CreateConnectionRequest(organization_id=_org(organization_id), connection=connection)


def _assign_domains_request(
    organization_id: str, connection_id: str, domain_ids: Iterable[str]
) -> pb.AssignDomainsToConnectionRequest:
    if isinstance(domain_ids, str):
        raise TypeError("domain_ids must be a sequence of domain ids, not a single string")
    return pb.AssignDomainsToConnectionRequest(
        organization_id=_org(organization_id),
        connection_id=_conn(connection_id),
        domain_ids=list(domain_ids),
    )


def _get_environment_connection_request(connection_id: str) -> pb.GetEnvironmentConnectionRequest:
    return pb.GetEnvironmentConnectionRequest(connection_id=_conn(connection_id))


def _get_connection_request(organization_id: str, connection_id: str) -> pb.GetConnectionRequest:
    return pb.GetConnectionRequest(organization_id=_org(organization_id), id=_conn(connection_id))


def _with_include(
    request: pb.ListConnectionsRequest, options: ListConnectionsOptions | None
) -> pb.ListConnectionsRequest:
    include = (options or ListConnectionsOptions()).include
    if include is not None:
        request.include = include
    return request


def _list_connections_request(
    organization_id: str, options: ListConnectionsOptions | None
) -> pb.ListConnectionsRequest:
    request = pb.ListConnectionsRequest(organization_id=_org(organization_id))
    return _with_include(request, options)


def _list_connections_by_domain_request(
    domain: str, options: ListConnectionsOptions | None
) -> pb.ListConnectionsRequest:
    request = pb.ListConnectionsRequest(domain=require(domain, DomainRequiredError, "domain"))
    return _with_include(request, options)


def _list_organization_connections_request(
    options: PageOptions | None,
) -> pb.ListOrganizationConnectionsRequest:
    options = options or PageOptions()
    request = pb.ListOrganizationConnectionsRequest()
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    return request


def _search_organization_connections_request(
    options: SearchOrganizationConnectionsOptions | None,
) -> pb.SearchOrganizationConnectionsRequest:
    options = options or SearchOrganizationConnectionsOptions()
    request = pb.SearchOrganizationConnectionsRequest()
    if options.query is not None:
        request.query = options.query
    if options.provider is not None:
        request.provider = options.provider
    status = _enum_number(options.status, ConnectionStatus, "status", pb.ConnectionStatus)
    if status is not None:
        request.status = status
    connection_type = _enum_number(
        options.connection_type, ConnectionType, "connection_type", pb.ConnectionType
    )
    if connection_type is not None:
        request.connection_type = connection_type
    if options.enabled is not None:
        request.enabled = options.enabled
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    return request


def _update_environment_connection_request(
    connection_id: str, connection: pb.UpdateConnection
) -> pb.UpdateEnvironmentConnectionRequest:
    return pb.UpdateEnvironmentConnectionRequest(
        connection_id=_conn(connection_id), connection=connection
    )


def _update_connection_request(
    organization_id: str, connection_id: str, connection: pb.UpdateConnection
) -> pb.UpdateConnectionRequest:
    return pb.UpdateConnectionRequest(
        organization_id=_org(organization_id), id=_conn(connection_id), connection=connection
    )


def _delete_environment_connection_request(
    connection_id: str,
) -> pb.DeleteEnvironmentConnectionRequest:
    return pb.DeleteEnvironmentConnectionRequest(connection_id=_conn(connection_id))


def _delete_connection_request(
    organization_id: str, connection_id: str
) -> pb.DeleteConnectionRequest:
    return pb.DeleteConnectionRequest(
        organization_id=_org(organization_id), id=_conn(connection_id)
    )


def _toggle_environment_request(connection_id: str) -> pb.ToggleEnvironmentConnectionRequest:
    return pb.ToggleEnvironmentConnectionRequest(connection_id=_conn(connection_id))


def _toggle_request(organization_id: str, connection_id: str) -> pb.ToggleConnectionRequest:
    return pb.ToggleConnectionRequest(
        organization_id=_org(organization_id), id=_conn(connection_id)
    )


def _test_result_request(
    connection_id: str, test_request_id: str
) -> pb.GetConnectionTestResultRequest:
    return pb.GetConnectionTestResultRequest(
        connection_id=_conn(connection_id),
        test_request_id=require(
            test_request_id, ConnectionTestRequestIdRequiredError, "test_request_id"
        ),
    )


def _list_app_connections_request(
    options: ListAppConnectionsOptions | None,
) -> pb.ListAppConnectionsRequest:
    options = options or ListAppConnectionsOptions()
    request = pb.ListAppConnectionsRequest()
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    if options.provider is not None:
        request.provider = options.provider
    if options.query is not None:
        request.query = options.query
    return request


def _get_context_request(
    organization_id: str, connection_id: str
) -> pb.GetConnectionContextRequest:
    return pb.GetConnectionContextRequest(
        organization_id=_org(organization_id), connection_id=_conn(connection_id)
    )


def _update_context_request(
    organization_id: str, connection_id: str, context: Context
) -> pb.UpdateConnectionContextRequest:
    return pb.UpdateConnectionContextRequest(
        organization_id=_org(organization_id),
        connection_id=_conn(connection_id),
        context=to_struct(context),
    )


class _ConnectionPage(TokenPage, Protocol):
    """The three paged connection lists share their item field."""

    @property
    def connections(self) -> Sequence[pb.ListConnection]: ...


_PageT = TypeVar("_PageT", bound=_ConnectionPage)
_ReqT = TypeVar("_ReqT", bound=TokenRequest)


def _connections(page: _ConnectionPage) -> Sequence[pb.ListConnection]:
    return page.connections


# --- sync shell -----------------------------------------------------------------------------


class ConnectionsService:
    """Connections, sync. Reach it as ``client.connections``."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = ConnectionServiceStub(channel)

    def _pager(
        self,
        method: grpc.UnaryUnaryMultiCallable[_ReqT, _PageT],
        request: _ReqT,
        timeout: Timeout,
        metadata: Metadata | None,
    ) -> Pager[pb.ListConnection, _PageT]:
        return Pager(
            lambda r: unary(method, r, timeout, metadata),
            request,
            _connections,
            lambda: token_advance(request),
        )

    # environment-level connections

    def create_environment_connection(
        self,
        connection: pb.CreateConnection,
        flags: pb.Flags | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateConnectionResponse:
        """Create a connection owned by the environment (``flags``: login and/or app use).

        Raises:
            ApiError: the RPC failed (the subclass for its status code).
        """
        request = _create_environment_connection_request(connection, flags)
        return unary(self._stub.CreateEnvironmentConnection, request, timeout, metadata)

    def get_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.GetConnectionResponse:
        """One environment-level connection.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _get_environment_connection_request(connection_id)
        return unary(self._stub.GetEnvironmentConnection, request, timeout, metadata)

    def update_environment_connection(
        self,
        connection_id: str,
        connection: pb.UpdateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateConnectionResponse:
        """Update an environment-level connection's settings.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _update_environment_connection_request(connection_id, connection)
        return unary(self._stub.UpdateEnvironmentConnection, request, timeout, metadata)

    def delete_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> None:
        """Delete an environment-level connection.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _delete_environment_connection_request(connection_id)
        unary(self._stub.DeleteEnvironmentConnection, request, timeout, metadata)

    def enable_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ToggleConnectionResponse:
        """Enable an environment-level connection.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_environment_request(connection_id)
        return unary(self._stub.EnableEnvironmentConnection, request, timeout, metadata)

    def disable_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ToggleConnectionResponse:
        """Disable an environment-level connection.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_environment_request(connection_id)
        return unary(self._stub.DisableEnvironmentConnection, request, timeout, metadata)

    # organization connections

    def create_connection(
        self,
        organization_id: str,
        connection: pb.CreateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateConnectionResponse:
        """Create an SSO connection for an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _create_connection_request(organization_id, connection)
        return unary(self._stub.CreateConnection, request, timeout, metadata)

    def get_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionResponse:
        """One connection of an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed (`NotFoundError` for an unknown connection).
        """
        request = _get_connection_request(organization_id, connection_id)
        return unary(self._stub.GetConnection, request, timeout, metadata)

    def update_connection(
        self,
        organization_id: str,
        connection_id: str,
        connection: pb.UpdateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateConnectionResponse:
        """Update an organization connection's settings.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _update_connection_request(organization_id, connection_id, connection)
        return unary(self._stub.UpdateConnection, request, timeout, metadata)

    def delete_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Delete an organization connection.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _delete_connection_request(organization_id, connection_id)
        unary(self._stub.DeleteConnection, request, timeout, metadata)

    def enable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleConnectionResponse:
        """Enable an organization connection.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_request(organization_id, connection_id)
        return unary(self._stub.EnableConnection, request, timeout, metadata)

    def disable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleConnectionResponse:
        """Disable an organization connection.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _toggle_request(organization_id, connection_id)
        return unary(self._stub.DisableConnection, request, timeout, metadata)

    def assign_domains_to_connection(
        self,
        organization_id: str,
        connection_id: str,
        domain_ids: Iterable[str],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.AssignDomainsToConnectionResponse:
        """Set the domains (by domain id) that route users to a connection.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            TypeError: ``domain_ids`` is a single string.
            ApiError: the RPC failed.
        """
        request = _assign_domains_request(organization_id, connection_id, domain_ids)
        return unary(self._stub.AssignDomainsToConnection, request, timeout, metadata)

    def get_connection_context(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionContextResponse:
        """The connection's context (free-form ``Struct``).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _get_context_request(organization_id, connection_id)
        return unary(self._stub.GetConnectionContext, request, timeout, metadata)

    def update_connection_context(
        self,
        organization_id: str,
        connection_id: str,
        context: Context,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Replace the connection's context with ``context`` (a `Struct` or JSON-like mapping).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ConnectionIdRequiredError: ``connection_id`` is empty.
            TypeError: ``context`` is neither a Struct nor a JSON-like mapping.
            ApiError: the RPC failed.
        """
        request = _update_context_request(organization_id, connection_id, context)
        unary(self._stub.UpdateConnectionContext, request, timeout, metadata)

    # lists

    def list_connections(
        self,
        organization_id: str,
        options: ListConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListConnectionsResponse:
        """An organization's connections (not paged); ``include="all"`` unless told otherwise.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_connections_request(organization_id, options)
        return unary(self._stub.ListConnections, request, timeout, metadata)

    def list_connections_by_domain(
        self,
        domain: str,
        options: ListConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListConnectionsResponse:
        """The connections serving a domain (not paged); ``include="all"`` unless told otherwise.

        Raises:
            DomainRequiredError: ``domain`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_connections_by_domain_request(domain, options)
        return unary(self._stub.ListConnections, request, timeout, metadata)

    def list_organization_connections(
        self,
        options: PageOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListOrganizationConnectionsResponse:
        """One page of the connections of every organization; see
        `iter_organization_connections`.

        Raises:
            ApiError: the RPC failed.
        """
        request = _list_organization_connections_request(options)
        return unary(self._stub.ListOrganizationConnections, request, timeout, metadata)

    def iter_organization_connections(
        self,
        options: PageOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.ListConnection, pb.ListOrganizationConnectionsResponse]:
        """Every connection of every organization, across pages (``timeout`` per page)."""
        request = _list_organization_connections_request(options)
        return self._pager(self._stub.ListOrganizationConnections, request, timeout, metadata)

    def search_organization_connections(
        self,
        options: SearchOrganizationConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.SearchOrganizationConnectionsResponse:
        """One page of organization connections matching the filters; see
        `iter_search_organization_connections`.

        Raises:
            ApiError: the RPC failed.
        """
        request = _search_organization_connections_request(options)
        return unary(self._stub.SearchOrganizationConnections, request, timeout, metadata)

    def iter_search_organization_connections(
        self,
        options: SearchOrganizationConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.ListConnection, pb.SearchOrganizationConnectionsResponse]:
        """Every organization connection matching the filters, across pages."""
        request = _search_organization_connections_request(options)
        return self._pager(self._stub.SearchOrganizationConnections, request, timeout, metadata)

    def list_app_connections(
        self,
        options: ListAppConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListAppConnectionsResponse:
        """One page of the environment's app connections; see `iter_app_connections`.

        Raises:
            ApiError: the RPC failed.
        """
        request = _list_app_connections_request(options)
        return unary(self._stub.ListAppConnections, request, timeout, metadata)

    def iter_app_connections(
        self,
        options: ListAppConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.ListConnection, pb.ListAppConnectionsResponse]:
        """Every app connection, across pages (``timeout`` per page)."""
        request = _list_app_connections_request(options)
        return self._pager(self._stub.ListAppConnections, request, timeout, metadata)

    def get_connection_test_result(
        self,
        connection_id: str,
        test_request_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionTestResultResponse:
        """The outcome of a connection test run.

        Raises:
            ConnectionIdRequiredError: ``connection_id`` is empty.
            ConnectionTestRequestIdRequiredError: ``test_request_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _test_result_request(connection_id, test_request_id)
        return unary(self._stub.GetConnectionTestResult, request, timeout, metadata)


# --- asyncio shell --------------------------------------------------------------------------


class AsyncConnectionsService:
    """Connections, asyncio: `ConnectionsService` with coroutines and async pagers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ConnectionServiceStub(channel)

    def _pager(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[_ReqT, _PageT],
        request: _ReqT,
        timeout: Timeout,
        metadata: Metadata | None,
    ) -> AsyncPager[pb.ListConnection, _PageT]:
        return AsyncPager(
            lambda r: unary_async(method, r, timeout, metadata),
            request,
            _connections,
            lambda: token_advance(request),
        )

    async def create_environment_connection(
        self,
        connection: pb.CreateConnection,
        flags: pb.Flags | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateConnectionResponse:
        """See `ConnectionsService.create_environment_connection`."""
        request = _create_environment_connection_request(connection, flags)
        return await unary_async(self._stub.CreateEnvironmentConnection, request, timeout, metadata)

    async def get_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.GetConnectionResponse:
        """See `ConnectionsService.get_environment_connection`."""
        request = _get_environment_connection_request(connection_id)
        return await unary_async(self._stub.GetEnvironmentConnection, request, timeout, metadata)

    async def update_environment_connection(
        self,
        connection_id: str,
        connection: pb.UpdateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateConnectionResponse:
        """See `ConnectionsService.update_environment_connection`."""
        request = _update_environment_connection_request(connection_id, connection)
        return await unary_async(self._stub.UpdateEnvironmentConnection, request, timeout, metadata)

    async def delete_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> None:
        """See `ConnectionsService.delete_environment_connection`."""
        request = _delete_environment_connection_request(connection_id)
        await unary_async(self._stub.DeleteEnvironmentConnection, request, timeout, metadata)

    async def enable_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ToggleConnectionResponse:
        """See `ConnectionsService.enable_environment_connection`."""
        request = _toggle_environment_request(connection_id)
        return await unary_async(self._stub.EnableEnvironmentConnection, request, timeout, metadata)

    async def disable_environment_connection(
        self, connection_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ToggleConnectionResponse:
        """See `ConnectionsService.disable_environment_connection`."""
        request = _toggle_environment_request(connection_id)
        return await unary_async(
            self._stub.DisableEnvironmentConnection, request, timeout, metadata
        )

    async def create_connection(
        self,
        organization_id: str,
        connection: pb.CreateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateConnectionResponse:
        """See `ConnectionsService.create_connection`."""
        request = _create_connection_request(organization_id, connection)
        return await unary_async(self._stub.CreateConnection, request, timeout, metadata)

    async def get_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionResponse:
        """See `ConnectionsService.get_connection`."""
        request = _get_connection_request(organization_id, connection_id)
        return await unary_async(self._stub.GetConnection, request, timeout, metadata)

    async def update_connection(
        self,
        organization_id: str,
        connection_id: str,
        connection: pb.UpdateConnection,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateConnectionResponse:
        """See `ConnectionsService.update_connection`."""
        request = _update_connection_request(organization_id, connection_id, connection)
        return await unary_async(self._stub.UpdateConnection, request, timeout, metadata)

    async def delete_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `ConnectionsService.delete_connection`."""
        request = _delete_connection_request(organization_id, connection_id)
        await unary_async(self._stub.DeleteConnection, request, timeout, metadata)

    async def enable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleConnectionResponse:
        """See `ConnectionsService.enable_connection`."""
        request = _toggle_request(organization_id, connection_id)
        return await unary_async(self._stub.EnableConnection, request, timeout, metadata)

    async def disable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ToggleConnectionResponse:
        """See `ConnectionsService.disable_connection`."""
        request = _toggle_request(organization_id, connection_id)
        return await unary_async(self._stub.DisableConnection, request, timeout, metadata)

    async def assign_domains_to_connection(
        self,
        organization_id: str,
        connection_id: str,
        domain_ids: Iterable[str],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.AssignDomainsToConnectionResponse:
        """See `ConnectionsService.assign_domains_to_connection`."""
        request = _assign_domains_request(organization_id, connection_id, domain_ids)
        return await unary_async(self._stub.AssignDomainsToConnection, request, timeout, metadata)

    async def get_connection_context(
        self,
        organization_id: str,
        connection_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionContextResponse:
        """See `ConnectionsService.get_connection_context`."""
        request = _get_context_request(organization_id, connection_id)
        return await unary_async(self._stub.GetConnectionContext, request, timeout, metadata)

    async def update_connection_context(
        self,
        organization_id: str,
        connection_id: str,
        context: Context,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `ConnectionsService.update_connection_context`."""
        request = _update_context_request(organization_id, connection_id, context)
        await unary_async(self._stub.UpdateConnectionContext, request, timeout, metadata)

    async def list_connections(
        self,
        organization_id: str,
        options: ListConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListConnectionsResponse:
        """See `ConnectionsService.list_connections`."""
        request = _list_connections_request(organization_id, options)
        return await unary_async(self._stub.ListConnections, request, timeout, metadata)

    async def list_connections_by_domain(
        self,
        domain: str,
        options: ListConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListConnectionsResponse:
        """See `ConnectionsService.list_connections_by_domain`."""
        request = _list_connections_by_domain_request(domain, options)
        return await unary_async(self._stub.ListConnections, request, timeout, metadata)

    async def list_organization_connections(
        self,
        options: PageOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListOrganizationConnectionsResponse:
        """See `ConnectionsService.list_organization_connections`."""
        request = _list_organization_connections_request(options)
        return await unary_async(self._stub.ListOrganizationConnections, request, timeout, metadata)

    def iter_organization_connections(
        self,
        options: PageOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.ListConnection, pb.ListOrganizationConnectionsResponse]:
        """See `ConnectionsService.iter_organization_connections`; use ``async for``."""
        request = _list_organization_connections_request(options)
        return self._pager(self._stub.ListOrganizationConnections, request, timeout, metadata)

    async def search_organization_connections(
        self,
        options: SearchOrganizationConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.SearchOrganizationConnectionsResponse:
        """See `ConnectionsService.search_organization_connections`."""
        request = _search_organization_connections_request(options)
        return await unary_async(
            self._stub.SearchOrganizationConnections, request, timeout, metadata
        )

    def iter_search_organization_connections(
        self,
        options: SearchOrganizationConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.ListConnection, pb.SearchOrganizationConnectionsResponse]:
        """See `ConnectionsService.iter_search_organization_connections`; use ``async for``."""
        request = _search_organization_connections_request(options)
        return self._pager(self._stub.SearchOrganizationConnections, request, timeout, metadata)

    async def list_app_connections(
        self,
        options: ListAppConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListAppConnectionsResponse:
        """See `ConnectionsService.list_app_connections`."""
        request = _list_app_connections_request(options)
        return await unary_async(self._stub.ListAppConnections, request, timeout, metadata)

    def iter_app_connections(
        self,
        options: ListAppConnectionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.ListConnection, pb.ListAppConnectionsResponse]:
        """See `ConnectionsService.iter_app_connections`; use ``async for``."""
        request = _list_app_connections_request(options)
        return self._pager(self._stub.ListAppConnections, request, timeout, metadata)

    async def get_connection_test_result(
        self,
        connection_id: str,
        test_request_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetConnectionTestResultResponse:
        """See `ConnectionsService.get_connection_test_result`."""
        request = _test_result_request(connection_id, test_request_id)
        return await unary_async(self._stub.GetConnectionTestResult, request, timeout, metadata)
