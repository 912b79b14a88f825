"""The exception tree of scalekit-grpc.

Two axes, one base (`ScalekitError`):

* API errors (`ApiError` and one subclass per gRPC status code, found through `_BY_CODE`), built
  from a failed RPC with the Scalekit `ErrorInfo` decoded from ``grpc-status-details-bin``.
* Client-side errors raised before or beside any RPC: precondition errors for empty required
  arguments (also `ValueError`s), token-endpoint failures (`AuthenticationError`), JWT and JWKS
  failures (`TokenValidationError`, `JWKSUnavailableError`), webhook verification failures
  (`WebhookVerificationError`) and API-token validation failures (`TokenValidationFailedError`).

Users never need to import ``grpc`` to handle any of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from scalekit_grpc.v1.errdetails import errdetails_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_ERROR_INFO_TYPE = errdetails_pb2.ErrorInfo.DESCRIPTOR.full_name
# Server messages are echoed into str(exc); a hostile or broken server must not make them huge.
_MAX_MESSAGE_CHARS = 8 * 1024


def _truncate(text: str, limit: int = _MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


class ScalekitError(Exception):
    """Base class of every exception raised by scalekit-grpc."""


# --- Client-side preconditions (raised before any I/O) -------------------------------------


class PreconditionError(ScalekitError, ValueError):
    """A required argument is missing or empty; raised before any network I/O."""


class TokenValidationFailedError(ScalekitError):
    """An API token (or access token) was rejected as invalid, unknown or revoked."""


class TokenValidationError(ScalekitError):
    """A JWT failed validation. Subclasses name the check that failed."""


class TokenRequiredError(PreconditionError, TokenValidationFailedError, TokenValidationError):
    """The token argument is empty."""


class OrganizationIdRequiredError(PreconditionError):
    """The organization id argument is empty."""


class ClientIdRequiredError(PreconditionError):
    """The client id is empty."""


class ClientSecretRequiredError(PreconditionError):
    """The client was built without a client secret, which management RPCs need."""


class CodeRequiredError(PreconditionError):
    """The authorization code argument is empty."""


class RedirectUriRequiredError(PreconditionError):
    """The redirect URI argument is empty."""


class RefreshTokenRequiredError(PreconditionError):
    """The refresh token argument is empty."""


class EnvironmentUrlRequiredError(PreconditionError):
    """The environment URL is empty or not an http(s) URL."""


class DomainRequiredError(PreconditionError):
    """The domain name argument is empty."""


class DomainIdRequiredError(PreconditionError):
    """The domain id argument is empty."""


class ConnectionIdRequiredError(PreconditionError):
    """The connection id argument is empty."""


class DirectoryIdRequiredError(PreconditionError):
    """The directory id argument is empty."""


class SessionIdRequiredError(PreconditionError):
    """The session id argument is empty."""


class UserIdRequiredError(PreconditionError):
    """The user id argument is empty."""


class TokenIdRequiredError(PreconditionError):
    """The API token id argument is empty."""


class OriginRequiredError(PreconditionError):
    """The origin argument is empty."""


class ConnectionTestRequestIdRequiredError(PreconditionError):
    """The connection test request id argument is empty."""


class WebhookSecretRequiredError(PreconditionError):
    """The webhook secret argument is empty."""


class ClientClosedError(ScalekitError, RuntimeError):
    """The client was closed; calls made after ``close()`` fail before any I/O."""


# --- Token endpoint (OAuth over HTTP) -------------------------------------------------------


class AuthenticationError(ScalekitError):
    """The token endpoint refused a request or could not be reached.

    Attributes:
        status_code: The HTTP status, or ``None`` when no response arrived.
        body: The response body, truncated to 8 KiB, or ``""``.
    """

    def __init__(self, message: str, *, status_code: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = _truncate(body)


class AuthenticationResponseMissingAccessTokenError(AuthenticationError):
    """The token endpoint answered 2xx without an ``access_token``."""


class AuthenticationResponseMissingIdTokenError(AuthenticationError):
    """The token endpoint answered a code exchange without an ``id_token``."""


# --- JWT and JWKS ---------------------------------------------------------------------------


class MalformedTokenError(TokenValidationError):
    """The token is not a well-formed compact JWS (segments, encoding, JSON, size)."""


class UnsupportedTokenHeaderError(MalformedTokenError):
    """The header carries a parameter this validator refuses (crit, jku, jwk, x5u, x5c, cty)."""


class InvalidAlgorithmError(TokenValidationError):
    """The ``alg`` header names an algorithm that is not allowed."""


class KeyNotFoundError(TokenValidationError):
    """No key in the JWKS matches the token's ``kid`` (or the token has none)."""


class InvalidSignatureError(TokenValidationError):
    """The signature does not verify with the key named by ``kid``."""


class InvalidClaimError(TokenValidationError):
    """A claim has the wrong type (for example a non-numeric ``exp``)."""


class MissingExpClaimError(InvalidClaimError):
    """The token has no ``exp`` claim."""


class TokenExpiredError(TokenValidationError):
    """The token's ``exp`` is in the past (after leeway)."""


class ImmatureTokenError(TokenValidationError):
    """The token's ``nbf`` or ``iat`` is in the future (after leeway)."""


class InvalidIssuerError(TokenValidationError):
    """The ``iss`` claim does not equal the expected issuer."""


class InvalidAudienceError(TokenValidationError):
    """The ``aud`` claim contains none of the expected audiences."""


class MissingScopeError(TokenValidationError):
    """A required scope is absent from the token's ``scope``/``scopes`` claim."""


class InvalidTokenTypeError(TokenValidationError):
    """The token is of another kind than expected (for example an ID token used as access token)."""


class JWKSUnavailableError(ScalekitError):
    """No usable key set: the JWKS endpoint failed and the last good set is too old (or absent).

    Deliberately not a `TokenValidationError`: the token may be fine, the keys are missing.
    """


# --- Webhooks -------------------------------------------------------------------------------


class WebhookVerificationError(ScalekitError):
    """A webhook or interceptor payload failed verification."""


class MissingWebhookHeaderError(WebhookVerificationError):
    """A required ``webhook-id``/``-timestamp``/``-signature`` header is absent or empty."""


class InvalidWebhookSecretError(WebhookVerificationError):
    """The secret is not ``whsec_`` followed by valid base64."""


class WebhookTimestampError(WebhookVerificationError):
    """The timestamp header is not an integer within the tolerance."""


class WebhookTimestampTooOldError(WebhookTimestampError):
    """The timestamp is further in the past than the tolerance allows."""


class WebhookTimestampTooNewError(WebhookTimestampError):
    """The timestamp is further in the future than the tolerance allows."""


class InvalidWebhookHeaderError(WebhookVerificationError):
    """A webhook header is malformed: a ``.`` in the id, too long, or conflicting copies."""


class InvalidWebhookSignatureError(WebhookVerificationError):
    """No ``v1`` signature in the header matches the payload."""


class WebhookPayloadError(WebhookVerificationError):
    """The payload is neither bytes nor a str that can be encoded as UTF-8."""


class WebhookReplayError(WebhookVerificationError):
    """The message id was already accepted within the replay window (opt-in replay detection)."""


# --- API errors (failed RPCs) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One invalid request field reported by the server."""

    field: str
    description: str
    constraint: str = ""


@dataclass(frozen=True, slots=True)
class HelpLink:
    """A documentation link the server attached to an error."""

    description: str
    url: str


class ApiError(ScalekitError):
    """A failed RPC, translated.

    Attributes:
        grpc_code: The gRPC status code (`grpc.StatusCode`).
        code_name: The status code's name, e.g. ``"NOT_FOUND"``.
        http_status: The canonical HTTP equivalent (google.rpc code mapping; 499 for CANCELLED).
        message: The server's status message (truncated to 8 KiB).
        error_code: ``ErrorInfo.error_code``, or ``""``.
        request_id: ``ErrorInfo.request_info.request_id``, or ``""``.
        field_violations: ``ErrorInfo.validation_error_info.field_violations``.
        help_links: ``ErrorInfo.help_info.links``.
        debug_info: ``ErrorInfo.debug_info.detail``, or ``""``.
        error_info: The decoded ``scalekit.v1.errdetails.ErrorInfo``, or ``None``.
        status: The decoded ``google.rpc.Status`` from the trailers, or ``None``.
    """

    grpc_code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str = "",
        *,
        grpc_code: grpc.StatusCode | None = None,
        error_info: errdetails_pb2.ErrorInfo | None = None,
        status: status_pb2.Status | None = None,
    ) -> None:
        if grpc_code is not None:
            self.grpc_code = grpc_code
        self.message = _truncate(message)
        self.error_info = error_info
        self.status = status
        info = error_info if error_info is not None else errdetails_pb2.ErrorInfo()
        self.error_code = info.error_code
        self.request_id = info.request_info.request_id
        self.debug_info = info.debug_info.detail
        self.field_violations = tuple(
            FieldViolation(v.field, v.description, v.constraint)
            for v in info.validation_error_info.field_violations
        )
        self.help_links = tuple(
            HelpLink(link.description, link.url) for link in info.help_info.links
        )
        super().__init__(self._describe())

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the parts, not from args (which hold the formatted text), so that copies
        # and pickles keep the same message; the token source hands waiters copies.
        return (
            _rebuild_api_error,
            (type(self), self.message, self.grpc_code, self.error_info, self.status),
            self.__dict__,
        )

    @property
    def code_name(self) -> str:
        return str(self.grpc_code.name)

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self.grpc_code]

    def _describe(self) -> str:
        text = f"{self.code_name}: {self.message}" if self.message else self.code_name
        extras = [f"error_code={self.error_code}"] if self.error_code else []
        if self.request_id:
            extras.append(f"request_id={self.request_id}")
        extras += [f"{v.field}: {v.description}" for v in self.field_violations]
        return f"{text} ({'; '.join(extras)})" if extras else text


class RequestCancelledError(ApiError):
    """CANCELLED (HTTP 499): the call was cancelled, usually by the caller."""

    grpc_code = grpc.StatusCode.CANCELLED


class UnknownError(ApiError):
    """UNKNOWN (HTTP 500)."""

    grpc_code = grpc.StatusCode.UNKNOWN


class InvalidArgumentError(ApiError):
    """INVALID_ARGUMENT (HTTP 400): see `field_violations`."""

    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(ApiError):
    """DEADLINE_EXCEEDED (HTTP 504): the call's deadline passed."""

    grpc_code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(ApiError):
    """NOT_FOUND (HTTP 404)."""

    grpc_code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(ApiError):
    """ALREADY_EXISTS (HTTP 409)."""

    grpc_code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(ApiError):
    """PERMISSION_DENIED (HTTP 403)."""

    grpc_code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(ApiError):
    """RESOURCE_EXHAUSTED (HTTP 429): rate limited or out of quota."""

    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(ApiError):
    """FAILED_PRECONDITION (HTTP 400): the resource is not in the state the call needs."""

    grpc_code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(ApiError):
    """ABORTED (HTTP 409): a concurrency conflict."""

    grpc_code = grpc.StatusCode.ABORTED


class OutOfRangeError(ApiError):
    """OUT_OF_RANGE (HTTP 400)."""

    grpc_code = grpc.StatusCode.OUT_OF_RANGE


class UnimplementedError(ApiError):
    """UNIMPLEMENTED (HTTP 501)."""

    grpc_code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(ApiError):
    """INTERNAL (HTTP 500)."""

    grpc_code = grpc.StatusCode.INTERNAL


class UnavailableError(ApiError):
    """UNAVAILABLE (HTTP 503): the service could not be reached; safe calls may be retried."""

    grpc_code = grpc.StatusCode.UNAVAILABLE


class DataLossError(ApiError):
    """DATA_LOSS (HTTP 500)."""

    grpc_code = grpc.StatusCode.DATA_LOSS


class UnauthenticatedError(ApiError):
    """UNAUTHENTICATED (HTTP 401): the access token was refused, even after one refresh."""

    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class DirectoryNotFoundError(NotFoundError):
    """The organization has no directory (raised by get_primary_directory_by_organization_id)."""


# HTTP-named aliases, for code that thinks in REST terms.
BadRequestError = InvalidArgumentError
ForbiddenError = PermissionDeniedError
ConflictError = AlreadyExistsError
TooManyRequestsError = ResourceExhaustedError
ServiceUnavailableError = UnavailableError
GatewayTimeoutError = DeadlineExceededError
ClientClosedRequestError = RequestCancelledError

# google/rpc/code.proto's HTTP mapping.
_HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

_BY_CODE: dict[grpc.StatusCode, type[ApiError]] = {
    cls.grpc_code: cls
    for cls in (
        RequestCancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def _rebuild_api_error(
    cls: type[ApiError],
    message: str,
    code: grpc.StatusCode,
    error_info: errdetails_pb2.ErrorInfo | None,
    status: status_pb2.Status | None,
) -> ApiError:
    return cls(message, grpc_code=code, error_info=error_info, status=status)


def error_class_for(code: grpc.StatusCode) -> type[ApiError]:
    """The `ApiError` subclass for a status code (`ApiError` itself for OK)."""
    return _BY_CODE.get(code, ApiError)


def _decode_status(trailers: Iterable[tuple[str, Any]] | None) -> status_pb2.Status | None:
    for key, value in trailers or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except (DecodeError, RuntimeError, ValueError):
                return None
    return None


def _find_error_info(status: status_pb2.Status | None) -> errdetails_pb2.ErrorInfo | None:
    if status is None:
        return None
    for detail in status.details:
        if detail.TypeName() != _ERROR_INFO_TYPE:
            continue
        info = errdetails_pb2.ErrorInfo()
        try:
            if detail.Unpack(info):
                return info
        except (DecodeError, RuntimeError, ValueError):
            continue  # a corrupt copy must not hide a good one further on
    return None


def translate_rpc_error(exc: grpc.RpcError) -> ApiError:
    """Build the typed `ApiError` for a failed RPC (sync or asyncio); never raises itself."""
    code = _call_or_default(exc, "code", grpc.StatusCode.UNKNOWN)
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    message = _call_or_default(exc, "details", "") or ""
    status = _decode_status(_call_or_default(exc, "trailing_metadata", None))
    error = error_class_for(code)(
        str(message), grpc_code=code, error_info=_find_error_info(status), status=status
    )
    error.__cause__ = exc
    return error


def _call_or_default(obj: object, name: str, default: Any) -> Any:
    method = getattr(obj, name, None)
    if method is None:
        return default
    try:
        return method()
    except Exception:  # a half-built RpcError must not hide the real failure
        return default
