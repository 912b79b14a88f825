"""Error translation: every status code to its class and HTTP status, ErrorInfo decoded from the
trailers, and no decoding problem ever replacing the real error."""

from __future__ import annotations

import grpc
import pytest
from _runtime_harness import DomainServicer, Driver, fail
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from scalekit_grpc.v1.errdetails import errdetails_pb2

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(20)
Code = grpc.StatusCode
ERROR_INFO_URL = "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo"

# google/rpc/code.proto's HTTP mapping, written out independently of the implementation.
EXPECTED: dict[grpc.StatusCode, tuple[type[errors.ApiError], int]] = {
    Code.OK: (errors.ApiError, 200),
    Code.CANCELLED: (errors.RequestCancelledError, 499),
    Code.UNKNOWN: (errors.UnknownError, 500),
    Code.INVALID_ARGUMENT: (errors.InvalidArgumentError, 400),
    Code.DEADLINE_EXCEEDED: (errors.DeadlineExceededError, 504),
    Code.NOT_FOUND: (errors.NotFoundError, 404),
    Code.ALREADY_EXISTS: (errors.AlreadyExistsError, 409),
    Code.PERMISSION_DENIED: (errors.PermissionDeniedError, 403),
    Code.UNAUTHENTICATED: (errors.UnauthenticatedError, 401),
    Code.RESOURCE_EXHAUSTED: (errors.ResourceExhaustedError, 429),
    Code.FAILED_PRECONDITION: (errors.FailedPreconditionError, 400),
    Code.ABORTED: (errors.AbortedError, 409),
    Code.OUT_OF_RANGE: (errors.OutOfRangeError, 400),
    Code.UNIMPLEMENTED: (errors.UnimplementedError, 501),
    Code.INTERNAL: (errors.InternalError, 500),
    Code.UNAVAILABLE: (errors.UnavailableError, 503),
    Code.DATA_LOSS: (errors.DataLossError, 500),
}
ERROR_CODES = [code for code in Code if code is not Code.OK]


def test_the_table_covers_all_17_codes() -> None:
    assert set(EXPECTED) == set(Code)
    assert len(EXPECTED) == 17


@pytest.mark.parametrize("code", list(Code), ids=lambda code: code.name)
def test_error_class_and_http_status_for_each_code(code: grpc.StatusCode) -> None:
    cls, http_status = EXPECTED[code]
    assert errors.error_class_for(code) is cls
    error = cls("m", grpc_code=code)
    assert error.grpc_code is code
    assert error.http_status == http_status
    assert error.code_name == code.name


def test_http_named_aliases() -> None:
    assert errors.BadRequestError is errors.InvalidArgumentError
    assert errors.ForbiddenError is errors.PermissionDeniedError
    assert errors.TooManyRequestsError is errors.ResourceExhaustedError
    assert errors.ServiceUnavailableError is errors.UnavailableError


@pytest.mark.parametrize("code", ERROR_CODES, ids=lambda code: code.name)
def test_each_status_code_over_the_wire(
    driver: Driver, servicer: DomainServicer, code: grpc.StatusCode
) -> None:
    cls, http_status = EXPECTED[code]
    servicer.default = fail(code, f"failed with {code.name}")
    with pytest.raises(errors.ApiError) as info:
        driver.call(driver.client())
    error = info.value
    assert type(error) is cls
    assert isinstance(error, errors.ScalekitError)
    assert not isinstance(error, grpc.RpcError)
    assert error.grpc_code is code
    assert error.http_status == http_status
    assert error.message == f"failed with {code.name}"
    assert isinstance(error.__cause__, grpc.RpcError)
    assert error.__cause__.code() is code
    assert error.error_info is None
    assert error.status is None
    assert (error.error_code, error.request_id, error.field_violations) == ("", "", ())


def _full_error_info() -> errdetails_pb2.ErrorInfo:
    info = errdetails_pb2.ErrorInfo(error_code="DOMAIN_INVALID")
    info.request_info.request_id = "req_0123"
    info.debug_info.detail = "validator: domain.name"
    info.debug_info.stack_entries.append("at validate()")
    info.help_info.links.add(description="Domains", url="https://docs.scalekit.com/domains")
    info.validation_error_info.field_violations.add(
        field="domain", description="must be a hostname", constraint="hostname"
    )
    info.validation_error_info.field_violations.add(field="organization_id", description="empty")
    return info


def test_error_info_is_decoded(driver: Driver, servicer: DomainServicer) -> None:
    message = "Domäne ungültig: 名前 ✓"
    servicer.default = fail(Code.INVALID_ARGUMENT, message, error_info=_full_error_info())
    with pytest.raises(errors.InvalidArgumentError) as info:
        driver.call(driver.client())
    error = info.value
    assert error.message == message
    assert error.error_code == "DOMAIN_INVALID"
    assert error.request_id == "req_0123"
    assert error.debug_info == "validator: domain.name"
    assert error.field_violations == (
        errors.FieldViolation("domain", "must be a hostname", "hostname"),
        errors.FieldViolation("organization_id", "empty", ""),
    )
    assert error.help_links == (errors.HelpLink("Domains", "https://docs.scalekit.com/domains"),)
    assert error.error_info == _full_error_info()
    assert error.status is not None
    assert error.status.code == Code.INVALID_ARGUMENT.value[0]
    text = str(error)
    assert message in text
    assert "error_code=DOMAIN_INVALID" in text
    assert "req_0123" in text


def _any(message: object, type_url: str | None = None) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    if type_url is not None:
        packed.type_url = type_url
    return packed


def test_other_detail_types_are_ignored(driver: Driver, servicer: DomainServicer) -> None:
    bad_request = error_details_pb2.BadRequest()
    bad_request.field_violations.add(field="x", description="y")
    others = [
        _any(bad_request),
        _any(duration_pb2.Duration(seconds=5)),
        # Same message name in another package is another type.
        any_pb2.Any(type_url="type.googleapis.com/other.v1.ErrorInfo", value=b"\x0a\x01X"),
    ]
    servicer.default = fail(
        Code.NOT_FOUND,
        "gone",
        other_details=others,
        error_info=errdetails_pb2.ErrorInfo(error_code="NOT_FOUND_DOMAIN"),
    )
    with pytest.raises(errors.NotFoundError) as info:
        driver.call(driver.client())
    assert info.value.error_code == "NOT_FOUND_DOMAIN"
    assert info.value.field_violations == ()


def test_only_foreign_details_give_no_error_info(driver: Driver, servicer: DomainServicer) -> None:
    servicer.default = fail(
        Code.PERMISSION_DENIED, "no", other_details=[_any(duration_pb2.Duration(seconds=5))]
    )
    with pytest.raises(errors.PermissionDeniedError) as info:
        driver.call(driver.client())
    assert info.value.error_info is None
    assert info.value.status is not None  # the Status itself was fine


def _status_bytes(*details: any_pb2.Any, code: grpc.StatusCode = Code.INTERNAL) -> bytes:
    status = status_pb2.Status(code=code.value[0], message="m")
    status.details.extend(details)
    return status.SerializeToString()


CORRUPT = {
    "not-a-status": b"\xff\xfe garbage \x00\x01",
    "truncated-status": _status_bytes(_any(_full_error_info()))[:-7],
    "corrupt-error-info": _status_bytes(
        any_pb2.Any(type_url=ERROR_INFO_URL, value=b"\xff\xff\xff")
    ),
    "bad-utf8-in-error-info": _status_bytes(
        any_pb2.Any(type_url=ERROR_INFO_URL, value=b"\x0a\x02\xff\xfe")
    ),
    "empty": b"",
}


@pytest.mark.parametrize("blob", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_details_still_give_the_typed_error(
    driver: Driver, servicer: DomainServicer, blob: bytes
) -> None:
    servicer.default = fail(Code.FAILED_PRECONDITION, "still typed", details_bin=blob)
    with pytest.raises(errors.FailedPreconditionError) as info:
        driver.call(driver.client())
    assert info.value.message == "still typed"
    assert info.value.error_info is None
    assert info.value.error_code == ""
    assert isinstance(info.value.__cause__, grpc.RpcError)


def test_a_corrupt_error_info_does_not_hide_a_good_one(
    driver: Driver, servicer: DomainServicer
) -> None:
    blob = _status_bytes(
        any_pb2.Any(type_url=ERROR_INFO_URL, value=b"\xff\xff\xff"),
        _any(errdetails_pb2.ErrorInfo(error_code="SECOND")),
    )
    servicer.default = fail(Code.ABORTED, "conflict", details_bin=blob)
    with pytest.raises(errors.AbortedError) as info:
        driver.call(driver.client())
    assert info.value.error_code == "SECOND"


# --- translate_rpc_error on its own: hostile inputs never escape as another exception -------


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: object, details: object, trailers: object) -> None:
        self._code, self._details, self._trailers = code, details, trailers

    def code(self) -> object:
        if isinstance(self._code, Exception):
            raise self._code
        return self._code

    def details(self) -> object:
        return self._details

    def trailing_metadata(self) -> object:
        return self._trailers


def test_half_built_rpc_errors_are_translated() -> None:
    error = errors.translate_rpc_error(FakeRpcError(RuntimeError("no code"), None, None))
    assert type(error) is errors.UnknownError
    error = errors.translate_rpc_error(FakeRpcError("NOT_FOUND", 42, [("x", "y")]))
    assert type(error) is errors.UnknownError
    assert error.message == "42"
    error = errors.translate_rpc_error(
        FakeRpcError(Code.NOT_FOUND, "x", [("grpc-status-details-bin", "text, not bytes")])
    )
    assert type(error) is errors.NotFoundError


def test_long_messages_are_truncated() -> None:
    error = errors.translate_rpc_error(FakeRpcError(Code.INTERNAL, "x" * 100_000, ()))
    assert len(error.message) < 9000
    assert len(str(error)) < 9000


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(list(Code)),
    details=st.text(max_size=200),
    blob=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda url, value: _status_bytes(any_pb2.Any(type_url=url, value=value)),
            st.sampled_from([ERROR_INFO_URL, "type.googleapis.com/google.rpc.BadRequest", "x/y"]),
            st.binary(max_size=200),
        ),
    ),
)
def test_translation_never_raises(code: grpc.StatusCode, details: str, blob: bytes) -> None:
    error = errors.translate_rpc_error(
        FakeRpcError(code, details, [("grpc-status-details-bin", blob)])
    )
    assert type(error) is EXPECTED[code][0]
    assert error.http_status == EXPECTED[code][1]
    assert isinstance(error.error_code, str)
    str(error)
