"""Error details over the wire: whatever a server puts in ``grpc-status-details-bin`` (corrupt
bytes, a Status of another code, details of other types, non-ASCII text, huge messages), the
caller gets the typed `ApiError` for the status code the RPC ended with, with its message, and
the `ErrorInfo` when one can be decoded; never a decoding error.

A small local servicer answers ``DomainService/GetDomain`` with a scripted status and trailers;
the client gets its access token from the mock's token endpoint. The mock's own
``fail_next(error_info=...)`` path is checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from hardening_kit import Outcome, run_with_client, timed
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.errdetails import errdetails_pb2

from scalekit_grpc import errors
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(60)
DETAILS = "grpc-status-details-bin"
Code = grpc.StatusCode
CODES = [Code.INVALID_ARGUMENT, Code.UNAVAILABLE]  # an application code and a library one
NON_ASCII = "Domäne ungültig — 名前 ✓ 🚫"


class ScriptedDomains:
    """``GetDomain`` ends with the scripted (code, message, trailers), every time."""

    def __init__(self) -> None:
        self.script: tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]] = (
            Code.UNKNOWN,
            "",
            (),
        )
        self.calls = 0

    def get_domain(self, request: dm.GetDomainRequest, context: grpc.ServicerContext) -> Any:
        self.calls += 1
        code, message, trailers = self.script
        if trailers:
            context.set_trailing_metadata(trailers)
        context.abort(code, message)


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedDomains, str]]:
    servicer = ScriptedDomains()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.unary_unary_rpc_method_handler(
        servicer.get_domain,
        request_deserializer=dm.GetDomainRequest.FromString,
        response_serializer=dm.GetDomainResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                dm.DESCRIPTOR.services_by_name["DomainService"].full_name, {"GetDomain": handler}
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()


def _packed(*messages: Any) -> list[any_pb2.Any]:
    out = []
    for message in messages:
        detail = any_pb2.Any()
        detail.Pack(message)
        out.append(detail)
    return out


def _status(code: grpc.StatusCode, message: str, details: list[any_pb2.Any]) -> bytes:
    return status_pb2.Status(
        code=code.value[0], message=message, details=details
    ).SerializeToString()


def _info(
    error_code: str = "DOMAIN_INVALID", request_id: str = "req_1"
) -> errdetails_pb2.ErrorInfo:
    info = errdetails_pb2.ErrorInfo(error_code=error_code)
    info.request_info.request_id = request_id
    return info


def _call(flavor: str, server: MockScalekitServer, target: str) -> Outcome:
    async def scenario(client: Any) -> Outcome:
        return await timed(lambda: client.domains.get_domain("org_1", "dom_1"))

    return run_with_client(flavor, server, scenario, grpc_target=target)


def _expect(outcome: Outcome, code: grpc.StatusCode, message: str) -> errors.ApiError:
    error = outcome.error
    assert isinstance(error, errors.ApiError), outcome
    assert type(error) is errors.error_class_for(code)
    assert error.grpc_code is code
    assert error.message == message
    assert isinstance(error.__cause__, grpc.RpcError)
    return error


GOOD = _status(Code.INVALID_ARGUMENT, "m", _packed(_info()))
CORRUPT: dict[str, bytes] = {
    "random-bytes": bytes(range(256)) * 4,
    "truncated-status": GOOD[: len(GOOD) // 2],
    "empty": b"",
    "not-a-status": duration_pb2.Duration(seconds=5).SerializeToString() + b"\xff\xff",
    "error-info-with-garbage-value": status_pb2.Status(
        code=3,
        details=[
            any_pb2.Any(
                type_url="type.googleapis.com/scalekit.v1.errdetails.ErrorInfo",
                value=b"\xff\xff\xff\xff",
            )
        ],
    ).SerializeToString(),
}


@pytest.mark.parametrize("code", CODES, ids=lambda c: c.name)
@pytest.mark.parametrize("blob", list(CORRUPT), ids=str)
def test_corrupt_status_details(
    flavor: str,
    server: MockScalekitServer,
    scripted: tuple[ScriptedDomains, str],
    code: grpc.StatusCode,
    blob: str,
) -> None:
    servicer, target = scripted
    servicer.script = (code, "the real error", ((DETAILS, CORRUPT[blob]),))
    error = _expect(_call(flavor, server, target), code, "the real error")
    assert error.error_info is None
    assert (error.error_code, error.request_id, error.field_violations) == ("", "", ())
    assert servicer.calls == 1


def test_a_status_of_another_code_in_the_trailers(
    flavor: str, server: MockScalekitServer, scripted: tuple[ScriptedDomains, str]
) -> None:
    """The RPC's own status wins over a disagreeing Status in the trailers (whose ErrorInfo is
    still reported, as received); grpcio-status would raise ValueError here."""
    servicer, target = scripted
    blob = _status(Code.OK, "all good?", _packed(_info("MISMATCH")))
    servicer.script = (Code.NOT_FOUND, "missing", ((DETAILS, blob),))
    error = _expect(_call(flavor, server, target), Code.NOT_FOUND, "missing")
    assert error.error_code == "MISMATCH"


def test_details_of_other_types_are_skipped(
    flavor: str, server: MockScalekitServer, scripted: tuple[ScriptedDomains, str]
) -> None:
    servicer, target = scripted
    foreign = _packed(
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=3)),
        error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field="f")]
        ),
        error_details_pb2.DebugInfo(detail="stack"),
        error_details_pb2.LocalizedMessage(locale="de", message=NON_ASCII),
        duration_pb2.Duration(seconds=1),
    )
    foreign.append(any_pb2.Any(type_url="type.googleapis.com/acme.Unknown", value=b"\x01\x02"))
    foreign.append(any_pb2.Any(type_url="", value=b""))
    # Foreign details only: no ErrorInfo.
    servicer.script = (
        Code.UNAVAILABLE,
        "busy",
        ((DETAILS, _status(Code.UNAVAILABLE, "busy", foreign)),),
    )
    error = _expect(_call(flavor, server, target), Code.UNAVAILABLE, "busy")
    assert error.error_info is None
    assert error.status is not None
    assert len(error.status.details) == len(foreign)
    # Foreign details first, then an ErrorInfo: it is found behind them.
    blob = _status(Code.UNAVAILABLE, "busy", [*foreign, *_packed(_info("BEHIND"))])
    servicer.script = (Code.UNAVAILABLE, "busy", ((DETAILS, blob),))
    assert _expect(_call(flavor, server, target), Code.UNAVAILABLE, "busy").error_code == "BEHIND"


def _non_ascii_info() -> errdetails_pb2.ErrorInfo:
    info = _info("ÜNGÜLTIG_名前", "req_ü_1")
    info.debug_info.detail = "stack: 🚫 at prüfe()"
    info.help_info.links.add(description="Hilfe — Domänen", url="https://docs.example/ü")
    info.validation_error_info.field_violations.add(
        field="domäne", description=NON_ASCII, constraint="hostname"
    )
    return info


def test_non_ascii_error_info_and_message(
    flavor: str, server: MockScalekitServer, scripted: tuple[ScriptedDomains, str]
) -> None:
    servicer, target = scripted
    blob = _status(Code.INVALID_ARGUMENT, NON_ASCII, _packed(_non_ascii_info()))
    servicer.script = (Code.INVALID_ARGUMENT, NON_ASCII, ((DETAILS, blob),))
    error = _expect(_call(flavor, server, target), Code.INVALID_ARGUMENT, NON_ASCII)
    assert error.error_info == _non_ascii_info()
    assert error.error_code == "ÜNGÜLTIG_名前"
    assert error.request_id == "req_ü_1"
    assert error.debug_info == "stack: 🚫 at prüfe()"
    assert error.field_violations == (errors.FieldViolation("domäne", NON_ASCII, "hostname"),)
    assert error.help_links == (errors.HelpLink("Hilfe — Domänen", "https://docs.example/ü"),)
    assert NON_ASCII in str(error)


def test_non_ascii_error_info_from_the_mock(
    flavor: str, server: MockScalekitServer, seed: SeedData
) -> None:
    server.fail_next(
        "GetDomain", Code.PERMISSION_DENIED, error_info=_non_ascii_info(), message=NON_ASCII
    )

    async def scenario(client: Any) -> Outcome:
        return await timed(lambda: client.domains.get_domain(seed.organization_id, seed.domain_id))

    error = _expect(run_with_client(flavor, server, scenario), Code.PERMISSION_DENIED, NON_ASCII)
    assert error.error_code == "ÜNGÜLTIG_名前"
    assert error.field_violations[0].description == NON_ASCII


OVERSIZED = {
    "100-KiB-ascii": "x" * (100 * 1024),
    "50k-non-ascii": "é" * 50_000,  # 100 KB of UTF-8, 300 KB percent-encoded on the wire
}


@pytest.mark.parametrize("size", list(OVERSIZED), ids=str)
def test_oversized_messages_keep_their_status(
    flavor: str, server: MockScalekitServer, scripted: tuple[ScriptedDomains, str], size: str
) -> None:
    servicer, target = scripted
    message = OVERSIZED[size]
    info = _info("TOO_LONG")
    info.debug_info.detail = "d" * (200 * 1024)  # a 200 KiB ErrorInfo as well
    servicer.script = (
        Code.FAILED_PRECONDITION,
        message,
        ((DETAILS, _status(Code.FAILED_PRECONDITION, message, _packed(info))),),
    )
    outcome = _call(flavor, server, target)
    error = outcome.error
    assert type(error) is errors.FailedPreconditionError, outcome
    # The exception keeps at most 8 KiB of the message; the ErrorInfo arrives whole.
    assert error.message == message[: 8 * 1024] + "...[truncated]"
    assert len(str(error)) < 9 * 1024
    assert error.error_code == "TOO_LONG"
    assert len(error.debug_info) == 200 * 1024


def test_trailers_over_the_1_mib_limit_are_a_client_side_resource_exhausted(
    flavor: str, server: MockScalekitServer, scripted: tuple[ScriptedDomains, str]
) -> None:
    """The documented limit: past 1 MiB of trailers gRPC itself ends the call with
    RESOURCE_EXHAUSTED; the caller still gets a typed error, never a decoding failure."""
    servicer, target = scripted
    servicer.script = (Code.INVALID_ARGUMENT, "x" * (2 * 1024 * 1024), ())
    error = _call(flavor, server, target).error
    assert type(error) is errors.ResourceExhaustedError
    assert "metadata size" in error.message
