"""API tokens (``scalekit.v1.tokens.ApiTokenService``): create, validate, list, update, revoke.

Go SDK v2.2.0 semantics kept: unset options are not sent; ``update_token`` replaces the claims
(never merges) and distinguishes ``description=None`` (unchanged) from ``""`` (cleared);
``validate_token`` reports rejected tokens as `TokenValidationFailedError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from scalekit_grpc._pagination import AsyncPager, Pager, token_advance
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import (
    ApiError,
    NotFoundError,
    OrganizationIdRequiredError,
    PermissionDeniedError,
    TokenIdRequiredError,
    TokenRequiredError,
    TokenValidationFailedError,
    UnauthenticatedError,
)
from scalekit_grpc.options import (
    CreateTokenOptions,
    ListTokensOptions,
    UpdateTokenOptions,
    _page_size,
    _timestamp,
)
from scalekit_grpc.services._rpc import require, unary, unary_async
from scalekit_grpc.v1.tokens import tokens_pb2 as pb
from scalekit_grpc.v1.tokens.tokens_pb2_grpc import ApiTokenServiceStub

if TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = ["AsyncTokensService", "TokensService"]

# The statuses with which the server says "this token is not valid" (Go: ErrTokenValidationFailed).
_REJECTED = (UnauthenticatedError, NotFoundError, PermissionDeniedError)


# --- request building (pure, shared by both shells) -----------------------------------------


def _create_token_request(
    organization_id: str, options: CreateTokenOptions | None
) -> pb.CreateTokenRequest:
    require(organization_id, OrganizationIdRequiredError, "organization_id")
    options = options or CreateTokenOptions()
    token = pb.CreateToken(organization_id=organization_id)
    if options.user_id:
        token.user_id = options.user_id
    if options.custom_claims:
        token.custom_claims.update(options.custom_claims)
    expiry = _timestamp(options.expiry, "expiry")
    if expiry is not None:
        token.expiry.CopyFrom(expiry)
    if options.description:
        token.description = options.description
    return pb.CreateTokenRequest(token=token)


def _validate_token_request(token: str) -> pb.ValidateTokenRequest:
    return pb.ValidateTokenRequest(token=require(token, TokenRequiredError, "token"))


def _invalidate_token_request(token: str) -> pb.InvalidateTokenRequest:
    return pb.InvalidateTokenRequest(token=require(token, TokenRequiredError, "token"))


def _list_tokens_request(
    organization_id: str, options: ListTokensOptions | None
) -> pb.ListTokensRequest:
    require(organization_id, OrganizationIdRequiredError, "organization_id")
    options = options or ListTokensOptions()
    request = pb.ListTokensRequest(organization_id=organization_id)
    if options.user_id:
        request.user_id = options.user_id
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    return request


def _update_token_request(token: str, options: UpdateTokenOptions | None) -> pb.UpdateTokenRequest:
    require(token, TokenRequiredError, "token")
    options = options or UpdateTokenOptions()
    request = pb.UpdateTokenRequest(token=token)
    if options.description is not None:
        request.description = options.description
    if options.custom_claims:
        request.custom_claims.update(options.custom_claims)
    return request


def _fetch_token_request(token_id: str) -> pb.FetchTokenRequest:
    return pb.FetchTokenRequest(token_id=require(token_id, TokenIdRequiredError, "token_id"))


def _rejected(exc: ApiError) -> TokenValidationFailedError:
    return TokenValidationFailedError(f"token validation failed: {exc}")


def _tokens(page: pb.ListTokensResponse) -> Sequence[pb.Token]:
    return page.tokens


# --- sync shell -----------------------------------------------------------------------------


class TokensService:
    """API tokens, sync. Reach it as ``client.tokens``."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = ApiTokenServiceStub(channel)

    def create_token(
        self,
        organization_id: str,
        options: CreateTokenOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateTokenResponse:
        """Create an API token for an organization (or one of its users).

        Returns:
            The response; ``token`` is the secret, shown only here.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed (the subclass for its status code).
        """
        request = _create_token_request(organization_id, options)
        return unary(self._stub.CreateToken, request, timeout, metadata)

    def validate_token(
        self, token: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ValidateTokenResponse:
        """Check an API token (or its ``apit_`` id) and return what it carries.

        Raises:
            TokenRequiredError: ``token`` is empty (also a `TokenValidationFailedError`).
            TokenValidationFailedError: the server answered UNAUTHENTICATED, NOT_FOUND or
                PERMISSION_DENIED; the API error is the ``__cause__``.
            ApiError: any other failure (INVALID_ARGUMENT included, as in the Go SDK).
        """
        request = _validate_token_request(token)
        try:
            return unary(self._stub.ValidateToken, request, timeout, metadata)
        except _REJECTED as exc:
            raise _rejected(exc) from exc

    def invalidate_token(
        self, token: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> None:
        """Revoke an API token (or its ``apit_`` id). Idempotent: revoking a token that is
        already revoked or unknown succeeds (a NOT_FOUND answer is treated as done).

        Raises:
            TokenRequiredError: ``token`` is empty.
            ApiError: the RPC failed for another reason.
        """
        request = _invalidate_token_request(token)
        try:
            unary(self._stub.InvalidateToken, request, timeout, metadata)
        except NotFoundError:
            return

    def list_tokens(
        self,
        organization_id: str,
        options: ListTokensOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListTokensResponse:
        """One page of an organization's API tokens; see `iter_tokens` for all of them.

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _list_tokens_request(organization_id, options)
        return unary(self._stub.ListTokens, request, timeout, metadata)

    def iter_tokens(
        self,
        organization_id: str,
        options: ListTokensOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.Token, pb.ListTokensResponse]:
        """Every API token of an organization, across pages (``timeout`` applies per page).

        Raises:
            OrganizationIdRequiredError: ``organization_id`` is empty (raised here, not while
                iterating).
        """
        request = _list_tokens_request(organization_id, options)
        stub = self._stub
        return Pager(
            lambda r: unary(stub.ListTokens, r, timeout, metadata),
            request,
            _tokens,
            lambda: token_advance(request),
        )

    def update_token(
        self,
        token: str,
        options: UpdateTokenOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateTokenResponse:
        """Replace a token's custom claims and/or set its description.

        Raises:
            TokenRequiredError: ``token`` is empty.
            ApiError: the RPC failed (INVALID_ARGUMENT for an empty claim value).
        """
        request = _update_token_request(token, options)
        return unary(self._stub.UpdateToken, request, timeout, metadata)

    def fetch_token(
        self, token_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.FetchTokenResponse:
        """Retrieve a token by its ``apit_`` id.

        Raises:
            TokenIdRequiredError: ``token_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _fetch_token_request(token_id)
        return unary(self._stub.FetchToken, request, timeout, metadata)


# --- asyncio shell --------------------------------------------------------------------------


class AsyncTokensService:
    """API tokens, asyncio: `TokensService` with coroutines and async pagers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ApiTokenServiceStub(channel)

    async def create_token(
        self,
        organization_id: str,
        options: CreateTokenOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.CreateTokenResponse:
        """See `TokensService.create_token`."""
        request = _create_token_request(organization_id, options)
        return await unary_async(self._stub.CreateToken, request, timeout, metadata)

    async def validate_token(
        self, token: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.ValidateTokenResponse:
        """See `TokensService.validate_token`."""
        request = _validate_token_request(token)
        try:
            return await unary_async(self._stub.ValidateToken, request, timeout, metadata)
        except _REJECTED as exc:
            raise _rejected(exc) from exc

    async def invalidate_token(
        self, token: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> None:
        """See `TokensService.invalidate_token`."""
        request = _invalidate_token_request(token)
        try:
            await unary_async(self._stub.InvalidateToken, request, timeout, metadata)
        except NotFoundError:
            return

    async def list_tokens(
        self,
        organization_id: str,
        options: ListTokensOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.ListTokensResponse:
        """See `TokensService.list_tokens`."""
        request = _list_tokens_request(organization_id, options)
        return await unary_async(self._stub.ListTokens, request, timeout, metadata)

    def iter_tokens(
        self,
        organization_id: str,
        options: ListTokensOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.Token, pb.ListTokensResponse]:
        """See `TokensService.iter_tokens`; iterate with ``async for``."""
        request = _list_tokens_request(organization_id, options)
        stub = self._stub
        return AsyncPager(
            lambda r: unary_async(stub.ListTokens, r, timeout, metadata),
            request,
            _tokens,
            lambda: token_advance(request),
        )

    async def update_token(
        self,
        token: str,
        options: UpdateTokenOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UpdateTokenResponse:
        """See `TokensService.update_token`."""
        request = _update_token_request(token, options)
        return await unary_async(self._stub.UpdateToken, request, timeout, metadata)

    async def fetch_token(
        self, token_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.FetchTokenResponse:
        """See `TokensService.fetch_token`."""
        request = _fetch_token_request(token_id)
        return await unary_async(self._stub.FetchToken, request, timeout, metadata)
