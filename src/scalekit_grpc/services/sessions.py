"""User sessions (``scalekit.v1.sessions.SessionService``): inspect and revoke."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from scalekit_grpc._pagination import AsyncPager, Pager, token_advance
from scalekit_grpc._types import DEFAULT, Metadata, Timeout
from scalekit_grpc.errors import SessionIdRequiredError, UserIdRequiredError
from scalekit_grpc.options import UserSessionFilter, UserSessionsOptions, _page_size, _timestamp
from scalekit_grpc.services._rpc import require, unary, unary_async
from scalekit_grpc.v1.sessions import sessions_pb2 as pb
from scalekit_grpc.v1.sessions.sessions_pb2_grpc import SessionServiceStub

if TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = ["AsyncSessionsService", "SessionsService"]


# --- request building (pure, shared by both shells) -----------------------------------------


def _session(session_id: str) -> str:
    return require(session_id, SessionIdRequiredError, "session_id")


def _user(user_id: str) -> str:
    return require(user_id, UserIdRequiredError, "user_id")


def _filter(value: UserSessionFilter) -> pb.UserSessionFilter:
    message = pb.UserSessionFilter(status=list(value.status))
    start = _timestamp(value.start_time, "start_time")
    if start is not None:
        message.start_time.CopyFrom(start)
    end = _timestamp(value.end_time, "end_time")
    if end is not None:
        message.end_time.CopyFrom(end)
    return message


def _user_sessions_request(
    user_id: str, options: UserSessionsOptions | None
) -> pb.UserSessionDetailsRequest:
    options = options or UserSessionsOptions()
    request = pb.UserSessionDetailsRequest(user_id=_user(user_id))
    page_size = _page_size(options.page_size)
    if page_size:
        request.page_size = page_size
    if options.page_token:
        request.page_token = options.page_token
    if options.filter is not None:
        request.filter.CopyFrom(_filter(options.filter))
    return request


def _sessions(page: pb.UserSessionDetails) -> Sequence[pb.SessionDetails]:
    return page.sessions


# --- sync shell -----------------------------------------------------------------------------


class SessionsService:
    """Sessions, sync. Reach it as ``client.sessions``."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = SessionServiceStub(channel)

    def get_session(
        self, session_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.SessionDetails:
        """One session, with its device and expiry details.

        Raises:
            SessionIdRequiredError: ``session_id`` is empty.
            ApiError: the RPC failed (`NotFoundError` for an unknown session).
        """
        request = pb.SessionDetailsRequest(session_id=_session(session_id))
        return unary(self._stub.GetSession, request, timeout, metadata)

    def get_user_sessions(
        self,
        user_id: str,
        options: UserSessionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UserSessionDetails:
        """One page of a user's sessions, optionally filtered; see `iter_user_sessions`.

        Raises:
            UserIdRequiredError: ``user_id`` is empty.
            ApiError: the RPC failed.
        """
        request = _user_sessions_request(user_id, options)
        return unary(self._stub.GetUserSessions, request, timeout, metadata)

    def iter_user_sessions(
        self,
        user_id: str,
        options: UserSessionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[pb.SessionDetails, pb.UserSessionDetails]:
        """Every session of a user matching the filter, across pages (``timeout`` per page).

        Raises:
            UserIdRequiredError: ``user_id`` is empty (raised here).
        """
        request = _user_sessions_request(user_id, options)
        stub = self._stub
        return Pager(
            lambda r: unary(stub.GetUserSessions, r, timeout, metadata),
            request,
            _sessions,
            lambda: token_advance(request),
        )

    def revoke_session(
        self, session_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.RevokeSessionResponse:
        """End one session now.

        Raises:
            SessionIdRequiredError: ``session_id`` is empty.
            ApiError: the RPC failed.
        """
        request = pb.RevokeSessionRequest(session_id=_session(session_id))
        return unary(self._stub.RevokeSession, request, timeout, metadata)

    def revoke_all_user_sessions(
        self, user_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.RevokeAllUserSessionsResponse:
        """End every session of a user now.

        Raises:
            UserIdRequiredError: ``user_id`` is empty.
            ApiError: the RPC failed.
        """
        request = pb.RevokeAllUserSessionsRequest(user_id=_user(user_id))
        return unary(self._stub.RevokeAllUserSessions, request, timeout, metadata)


# --- asyncio shell --------------------------------------------------------------------------


class AsyncSessionsService:
    """Sessions, asyncio: `SessionsService` with coroutines and an async pager."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = SessionServiceStub(channel)

    async def get_session(
        self, session_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.SessionDetails:
        """See `SessionsService.get_session`."""
        request = pb.SessionDetailsRequest(session_id=_session(session_id))
        return await unary_async(self._stub.GetSession, request, timeout, metadata)

    async def get_user_sessions(
        self,
        user_id: str,
        options: UserSessionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> pb.UserSessionDetails:
        """See `SessionsService.get_user_sessions`."""
        request = _user_sessions_request(user_id, options)
        return await unary_async(self._stub.GetUserSessions, request, timeout, metadata)

    def iter_user_sessions(
        self,
        user_id: str,
        options: UserSessionsOptions | None = None,
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata | None = None,
    ) -> AsyncPager[pb.SessionDetails, pb.UserSessionDetails]:
        """See `SessionsService.iter_user_sessions`; iterate with ``async for``."""
        request = _user_sessions_request(user_id, options)
        stub = self._stub
        return AsyncPager(
            lambda r: unary_async(stub.GetUserSessions, r, timeout, metadata),
            request,
            _sessions,
            lambda: token_advance(request),
        )

    async def revoke_session(
        self, session_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.RevokeSessionResponse:
        """See `SessionsService.revoke_session`."""
        request = pb.RevokeSessionRequest(session_id=_session(session_id))
        return await unary_async(self._stub.RevokeSession, request, timeout, metadata)

    async def revoke_all_user_sessions(
        self, user_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata | None = None
    ) -> pb.RevokeAllUserSessionsResponse:
        """See `SessionsService.revoke_all_user_sessions`."""
        request = pb.RevokeAllUserSessionsRequest(user_id=_user(user_id))
        return await unary_async(self._stub.RevokeAllUserSessions, request, timeout, metadata)
