"""The in-memory state of the mock server, and the error and pagination rules shared by its RPCs.

Every read and write goes through `MockState.lock` (one lock for the whole state: simple, and
plenty fast for a test server). Records hold generated messages; callers get copies, never the
stored objects, so a response being serialised outside the lock cannot see a concurrent write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.message import Message

from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.tokens import tokens_pb2 as tk

M = TypeVar("M", bound=Message)
T = TypeVar("T")

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100

SESSION_ACTIVE = "ACTIVE"
SESSION_EXPIRED = "EXPIRED"
SESSION_REVOKED = "REVOKED"
SESSION_LOGGED_OUT = "LOGGED_OUT"


class ApiError(Exception):
    """An RPC failure the servicers raise; the call gate turns it into a status with ErrorInfo."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        error_code: str | None = None,
        violations: Sequence[tuple[str, str]] = (),
        resource: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.error_code = error_code or code.name
        self.violations = tuple(violations)
        self.resource = resource

    @classmethod
    def not_found(cls, kind: str, ident: str) -> ApiError:
        return cls(
            grpc.StatusCode.NOT_FOUND,
            f"{kind} {ident!r} not found",
            error_code="NOT_FOUND",
            resource=(kind, ident),
        )

    @classmethod
    def invalid(cls, field_name: str, description: str) -> ApiError:
        return cls(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid request: {field_name}: {description}",
            error_code="INVALID_ARGUMENT",
            violations=[(field_name, description)],
        )


def require(*fields: tuple[str, str]) -> None:
    """Raise INVALID_ARGUMENT listing every ``(field path, value)`` pair whose value is empty."""
    missing = [(name, "is required") for name, value in fields if not value]
    if missing:
        names = ", ".join(name for name, _ in missing)
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid request: missing required field(s): {names}",
            error_code="INVALID_ARGUMENT",
            violations=missing,
        )


def now_ts() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(time.time_ns())
    return ts


def ts_from_seconds(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1_000_000_000))
    return ts


def copy_msg(message: M) -> M:
    out = type(message)()
    out.CopyFrom(message)
    return out


# --- pagination -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    prev_page_token: str
    total: int


_TOKEN_VERSION = 1


def _scope_hash(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:12]


def _encode_token(offset: int, scope: str) -> str:
    raw = json.dumps(
        {"v": _TOKEN_VERSION, "o": offset, "s": _scope_hash(scope)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str, scope: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
        ok = data["v"] == _TOKEN_VERSION and isinstance(offset, int) and offset >= 0
    except (ValueError, KeyError, TypeError, binascii.Error):
        ok = False
    if not ok:
        raise ApiError.invalid("page_token", "is not a page token issued by this server")
    if data["s"] != _scope_hash(scope):
        raise ApiError.invalid(
            "page_token", "was issued for a different request (method or filters changed)"
        )
    return int(offset)


def effective_page_size(page_size: int) -> int:
    """Unset (0) means the default of 10; above 100 is capped at 100; negative is invalid."""
    if page_size < 0:
        raise ApiError.invalid("page_size", "must not be negative")
    if page_size == 0:
        return DEFAULT_PAGE_SIZE
    return min(page_size, MAX_PAGE_SIZE)


def paginate(items: Sequence[T], page_size: int, page_token: str, *, scope: str) -> Page[T]:
    """One page of ``items`` (already filtered, in creation order).

    Page tokens are opaque offsets bound to ``scope`` (the method plus its filters), so a token
    replayed against another list or other filters is rejected with INVALID_ARGUMENT.
    """
    size = effective_page_size(page_size)
    offset = _decode_token(page_token, scope) if page_token else 0
    total = len(items)
    page = list(items[offset : offset + size])
    next_token = _encode_token(offset + size, scope) if offset + size < total else ""
    prev_token = _encode_token(max(offset - size, 0), scope) if offset > 0 else ""
    return Page(items=page, next_page_token=next_token, prev_page_token=prev_token, total=total)


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MockUser:
    """A user who can sign in through the mock's authorization-code flow."""

    user_id: str
    email: str
    organization_id: str
    connection_id: str
    given_name: str = "Test"
    family_name: str = "User"
    email_verified: bool = True

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(slots=True)
class DomainRecord:
    msg: dm.Domain


@dataclass(slots=True)
class ConnectionRecord:
    msg: cx.Connection
    context: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    flags: cx.Flags | None = None
    domain_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DirectoryUserRecord:
    msg: dr.DirectoryUser
    group_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DirectoryGroupRecord:
    msg: dr.DirectoryGroup
    external: bool = False


@dataclass(slots=True)
class DirectoryRecord:
    msg: dr.Directory
    context: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    users: dict[str, DirectoryUserRecord] = field(default_factory=dict)
    groups: dict[str, DirectoryGroupRecord] = field(default_factory=dict)
    tracked_group_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ApiTokenRecord:
    info: tk.Token
    token: str
    invalidated: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionTestResult:
    status: cx.TestResultStatus.ValueType
    user_info: str | None = None
    error: str | None = None
    error_description: str | None = None
    error_details: str | None = None


class MockState:
    """All resources of one mock environment. Hold `lock` while touching anything."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.environment_id = ""
        self.env_url = ""
        self._id_base = 0
        self._ids: itertools.count[int] = itertools.count(1)
        self.domains: dict[str, DomainRecord] = {}
        self.connections: dict[str, ConnectionRecord] = {}
        self.directories: dict[str, DirectoryRecord] = {}
        self.sessions: dict[str, ss.SessionDetails] = {}
        self.api_tokens: dict[str, ApiTokenRecord] = {}
        self.api_tokens_by_value: dict[str, str] = {}
        self.org_external_ids: dict[str, str] = {}
        self.users: dict[str, MockUser] = {}
        self.default_user_id = ""
        self.test_results: dict[tuple[str, str], ConnectionTestResult] = {}
        self.seed_count = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.environment_id = self._bare_new_id("env")
            self._id_base = secrets.randbelow(10**16) + 10**16
            self._ids = itertools.count(1)
            self.domains.clear()
            self.connections.clear()
            self.directories.clear()
            self.sessions.clear()
            self.api_tokens.clear()
            self.api_tokens_by_value.clear()
            self.org_external_ids.clear()
            self.users.clear()
            self.test_results.clear()
            self.seed_count = 0
            user = self.register_user(email="user@example.com", organization_id=self.new_id("org"))
            self.default_user_id = user.user_id

    @staticmethod
    def _bare_new_id(prefix: str) -> str:
        return f"{prefix}_{secrets.randbelow(10**17) + 10**17}"

    def new_id(self, prefix: str) -> str:
        """A Scalekit-like id (``<prefix>_<digits>``), increasing in creation order."""
        with self.lock:
            return f"{prefix}_{self._id_base + next(self._ids)}"

    # --- organizations (implicit) ---

    def org_for_external_id(self, external_id: str) -> str:
        """The organization id an external id maps to: deterministic, so any process agrees."""
        digest = hashlib.sha256(external_id.encode()).hexdigest()
        org_id = f"org_{int(digest[:14], 16)}"
        with self.lock:
            self.org_external_ids.setdefault(org_id, external_id)
        return org_id

    def resolve_org(self, organization_id: str, external_id: str) -> str:
        if organization_id:
            return organization_id
        if external_id:
            return self.org_for_external_id(external_id)
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid request: organization_id or external_id is required",
            error_code="INVALID_ARGUMENT",
            violations=[("organization_id", "organization_id or external_id is required")],
        )

    # --- users ---

    def register_user(
        self,
        *,
        email: str,
        organization_id: str | None = None,
        user_id: str | None = None,
        given_name: str = "Test",
        family_name: str = "User",
        email_verified: bool = True,
        connection_id: str | None = None,
        make_default: bool = False,
    ) -> MockUser:
        with self.lock:
            user = MockUser(
                user_id=user_id or self.new_id("usr"),
                email=email,
                organization_id=organization_id or self.new_id("org"),
                connection_id=connection_id or self.new_id("conn"),
                given_name=given_name,
                family_name=family_name,
                email_verified=email_verified,
            )
            self.users[user.user_id] = user
            if make_default:
                self.default_user_id = user.user_id
            return user

    def user_by_email(self, email: str) -> MockUser | None:
        with self.lock:
            for user in self.users.values():
                if user.email.lower() == email.lower():
                    return user
            return None

    # --- sessions ---

    def add_session(
        self,
        user_id: str,
        organization_id: str,
        *,
        status: str = SESSION_ACTIVE,
        client_id: str = "",
        idle_timeout: float = 30 * 60.0,
        absolute_timeout: float = 24 * 3600.0,
        created_at: float | None = None,
        user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        ip: str = "203.0.113.7",
    ) -> str:
        require(("user_id", user_id), ("organization_id", organization_id))
        now = time.time()
        start = now if created_at is None else created_at
        with self.lock:
            session_id = self.new_id("ses")
            msg = ss.SessionDetails(
                session_id=session_id,
                user_id=user_id,
                organization_id=organization_id,
                authenticated_organizations=[organization_id],
                created_at=ts_from_seconds(start),
                updated_at=ts_from_seconds(start),
                # Added sessions were active just now: the idle clock starts now.
                last_active_at=ts_from_seconds(max(start, now)),
                idle_expires_at=ts_from_seconds(max(start, now) + idle_timeout),
                absolute_expires_at=ts_from_seconds(start + absolute_timeout),
                status=status,
                device=ss.DeviceDetails(
                    user_agent=user_agent,
                    os="Linux",
                    os_version="6.1",
                    browser="Firefox",
                    browser_version="128.0",
                    device_type="desktop",
                    ip=ip,
                    location=ss.Location(region="IN", region_subdivision="KA", city="Bengaluru"),
                ),
            )
            if client_id:
                msg.authenticated_clients.add(client_id=client_id, organization_id=organization_id)
            if status == SESSION_EXPIRED:
                msg.expired_at.CopyFrom(now_ts())
            elif status in (SESSION_REVOKED, SESSION_LOGGED_OUT):
                msg.logout_at.CopyFrom(now_ts())
            self.sessions[session_id] = msg
            return session_id

    def session_view(self, msg: ss.SessionDetails) -> ss.SessionDetails:
        """A copy with the status as of now (an ACTIVE session past its expiry reads EXPIRED)."""
        out = copy_msg(msg)
        if out.status == SESSION_ACTIVE:
            now = time.time_ns()
            limits = [
                t.ToNanoseconds()
                for t in (out.idle_expires_at, out.absolute_expires_at)
                if t.seconds or t.nanos
            ]
            if limits and min(limits) <= now:
                out.status = SESSION_EXPIRED
                out.expired_at.FromNanoseconds(min(limits))
        return out

    def is_session_active(self, session_id: str) -> bool:
        with self.lock:
            msg = self.sessions.get(session_id)
            return msg is not None and self.session_view(msg).status == SESSION_ACTIVE

    # --- directories ---

    def directory(self, organization_id: str, directory_id: str) -> DirectoryRecord:
        with self.lock:
            rec = self.directories.get(directory_id)
            if rec is None or rec.msg.organization_id != organization_id:
                raise ApiError.not_found("directory", directory_id)
            return rec

    def add_directory_group(
        self,
        organization_id: str,
        directory_id: str,
        display_name: str,
        *,
        detail: Mapping[str, Any] | None = None,
        external: bool = False,
    ) -> str:
        with self.lock:
            rec = self.directory(organization_id, directory_id)
            group_id = self.new_id("dirgroup")
            now = now_ts()
            group = dr.DirectoryGroup(id=group_id, display_name=display_name, updated_at=now)
            group.group_detail.update(detail or {"id": group_id, "displayName": display_name})
            rec.groups[group_id] = DirectoryGroupRecord(msg=group, external=external)
            rec.msg.stats.group_updated_at.CopyFrom(now)
            return group_id

    def add_directory_user(
        self,
        organization_id: str,
        directory_id: str,
        email: str,
        *,
        given_name: str = "",
        family_name: str = "",
        preferred_username: str = "",
        group_ids: Iterable[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        with self.lock:
            rec = self.directory(organization_id, directory_id)
            groups = list(group_ids)
            for gid in groups:
                if gid not in rec.groups:
                    raise ApiError.not_found("directory group", gid)
            user_id = self.new_id("diruser")
            now = now_ts()
            user = dr.DirectoryUser(
                id=user_id,
                email=email,
                emails=[email],
                preferred_username=preferred_username or email.split("@")[0],
                given_name=given_name,
                family_name=family_name,
                updated_at=now,
            )
            user.user_detail.update(
                detail
                or {
                    "id": user_id,
                    "userName": email,
                    "name": {"givenName": given_name, "familyName": family_name},
                    "active": True,
                }
            )
            rec.users[user_id] = DirectoryUserRecord(msg=user, group_ids=groups)
            rec.msg.stats.user_updated_at.CopyFrom(now)
            return user_id

    def directory_view(self, rec: DirectoryRecord) -> dr.Directory:
        out = copy_msg(rec.msg)
        users, groups = len(rec.users), sum(1 for g in rec.groups.values() if not g.external)
        out.total_users = users
        out.total_groups = groups
        out.stats.total_users = users
        out.stats.total_groups = groups
        return out

    def group_view(
        self, rec: DirectoryRecord, group: DirectoryGroupRecord, *, detail: bool
    ) -> dr.DirectoryGroup:
        out = copy_msg(group.msg)
        out.total_users = sum(1 for u in rec.users.values() if group.msg.id in u.group_ids)
        if not detail:
            out.ClearField("group_detail")
        return out

    def user_view(
        self, rec: DirectoryRecord, user: DirectoryUserRecord, *, detail: bool
    ) -> dr.DirectoryUser:
        out = copy_msg(user.msg)
        for gid in user.group_ids:
            group = rec.groups.get(gid)
            if group is not None:
                out.groups.append(self.group_view(rec, group, detail=False))
        if not detail:
            out.ClearField("user_detail")
        return out
