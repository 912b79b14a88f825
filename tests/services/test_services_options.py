"""Option dataclasses and their conversion to protos (pure; no server)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from hypothesis import given
from hypothesis import strategies as st
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.domains import domains_pb2 as dm

from scalekit_grpc import options
from scalekit_grpc.options import (
    ConnectionStatus,
    ConnectionType,
    CreateDirectoryOptions,
    CreateDomainOptions,
    CreateTokenOptions,
    DirectoryProvider,
    DirectoryType,
    DomainType,
    ListDirectoryGroupsOptions,
    ListDirectoryUsersOptions,
    ListDomainsOptions,
    ListTokensOptions,
    PageOptions,
    SearchOrganizationConnectionsOptions,
    UpdateTokenOptions,
    UserSessionFilter,
    UserSessionsOptions,
    _enum_number,
    _timestamp,
)

NAIVE = datetime(2030, 1, 1, 12, 0)

OPTION_CLASSES = [
    cls
    for _, cls in inspect.getmembers(options, inspect.isclass)
    if dataclasses.is_dataclass(cls) and cls.__module__ == options.__name__
]

ENUMS: list[tuple[type[options._StrEnum], EnumTypeWrapper]] = [
    (DomainType, dm.DomainType),
    (ConnectionStatus, cx.ConnectionStatus),
    (ConnectionType, cx.ConnectionType),
    (DirectoryType, dr.DirectoryType),
    (DirectoryProvider, dr.DirectoryProvider),
]


def test_every_options_class_is_frozen_slotted_keyword_only_and_documented() -> None:
    assert len(OPTION_CLASSES) == 14
    tree = ast.parse(inspect.getsource(options))
    documented: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = set()
            for current, following in zip(node.body, node.body[1:], strict=False):
                if (
                    isinstance(current, ast.AnnAssign)
                    and isinstance(current.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                ):
                    names.add(current.target.id)
            documented[node.name] = names
    for cls in OPTION_CLASSES:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, cls
        assert "__slots__" in cls.__dict__, cls
        assert cls.__doc__, cls
        field_names = {f.name for f in dataclasses.fields(cls)}
        assert all(f.kw_only for f in dataclasses.fields(cls)), cls
        assert field_names == documented[cls.__name__], f"undocumented field in {cls.__name__}"
        with pytest.raises(TypeError):
            cls("positional")


def test_options_are_immutable() -> None:
    opts = ListTokensOptions(page_size=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.page_size = 6  # type: ignore[misc]


@pytest.mark.parametrize(("py_enum", "proto"), ENUMS, ids=[e.__name__ for e, _ in ENUMS])
def test_enums_mirror_the_proto_without_the_zero_value(
    py_enum: type[options._StrEnum], proto: EnumTypeWrapper
) -> None:
    proto_names = {name for name, number in proto.items() if number != 0}
    assert {member.name for member in py_enum} == proto_names
    for member in py_enum:
        assert member.value == member.name == str(member)
        assert member == member.name  # a str enum
        assert _enum_number(member, py_enum, "f", proto) == proto.Value(member.name)
        assert _enum_number(member.name.lower(), py_enum, "f", proto) == proto.Value(member.name)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda v: CreateTokenOptions(expiry=v), "expiry"),
        (lambda v: ListDirectoryUsersOptions(updated_after=v), "updated_after"),
        (lambda v: ListDirectoryGroupsOptions(updated_after=v), "updated_after"),
        (lambda v: UserSessionFilter(start_time=v), "start_time"),
        (lambda v: UserSessionFilter(end_time=v), "end_time"),
    ],
)
def test_naive_datetimes_are_rejected(build: object, field: str) -> None:
    with pytest.raises(ValueError, match=rf"{field} must be a timezone-aware datetime") as caught:
        build(NAIVE)  # type: ignore[operator]
    assert "2030-01-01T12:00:00" in str(caught.value)


def test_non_datetime_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expiry must be a datetime"):
        CreateTokenOptions(expiry="2030-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "enum_cls"),
    [
        (lambda v: CreateDomainOptions(domain_type=v), DomainType),
        (lambda v: ListDomainsOptions(domain_type=v), DomainType),
        (lambda v: SearchOrganizationConnectionsOptions(status=v), ConnectionStatus),
        (lambda v: SearchOrganizationConnectionsOptions(connection_type=v), ConnectionType),
        (lambda v: CreateDirectoryOptions(directory_type=v), DirectoryType),
        (lambda v: CreateDirectoryOptions(directory_provider=v), DirectoryProvider),
    ],
)
@pytest.mark.parametrize("bad", ["bogus", "UNSPECIFIED", "DOMAIN_TYPE_UNSPECIFIED", "INVALID", ""])
def test_unknown_enum_values_name_the_allowed_ones(
    build: object, enum_cls: type[options._StrEnum], bad: str
) -> None:
    with pytest.raises(ValueError, match="unknown") as caught:
        build(bad)  # type: ignore[operator]
    message = str(caught.value)
    assert repr(bad) in message
    for member in enum_cls:
        assert member.value in message


def test_enum_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="domain_type must be a DomainType or str"):
        CreateDomainOptions(domain_type=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: ListTokensOptions(page_size=-1),
        lambda: PageOptions(page_size=-5),
        lambda: ListDomainsOptions(page_number=-1),
        lambda: UserSessionsOptions(page_size=-1),
    ],
)
def test_negative_sizes_are_rejected(build: object) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        build()  # type: ignore[operator]


def test_sizes_must_be_ints() -> None:
    with pytest.raises(TypeError, match="page_size must be an int"):
        ListTokensOptions(page_size=True)
    with pytest.raises(TypeError, match="page_size must be an int"):
        ListTokensOptions(page_size=2.5)  # type: ignore[arg-type]


def test_claims_must_be_strings() -> None:
    with pytest.raises(TypeError, match="custom_claims"):
        CreateTokenOptions(custom_claims={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="custom_claims"):
        UpdateTokenOptions(custom_claims=[("a", "b")])  # type: ignore[arg-type]


def test_session_status_must_be_a_sequence() -> None:
    with pytest.raises(TypeError, match="sequence of strings"):
        UserSessionFilter(status="ACTIVE")


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9000, 1, 1)),
    st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
        lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1)))
    ),
)
def test_aware_datetimes_keep_their_instant(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    stamp = _timestamp(aware, "t")
    assert stamp is not None
    assert stamp.ToDatetime(tzinfo=timezone.utc) == aware


@given(st.text(max_size=30))
def test_arbitrary_strings_never_become_unspecified(text: str) -> None:
    names = {member.name for member in DomainType}
    if text.isascii() and text.upper() in names:
        assert _enum_number(text, DomainType, "f", dm.DomainType) != 0
    else:
        with pytest.raises(ValueError, match="allowed: ALLOWED_EMAIL_DOMAIN, ORGANIZATION_DOMAIN"):
            _enum_number(text, DomainType, "f", dm.DomainType)
