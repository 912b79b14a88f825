"""Option dataclasses of the service methods, and their private conversion to protos.

Every options class is frozen and keyword-only; a field left at its default is not sent. Python
types are used throughout: `datetime` (timezone-aware) for timestamps, a `str` enum class (or its
value as a plain string, matched case-insensitively) for proto enums, `int` for sizes and
``Mapping[str, str]`` for claims. Invalid values raise `ValueError` (or `TypeError` for a wrong
type) when the options object is built, with a message naming the field and what is allowed: a
wrong type, a size over the int32 range, text that is not valid Unicode (a lone surrogate) or a
datetime outside the range of a protobuf ``Timestamp``. So an options object that was built can
always be turned into a request.

The conversion helpers at the bottom (``_timestamp``, ``_enum_number``, ``_page_size``...) are the
one place where Python values become proto values; the service modules call them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from google.protobuf import timestamp_pb2

__all__ = [
    "ConnectionStatus",
    "ConnectionType",
    "CreateDirectoryOptions",
    "CreateDomainOptions",
    "CreateTokenOptions",
    "DirectoryProvider",
    "DirectoryType",
    "DomainType",
    "ListAppConnectionsOptions",
    "ListConnectionsOptions",
    "ListDirectoryGroupsOptions",
    "ListDirectoryUsersOptions",
    "ListDomainsOptions",
    "ListTokensOptions",
    "PageOptions",
    "SearchOrganizationConnectionsOptions",
    "UpdateTokenOptions",
    "UserSessionFilter",
    "UserSessionsOptions",
]


class _StrEnum(str, enum.Enum):
    """A `str` enum (``enum.StrEnum`` is Python 3.11+): members compare equal to their names."""

    def __str__(self) -> str:
        return str(self.value)


class DomainType(_StrEnum):
    """``scalekit.v1.domains.DomainType`` (UNSPECIFIED left out: leave the field unset instead)."""

    ALLOWED_EMAIL_DOMAIN = "ALLOWED_EMAIL_DOMAIN"
    ORGANIZATION_DOMAIN = "ORGANIZATION_DOMAIN"


class ConnectionStatus(_StrEnum):
    """``scalekit.v1.connections.ConnectionStatus``."""

    DRAFT = "DRAFT"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class ConnectionType(_StrEnum):
    """``scalekit.v1.connections.ConnectionType`` (INVALID left out)."""

    OIDC = "OIDC"
    SAML = "SAML"
    PASSWORD = "PASSWORD"
    OAUTH = "OAUTH"
    PASSWORDLESS = "PASSWORDLESS"
    BASIC = "BASIC"
    BEARER = "BEARER"
    API_KEY = "API_KEY"
    WEBAUTHN = "WEBAUTHN"
    OAUTH_M2M = "OAUTH_M2M"
    TRELLO_OAUTH1 = "TRELLO_OAUTH1"
    GOOGLE_DWD = "GOOGLE_DWD"
    TRUSTED_IDP = "TRUSTED_IDP"
    SMART_FHIR = "SMART_FHIR"
    NO_AUTH = "NO_AUTH"


class DirectoryType(_StrEnum):
    """``scalekit.v1.directories.DirectoryType`` (UNSPECIFIED left out)."""

    SCIM = "SCIM"
    LDAP = "LDAP"
    POLL = "POLL"


class DirectoryProvider(_StrEnum):
    """``scalekit.v1.directories.DirectoryProvider`` (UNSPECIFIED left out)."""

    OKTA = "OKTA"
    GOOGLE = "GOOGLE"
    MICROSOFT_AD = "MICROSOFT_AD"
    AUTH0 = "AUTH0"
    ONELOGIN = "ONELOGIN"
    JUMPCLOUD = "JUMPCLOUD"
    PING_IDENTITY = "PING_IDENTITY"


# --- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTokenOptions:
    """Options of `TokensService.create_token`."""

    user_id: str | None = None
    """Scope the token to this user of the organization; an organization-wide token if unset."""
    custom_claims: Mapping[str, str] | None = None
    """Claims returned with the token on validation."""
    expiry: datetime | None = None
    """When the token stops being valid (timezone-aware); it never expires if unset."""
    description: str | None = None
    """A human-readable note shown with the token."""

    def __post_init__(self) -> None:
        _optional_text(self.user_id, "user_id")
        _check_claims(self.custom_claims, "custom_claims")
        _timestamp(self.expiry, "expiry")
        _optional_text(self.description, "description")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTokensOptions:
    """Options of `TokensService.list_tokens` and `TokensService.iter_tokens`."""

    user_id: str | None = None
    """Only the tokens of this user; every token of the organization if unset or empty."""
    page_size: int | None = None
    """Tokens per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""

    def __post_init__(self) -> None:
        _optional_text(self.user_id, "user_id")
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateTokenOptions:
    """Options of `TokensService.update_token`."""

    custom_claims: Mapping[str, str] | None = None
    """The token's new claims, replacing all current ones (not merged). ``None`` leaves the
    claims unchanged. An empty mapping is indistinguishable from ``None`` on the wire (a proto
    map has no presence), so it also leaves them unchanged."""
    description: str | None = None
    """The new description: ``None`` leaves it unchanged, ``""`` clears it."""

    def __post_init__(self) -> None:
        _check_claims(self.custom_claims, "custom_claims")
        _optional_text(self.description, "description")


# --- domains --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDomainOptions:
    """Options of `DomainsService.create_domain`."""

    domain_type: DomainType | str | None = None
    """The kind of domain; the server stores ORGANIZATION_DOMAIN if unset."""
    connection_id: str | None = None
    """Attach the domain to this connection."""

    def __post_init__(self) -> None:
        _enum_member(self.domain_type, DomainType, "domain_type")
        _optional_text(self.connection_id, "connection_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDomainsOptions:
    """Options of `DomainsService.list_domains` and `DomainsService.iter_domains`.

    Note the Go SDK rule kept here: ``list_domains`` without options asks for 100 domains, while
    options with no ``page_size`` send none and let the server pick.
    """

    domain_type: DomainType | str | None = None
    """Only domains of this type; all types if unset."""
    page_size: int | None = None
    """Domains per page; sent only when > 0."""
    page_number: int | None = None
    """The 1-based page to fetch; sent only when > 0."""

    def __post_init__(self) -> None:
        _enum_member(self.domain_type, DomainType, "domain_type")
        _page_size(self.page_size)
        _non_negative(self.page_number, "page_number")


# --- connections ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListConnectionsOptions:
    """Options of `ConnectionsService.list_connections` and ``list_connections_by_domain``."""

    include: str | None = "all"
    """Which connections to return. ``"all"`` (the default, as in the Go SDK) includes disabled
    and incomplete ones; ``None`` sends nothing and the server default (active only) applies."""

    def __post_init__(self) -> None:
        _optional_text(self.include, "include")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageOptions:
    """Page-at-a-time options of a list that has no other filter."""

    page_size: int | None = None
    """Items per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""

    def __post_init__(self) -> None:
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchOrganizationConnectionsOptions:
    """Options of `ConnectionsService.search_organization_connections`."""

    query: str | None = None
    """Free-text search over the connections."""
    provider: str | None = None
    """Only connections of this provider, e.g. ``"OKTA"``."""
    status: ConnectionStatus | str | None = None
    """Only connections in this configuration status."""
    connection_type: ConnectionType | str | None = None
    """Only connections of this protocol."""
    enabled: bool | None = None
    """Only enabled (True) or disabled (False) connections; both if unset."""
    page_size: int | None = None
    """Connections per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""

    def __post_init__(self) -> None:
        _optional_text(self.query, "query")
        _optional_text(self.provider, "provider")
        _enum_member(self.status, ConnectionStatus, "status")
        _enum_member(self.connection_type, ConnectionType, "connection_type")
        _optional_bool(self.enabled, "enabled")
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListAppConnectionsOptions:
    """Options of `ConnectionsService.list_app_connections`."""

    provider: str | None = None
    """Only connections of this provider key."""
    query: str | None = None
    """Free-text search over the connections."""
    page_size: int | None = None
    """Connections per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""

    def __post_init__(self) -> None:
        _optional_text(self.provider, "provider")
        _optional_text(self.query, "query")
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")


# --- directories ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDirectoryOptions:
    """Options of `DirectoriesService.create_directory`."""

    directory_type: DirectoryType | str | None = None
    """How the directory syncs (SCIM, LDAP or POLL)."""
    directory_provider: DirectoryProvider | str | None = None
    """The identity provider that feeds the directory."""

    def __post_init__(self) -> None:
        _enum_member(self.directory_type, DirectoryType, "directory_type")
        _enum_member(self.directory_provider, DirectoryProvider, "directory_provider")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDirectoryUsersOptions:
    """Options of `DirectoriesService.list_directory_users` and ``iter_directory_users``."""

    page_size: int | None = None
    """Users per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""
    include_detail: bool | None = None
    """Fill ``user_detail`` with the raw attributes from the identity provider."""
    directory_group_id: str | None = None
    """Only the members of this directory group."""
    updated_after: datetime | None = None
    """Only users updated after this instant (timezone-aware)."""

    def __post_init__(self) -> None:
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")
        _optional_bool(self.include_detail, "include_detail")
        _optional_text(self.directory_group_id, "directory_group_id")
        _timestamp(self.updated_after, "updated_after")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDirectoryGroupsOptions:
    """Options of `DirectoriesService.list_directory_groups` and ``iter_directory_groups``."""

    page_size: int | None = None
    """Groups per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""
    include_detail: bool | None = None
    """Fill ``group_detail`` with the raw attributes from the identity provider."""
    updated_after: datetime | None = None
    """Only groups updated after this instant (timezone-aware)."""
    include_external_groups: bool | None = None
    """Also return the provider's groups that are not synced into the directory."""

    def __post_init__(self) -> None:
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")
        _optional_bool(self.include_detail, "include_detail")
        _timestamp(self.updated_after, "updated_after")
        _optional_bool(self.include_external_groups, "include_external_groups")


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSessionFilter:
    """Which sessions `SessionsService.get_user_sessions` returns."""

    status: Sequence[str] = ()
    """Only sessions in one of these statuses, e.g. ``("ACTIVE", "EXPIRED")``; any if empty.
    Stored as a tuple."""
    start_time: datetime | None = None
    """Only sessions created at or after this instant (timezone-aware)."""
    end_time: datetime | None = None
    """Only sessions created at or before this instant (timezone-aware)."""

    def __post_init__(self) -> None:
        status = self.status
        if isinstance(status, (str, bytes, bytearray)):
            raise TypeError("status must be a sequence of strings, not a single string")
        if not isinstance(status, (Sequence, set, frozenset)):
            raise TypeError(f"status must be a sequence of strings, not {type(status).__name__}")
        items = tuple(status)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"status items must be str, not {type(item).__name__}")
            _encodable(item, "status")
        # A tuple, so that the checked value cannot change after construction.
        object.__setattr__(self, "status", items)
        _timestamp(self.start_time, "start_time")
        _timestamp(self.end_time, "end_time")


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSessionsOptions:
    """Options of `SessionsService.get_user_sessions` and ``iter_user_sessions``."""

    page_size: int | None = None
    """Sessions per page (server default if unset or 0)."""
    page_token: str | None = None
    """Where to start: a ``next_page_token`` from an earlier page."""
    filter: UserSessionFilter | None = None
    """Narrow the sessions by status and time; sent only when given."""

    def __post_init__(self) -> None:
        _page_size(self.page_size)
        _optional_text(self.page_token, "page_token")
        if self.filter is not None and not isinstance(self.filter, UserSessionFilter):
            raise TypeError(
                f"filter must be a UserSessionFilter or None, not {type(self.filter).__name__}"
            )


# --- conversions (private; the service modules use these) ----------------------------------

_E = TypeVar("_E", bound=_StrEnum)
# page_size and page_number are uint32 or Int32Value on the wire; int32 fits both.
_MAX_INT32 = 2**31 - 1


_V_co = TypeVar("_V_co", bound=int, covariant=True)


class _ProtoEnum(Protocol[_V_co]):
    """What the service modules pass in: a generated enum wrapper (``domains_pb2.DomainType``)."""

    def Value(self, name: str) -> _V_co: ...


def _enum_member(value: _StrEnum | str | None, enum_cls: type[_E], field: str) -> _E | None:
    """``value`` as a member of ``enum_cls``; `None` stays `None`.

    Strings are matched case-insensitively against the member names; never silently UNSPECIFIED.

    Raises:
        ValueError: an unknown value, with the allowed ones in the message.
        TypeError: a value that is neither a string nor ``None``.
    """
    if value is None:
        return None
    if isinstance(value, enum_cls):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a {enum_cls.__name__} or str, not {type(value).__name__}")
    try:
        if not value.isascii():  # some non-ASCII letters upper-case to ASCII ones; never match
            raise KeyError(value)
        return enum_cls[value.upper()]
    except KeyError:
        allowed = ", ".join(member.value for member in enum_cls)
        raise ValueError(
            f"{field}: unknown {enum_cls.__name__} {value!r}; allowed: {allowed}"
        ) from None


def _enum_number(
    value: _StrEnum | str | None, enum_cls: type[_E], field: str, proto: _ProtoEnum[_V_co]
) -> _V_co | None:
    """``value`` as the number of the generated enum ``proto``; `None` stays `None`.

    Raises:
        ValueError: an unknown value, with the allowed ones in the message.
    """
    member = _enum_member(value, enum_cls, field)
    return None if member is None else proto.Value(member.value)


def _timestamp(value: datetime | None, field: str) -> timestamp_pb2.Timestamp | None:
    """A timezone-aware `datetime` as a `Timestamp`; `None` stays `None`.

    Raises:
        ValueError: a naive datetime (its instant would depend on the machine's time zone), or
            one whose UTC instant is outside years 1-9999.
        TypeError: not a datetime.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"{field} must be a timezone-aware datetime (for example "
            f"datetime.now(timezone.utc)); got the naive datetime {value.isoformat()}"
        )
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromDatetime(value)
    except (OverflowError, ValueError):
        # Near year 1 or 9999 the UTC instant falls outside what a datetime (and so a Timestamp)
        # can hold.
        raise ValueError(
            f"{field} is outside the range of a protobuf Timestamp (years 1-9999 UTC)"
        ) from None
    return stamp


def _non_negative(value: int | None, field: str) -> int:
    """``value`` as an int (0 for None, meaning "not sent").

    Raises:
        ValueError: a negative number, or one over the int32 range of the proto fields.
        TypeError: not an int.
    """
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{field} must be >= 0 (0 or None for the server default), got {value}")
    if value > _MAX_INT32:
        raise ValueError(f"{field} must be at most {_MAX_INT32}, got {value}")
    return value


def _optional_text(value: str | None, field: str) -> None:
    """Check that ``value`` is ``None`` or a str protobuf can encode.

    Raises:
        TypeError: not a str.
        ValueError: a lone surrogate (not encodable as UTF-8).
    """
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str or None, not {type(value).__name__}")
    _encodable(value, field)


def _encodable(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{field} must be valid Unicode text (it has a lone surrogate)") from None


def _optional_bool(value: bool | None, field: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{field} must be a bool or None, not {type(value).__name__}")


def _page_size(value: int | None) -> int:
    return _non_negative(value, "page_size")


def _check_claims(claims: Mapping[str, str] | None, field: str) -> None:
    if claims is None:
        return
    if not isinstance(claims, Mapping):
        raise TypeError(f"{field} must be a mapping of str to str, not {type(claims).__name__}")
    for key, value in claims.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{field} keys and values must be str; got {key!r}: {value!r}")
        _encodable(key, field)
        _encodable(value, field)
