"""Pipeline edges: caller metadata, extreme timeouts, closing mid-call, foreign RpcErrors, and
no re-authentication for ValidateToken (whose 401 is about the API token, not ours)."""

from __future__ import annotations

import threading
from typing import Any

import grpc
import pytest
from scalekit_grpc.v1.domains import domains_pb2

from scalekit_grpc import (
    ClientClosedError,
    ScalekitClient,
    TokenValidationFailedError,
    UnknownError,
)
from scalekit_grpc.testing import MockScalekitServer

pytestmark = pytest.mark.timeout(30)


def _get_domain(client: ScalekitClient, **kwargs: Any) -> Any:
    return client.stubs.domains.GetDomain(
        domains_pb2.GetDomainRequest(organization_id="org_1", id="dom_missing"), **kwargs
    )


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"x-trace": "1"}, TypeError),
        ([("X-Upper", "v")], ValueError),
        ([("x-line", "a\nb")], ValueError),
        ([("x-bin", "text")], TypeError),
        ([("x-text", b"bytes")], TypeError),
        ([("authorization", "Bearer other")], ValueError),
        ([("grpc-timeout", "1S")], ValueError),
        ([("x-one",)], TypeError),
    ],
)
def test_bad_caller_metadata_is_refused_before_any_io(
    scalekit_server: MockScalekitServer,
    scalekit_client: ScalekitClient,
    metadata: Any,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        _get_domain(scalekit_client, metadata=metadata)
    assert scalekit_server.http_counts["/oauth/token"] == 0
    assert scalekit_server.requests == []


def test_caller_metadata_from_a_generator_is_sent_on_the_resend_too(
    scalekit_server: MockScalekitServer, scalekit_client: ScalekitClient
) -> None:
    org = scalekit_server.seed().organization_id
    scalekit_client.domains.list_domains(org)  # a token is cached
    scalekit_server.expire_tokens()  # the next attempt gets UNAUTHENTICATED, then a resend
    scalekit_server.clear_requests()
    scalekit_client.domains.list_domains(org, metadata=(pair for pair in [("x-trace", "t1")]))
    seen = [dict(r.metadata).get("x-trace") for r in scalekit_server.requests]
    assert seen == ["t1", "t1"]


@pytest.mark.parametrize("timeout", [1e9, 1e300])
def test_absurd_timeouts_are_refused(scalekit_client: ScalekitClient, timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        _get_domain(scalekit_client, timeout=timeout)
    with pytest.raises(ValueError, match="timeout"):
        ScalekitClient("http://127.0.0.1:1", "id", "secret", timeout=timeout)


def test_closing_during_a_call_gives_client_closed_error(
    scalekit_server: MockScalekitServer,
) -> None:
    client = ScalekitClient(
        scalekit_server.env_url,
        scalekit_server.client_id,
        scalekit_server.client_secret,
        grpc_target=scalekit_server.grpc_target,
    )
    gate = threading.Event()
    scalekit_server.delay_token_endpoint(2.0)  # the call waits for its token...
    outcome: list[BaseException] = []

    def call() -> None:
        gate.set()
        try:
            _get_domain(client, timeout=5)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    gate.wait(5)
    client.close()  # ...while the client closes
    worker.join(10)
    scalekit_server.delay_token_endpoint(0)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ClientClosedError)


class _RaiseBareRpcError(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        raise grpc.RpcError()


def test_a_bare_rpc_error_from_an_interceptor_is_translated(
    scalekit_server: MockScalekitServer,
) -> None:
    with (
        ScalekitClient(
            scalekit_server.env_url,
            scalekit_server.client_id,
            scalekit_server.client_secret,
            grpc_target=scalekit_server.grpc_target,
            interceptors=[_RaiseBareRpcError()],
        ) as client,
        pytest.raises(UnknownError),
    ):
        _get_domain(client)


def test_validate_token_401_does_not_throw_away_the_access_token(
    scalekit_server: MockScalekitServer, scalekit_client: ScalekitClient
) -> None:
    org = scalekit_server.seed().organization_id
    scalekit_client.domains.list_domains(org)
    assert scalekit_server.http_counts["/oauth/token"] == 1
    scalekit_server.fail_next("ValidateToken", grpc.StatusCode.UNAUTHENTICATED, count=5)
    for _ in range(5):
        with pytest.raises(TokenValidationFailedError):
            scalekit_client.tokens.validate_token("skt_bogus")
    assert scalekit_server.http_counts["/oauth/token"] == 1
    assert len(scalekit_server.requests_for("ValidateToken")) == 5


def test_api_errors_survive_copy_and_pickle_unchanged() -> None:
    import copy
    import pickle

    from scalekit_grpc.v1.errdetails import errdetails_pb2

    from scalekit_grpc.errors import InvalidArgumentError

    info = errdetails_pb2.ErrorInfo(error_code="BAD")
    info.request_info.request_id = "req_1"
    info.validation_error_info.field_violations.add(field="name", description="required")
    original = InvalidArgumentError(
        "invalid", grpc_code=grpc.StatusCode.INVALID_ARGUMENT, error_info=info
    )
    for clone in (copy.copy(original), pickle.loads(pickle.dumps(original))):
        assert type(clone) is InvalidArgumentError
        assert str(clone) == str(original)
        assert (clone.error_code, clone.request_id) == ("BAD", "req_1")
        assert clone.field_violations == original.field_violations
