"""Organization domains (``scalekit.v1.domains.DomainService``).

Go SDK v2.2.0 semantics kept: the organization id travels in the ``identities`` oneof;
``list_domains`` without options asks for 100 domains and nothing else, with options it sends
``page_size``/``page_number`` only when > 0 and ``domain_type`` only when given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from google.protobuf import wrappers_pb2

from scalekit_grpc._pagination import AsyncPager, Pager, page_number_advance
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import (
    DomainIdRequiredError,
    DomainRequiredError,
    OrganizationIdRequiredError,
    OriginRequiredError,
)
from scalekit_grpc.options import (
    CreateDomainOptions,
    DomainType,
    ListDomainsOptions,
    _enum_number,
    _non_negative,
    _page_size,
)
from scalekit_grpc.services._rpc import require, unary, unary_async
from scalekit_grpc.v1.domains import domains_pb2 as pb
from scalekit_grpc.v1.domains.domains_pb2_grpc import DomainServiceStub

if TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = ["DEFAULT_LIST_PAGE_SIZE", "AsyncDomainsService", "DomainsService"]

DEFAULT_LIST_PAGE_SIZE = 100
"""The page size `list_domains` asks for when called without options (as the Go SDK does), and
the one `iter_domains` uses unless told otherwise."""


# --- request building (pure, shared by both shells) -----------------------------------------


def _org(organization_id: str) -> str:
    return require(organization_id, OrganizationIdRequiredError, "organization_id")


def _ids(organization_id: str, domain_id: str) -> tuple[str, str]:
    return _org(organization_id), require(domain_id, DomainIdRequiredError, "domain_id")


def _domain_type(value: DomainType | str | None) -> pb.DomainType.ValueType | None:
    return _enum_number(value, DomainType, "domain_type", pb.DomainType)


def _create_domain_request(
    organization_id: str, domain: str, options: CreateDomainOptions | None
) -> pb.CreateDomainRequest:
    _org(organization_id)
    require(domain, DomainRequiredError, "domain")
    options = options or CreateDomainOptions()
    body = pb.CreateDomain(domain=domain)
    domain_type = _domain_type(options.domain_type)
    if domain_type is not None:
        body.domain_type = domain_type
    request = pb.CreateDomainRequest(organization_id=organization_id, domain=body)
    if options.connection_id:
        request.connection_id = options.connection_id
    return request


def _get_domain_request(organization_id: str, domain_id: str) -> pb.GetDomainRequest:
    org, domain_id = _ids(organization_id, domain_id)
    return pb.GetDomainRequest(organization_id=org, id=domain_id)


def _update_domain_request(organization_id: str, domain_id: str) -> pb.UpdateDomainRequest:
    org, domain_id = _ids(organization_id, domain_id)
    # UpdateDomain has no fields today; the body is still sent, as the REST mapping's {} would be.
    return pb.UpdateDomainRequest(organization_id=org, id=domain_id, domain=pb.UpdateDomain())


def _verify_domain_request(organization_id: str, domain_id: str) -> pb.VerifyDomainRequest:
    org, domain_id = _ids(organization_id, domain_id)
    return pb.VerifyDomainRequest(organization_id=org, id=domain_id)


def _delete_domain_request(organization_id: str, domain_id: str) -> pb.DeleteDomainRequest:
    org, domain_id = _ids(organization_id, domain_id)
    return pb.DeleteDomainRequest(organization_id=org, id=domain_id)


def _list_domains_request(
    organization_id: str, options: ListDomainsOptions | None
) -> pb.ListDomainRequest:
    request = pb.ListDomainRequest(organization_id=_org(organization_id))
    if options is None:
        request.page_size.value = DEFAULT_LIST_PAGE_SIZE
        return request
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size.value = page_size
    page_number = _non_negative(options.page_number, "page_number")
    if page_number:
        request.page_number.value = page_number
    domain_type = _domain_type(options.domain_type)
    if domain_type is not None:
        request.domain_type = domain_type
    return request


def _first_page_request(
    organization_id: str, options: ListDomainsOptions | None
) -> tuple[pb.ListDomainRequest, int, int]:
    """The pager's first request (page size and number always explicit), size and number."""
    request = _list_domains_request(organization_id, options)
    page_size = request.page_size.value if request.HasField("page_size") else 0
    page_size = page_size or DEFAULT_LIST_PAGE_SIZE
    page_number = request.page_number.value if request.HasField("page_number") else 0
    page_number = page_number or 1
    request.page_size.CopyFrom(wrappers_pb2.Int32Value(value=page_size))
    request.page_number.CopyFrom(wrappers_pb2.Int32Value(value=page_number))
    return request, page_size, page_number


def _with_page_number(request: pb.ListDomainRequest, number: int) -> pb.ListDomainRequest:
    following = pb.ListDomainRequest()
    following.CopyFrom(request)
    following.page_number.value = number
    return following


def _domains(page: pb.ListDomainResponse) -> Sequence[pb.Domain]:
    return page.domains


def _domain_id(domain: pb.Domain) -> str:
    return domain.id


def _reported_size(page: pb.ListDomainResponse) -> int:
    return page.page_size


def _domain_advance(
    page_size: int, first_number: int
) -> Callable[[pb.ListDomainRequest, pb.ListDomainResponse], pb.ListDomainRequest | None]:
    return page_number_advance(
        page_size=page_size,
        first_number=first_number,
        items=_domains,
        item_key=_domain_id,
        reported_size=_reported_size,
        with_page_number=_with_page_number,
    )


def _authorized_domains_request(origin: str, link_id: str | None) -> pb.ListAuthorizedDomainRequest:
    request = pb.ListAuthorizedDomainRequest(origin=require(origin, OriginRequiredError, "origin"))
    if link_id:
        request.link_id = link_id
    return request


# --- sync shell -----------------------------------------------------------------------------


class DomainsService:
    """Organization domains, sync. Reach it as ``client.domains``."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = DomainServiceStub(channel)

    def create_domain(
        self,
        organization_id: str,
        domain: str,
        options: CreateDomainOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDomainResponse:
        """Add a domain (``example.com``) to an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DomainRequiredError: ``domain`` is empty.
            ApiError: the RPC failed (the subclass for its status code).
        """
        request = _create_domain_request(organization_id, domain, options)
        return unary(self._stub.CreateDomain, request, timeout, metadata)

    def get_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDomainResponse:
        """One domain of an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DomainIdRequiredError: ``domain_id`` is empty.
            ApiError: the RPC failed (`NotFoundError` for an unknown domain).
        """
        request = _get_domain_request(organization_id, domain_id)
        return unary(self._stub.GetDomain, request, timeout, metadata)

    def update_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateDomainResponse:
        """Update a domain (the wire contract has no updatable field yet; returns the domain).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DomainIdRequiredError: ``domain_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _update_domain_request(organization_id, domain_id)
        return unary(self._stub.UpdateDomain, request, timeout, metadata)

    def verify_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.VerifyDomainResponse:
        """Check the domain's DNS TXT record now; ``verified`` says whether it matched.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DomainIdRequiredError: ``domain_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _verify_domain_request(organization_id, domain_id)
        return unary(self._stub.VerifyDomain, request, timeout, metadata)

    def delete_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Remove a domain from an organization.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            DomainIdRequiredError: ``domain_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _delete_domain_request(organization_id, domain_id)
        unary(self._stub.DeleteDomain, request, timeout, metadata)

    def list_domains(
        self,
        organization_id: str,
        options: ListDomainsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDomainResponse:
        """One page of an organization's domains; see `iter_domains` for all of them.

        Without options this asks for ``page_size=100`` and nothing else (Go SDK); with
        options, ``page_size`` and ``page_number`` are sent only when > 0.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_domains_request(organization_id, options)
        return unary(self._stub.ListDomains, request, timeout, metadata)

    def iter_domains(
        self,
        organization_id: str,
        options: ListDomainsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.Domain, pb.ListDomainResponse]:
        """Every domain of an organization, following ``page_number`` until a short page.

        Each page request carries an explicit page size (``options.page_size`` or 100) and
        page number (from ``options.page_number`` or 1); ``timeout`` applies per page.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty (raised here).
        """
        request, page_size, number = _first_page_request(organization_id, options)
        stub = self._stub
        return Pager(
            lambda r: unary(stub.ListDomains, r, timeout, metadata),
            request,
            _domains,
            lambda: _domain_advance(page_size, number),
        )

    def list_authorized_domains(
        self,
        origin: str,
        *,
        link_id: str | None = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListAuthorizedDomainResponse:
        """The domains authorized for an origin (``link_id`` narrows to one link).

        Raises:
            OriginRequiredError: ``origin`` is empty.
            ApiError: the RPC failed.
        """
        request = _authorized_domains_request(origin, link_id)
        return unary(self._stub.ListAuthorizedDomains, request, timeout, metadata)


# --- asyncio shell --------------------------------------------------------------------------


class AsyncDomainsService:
    """Organization domains, asyncio: `DomainsService` with coroutines and async pagers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DomainServiceStub(channel)

    async def create_domain(
        self,
        organization_id: str,
        domain: str,
        options: CreateDomainOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateDomainResponse:
        """See `DomainsService.create_domain`."""
        request = _create_domain_request(organization_id, domain, options)
        return await unary_async(self._stub.CreateDomain, request, timeout, metadata)

    async def get_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.GetDomainResponse:
        """See `DomainsService.get_domain`."""
        request = _get_domain_request(organization_id, domain_id)
        return await unary_async(self._stub.GetDomain, request, timeout, metadata)

    async def update_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateDomainResponse:
        """See `DomainsService.update_domain`."""
        request = _update_domain_request(organization_id, domain_id)
        return await unary_async(self._stub.UpdateDomain, request, timeout, metadata)

    async def verify_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.VerifyDomainResponse:
        """See `DomainsService.verify_domain`."""
        request = _verify_domain_request(organization_id, domain_id)
        return await unary_async(self._stub.VerifyDomain, request, timeout, metadata)

    async def delete_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """See `DomainsService.delete_domain`."""
        request = _delete_domain_request(organization_id, domain_id)
        await unary_async(self._stub.DeleteDomain, request, timeout, metadata)

    async def list_domains(
        self,
        organization_id: str,
        options: ListDomainsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListDomainResponse:
        """See `DomainsService.list_domains`."""
        request = _list_domains_request(organization_id, options)
        return await unary_async(self._stub.ListDomains, request, timeout, metadata)

    def iter_domains(
        self,
        organization_id: str,
        options: ListDomainsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.Domain, pb.ListDomainResponse]:
        """See `DomainsService.iter_domains`; iterate with ``async for``."""
        request, page_size, number = _first_page_request(organization_id, options)
        stub = self._stub
        return AsyncPager(
            lambda r: unary_async(stub.ListDomains, r, timeout, metadata),
            request,
            _domains,
            lambda: _domain_advance(page_size, number),
        )

    async def list_authorized_domains(
        self,
        origin: str,
        *,
        link_id: str | None = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListAuthorizedDomainResponse:
        """See `DomainsService.list_authorized_domains`."""
        request = _authorized_domains_request(origin, link_id)
        return await unary_async(self._stub.ListAuthorizedDomains, request, timeout, metadata)
