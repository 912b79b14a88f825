"""Empty required arguments raise the matching precondition error before any I/O.

The cases are derived from the method signatures of every public method of the ten service
classes, so a new method with an id argument is covered without editing this file.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from _services_harness import Recorder, Services, TokenEndpoint, resolve
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.directories import directories_pb2 as dr

from scalekit_grpc import errors
from scalekit_grpc.services import (
    AsyncConnectionsService,
    AsyncDirectoriesService,
    AsyncDomainsService,
    AsyncSessionsService,
    AsyncTokensService,
    ConnectionsService,
    DirectoriesService,
    DomainsService,
    SessionsService,
    TokensService,
)

# Each required string argument and the error its emptiness raises.
REQUIRED = {
    "organization_id": errors.OrganizationIdRequiredError,
    "connection_id": errors.ConnectionIdRequiredError,
    "directory_id": errors.DirectoryIdRequiredError,
    "domain_id": errors.DomainIdRequiredError,
    "domain": errors.DomainRequiredError,
    "token": errors.TokenRequiredError,
    "token_id": errors.TokenIdRequiredError,
    "session_id": errors.SessionIdRequiredError,
    "user_id": errors.UserIdRequiredError,
    "origin": errors.OriginRequiredError,
    "test_request_id": errors.ConnectionTestRequestIdRequiredError,
}

PAIRS = [
    ("tokens", TokensService, AsyncTokensService),
    ("domains", DomainsService, AsyncDomainsService),
    ("connections", ConnectionsService, AsyncConnectionsService),
    ("directories", DirectoriesService, AsyncDirectoriesService),
    ("sessions", SessionsService, AsyncSessionsService),
]


def _value(method: str, param: str) -> Any:
    if param in REQUIRED:
        return "x_1"
    if param == "connection":
        return cx.CreateConnection() if method.startswith("create") else cx.UpdateConnection()
    if param == "directory":
        return dr.UpdateDirectory()
    if param in ("domain_ids", "external_ids", "role_assignments", "attribute_mapping"):
        return []
    if param == "context":
        return {}
    raise AssertionError(f"no test value for {method}({param})")


def _public_methods(cls: type) -> Iterator[tuple[str, inspect.Signature]]:
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if not name.startswith("_"):
            yield name, inspect.signature(member)


def _cases() -> list[tuple[str, str, str, tuple[Any, ...], type[Exception]]]:
    cases = []
    for attr, cls, _ in PAIRS:
        for name, signature in _public_methods(cls):
            positional = [
                p.name
                for p in signature.parameters.values()
                if p.name != "self"
                and p.kind is p.POSITIONAL_OR_KEYWORD
                and p.default is inspect.Parameter.empty
            ]
            for blank in (p for p in positional if p in REQUIRED):
                args = tuple("" if p == blank else _value(name, p) for p in positional)
                cases.append((attr, name, blank, args, REQUIRED[blank]))
    return cases


CASES = _cases()


def test_sync_and_async_classes_have_the_same_methods() -> None:
    for _, sync_cls, async_cls in PAIRS:
        sync_methods = dict(_public_methods(sync_cls))
        async_methods = dict(_public_methods(async_cls))
        assert sync_methods.keys() == async_methods.keys()
        for name, signature in sync_methods.items():
            assert signature.parameters.keys() == async_methods[name].parameters.keys(), name
            is_coroutine = inspect.iscoroutinefunction(getattr(async_cls, name))
            assert is_coroutine == (not name.startswith("iter_")), name


def test_cases_cover_every_required_argument() -> None:
    # Every (method, required string argument) pair of the five services, pagers included.
    assert len(CASES) == 90
    assert {case[2] for case in CASES} == set(REQUIRED)


@pytest.mark.parametrize(
    ("attr", "method", "blank", "args", "error"),
    CASES,
    ids=[f"{c[0]}.{c[1]}-{c[2]}" for c in CASES],
)
async def test_empty_argument_raises_before_any_io(
    svc: Services,
    recorder: Recorder,
    services_token_endpoint: TokenEndpoint,
    attr: str,
    method: str,
    blank: str,
    args: tuple[Any, ...],
    error: type[Exception],
) -> None:
    token_requests = services_token_endpoint.requests
    with pytest.raises(error, match=blank) as caught:
        await resolve(getattr(getattr(svc, attr), method)(*args))
    assert isinstance(caught.value, errors.PreconditionError)
    assert isinstance(caught.value, ValueError)
    assert recorder.calls == []
    assert services_token_endpoint.requests == token_requests


def test_empty_token_is_also_a_validation_failure() -> None:
    assert issubclass(errors.TokenRequiredError, errors.TokenValidationFailedError)
