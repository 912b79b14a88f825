"""Webhook and interceptor verification: the official Standard Webhooks vector and its tampered
variants, the derived vectors and edge cases of security bar section 5, and item 24."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest

from scalekit_grpc._types import Secret
from scalekit_grpc.auth import (
    AuthConfig,
    AuthFlows,
    WebhookReplayCache,
    verify_interceptor_payload,
    verify_webhook_payload,
)
from scalekit_grpc.errors import (
    InvalidWebhookHeaderError,
    InvalidWebhookSecretError,
    InvalidWebhookSignatureError,
    MissingWebhookHeaderError,
    WebhookPayloadError,
    WebhookReplayError,
    WebhookSecretRequiredError,
    WebhookTimestampError,
    WebhookTimestampTooNewError,
    WebhookTimestampTooOldError,
    WebhookVerificationError,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))


def _headers(**overrides: str | None) -> dict[str, str]:
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": SIGNATURE}
    for name, value in overrides.items():
        key = name.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return headers


def _sign(body: bytes, msg_id: str = MSG_ID, ts: str = str(TS), key: bytes = KEY) -> str:
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def _verify(headers: Any, body: Any = BODY, secret: Any = SECRET, **kwargs: Any) -> bool:
    return verify_webhook_payload(secret, headers, body, now=lambda: float(TS), **kwargs)


# --- official and derived vectors (item 23) -----------------------------------------------------


def test_official_vector() -> None:
    assert _sign(BODY) == SIGNATURE
    assert _verify(_headers()) is True
    assert _verify(_headers(), BODY.decode()) is True
    assert _verify(_headers(), bytearray(BODY)) is True
    assert _verify(_headers(), secret=Secret(SECRET)) is True


def test_official_negative_last_char_changed() -> None:
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(webhook_signature="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="))


@pytest.mark.parametrize(
    "change",
    [
        {"webhook_id": MSG_ID + "x"},
        {"webhook_timestamp": str(TS + 1)},
    ],
)
def test_tampered_headers(change: dict[str, str]) -> None:
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(**change))


@pytest.mark.parametrize(
    "body", [b'{"test": 2432232315}', b'{"test":2432232314}', BODY + b" ", b"", BODY[:-1]]
)
def test_tampered_body(body: bytes) -> None:
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(), body)


def test_derived_vectors() -> None:
    assert _sign(b'{"test": 2432232315}') == "v1,TW/pFPJ2/LwRQdgfM7WklE9yJiRyMs0cTpVPK8leNAU="
    body = (
        b'{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z",'
        b'"data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}'
    )
    headers = {
        "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        "webhook-timestamp": "1674087231",
        "webhook-signature": "v1,ARw42xaAApl/nxRo+iPGYwSaMQaOwMo2eyH5JBRA+bQ=",
    }
    assert verify_webhook_payload(SECRET, headers, body, now=lambda: 1674087231.0)


def test_multi_signature_header() -> None:
    wrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    header = f"{wrong} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE} {wrong}"
    assert _verify(_headers(webhook_signature=header))
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(webhook_signature=f"{wrong} v2,{SIGNATURE[3:]}"))


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
    ],
)
def test_unpadded_and_unprefixed_secrets(secret: str) -> None:
    body = secret.removeprefix("whsec_")
    key = base64.b64decode(body + "=" * (-len(body) % 4))
    headers = _headers(webhook_signature=_sign(BODY, key=key))
    assert _verify(headers, secret=secret)


# --- timestamps (item 24) -----------------------------------------------------------------------


def test_tolerance_is_300_seconds_both_ways() -> None:
    for offset in (-300, 0, 300):
        assert verify_webhook_payload(SECRET, _headers(), BODY, now=lambda o=offset: TS + o)
    with pytest.raises(WebhookTimestampTooOldError):
        verify_webhook_payload(SECRET, _headers(), BODY, now=lambda: TS + 301.0)
    with pytest.raises(WebhookTimestampTooNewError):
        verify_webhook_payload(SECRET, _headers(), BODY, now=lambda: TS - 301.0)


def test_tolerance_is_configurable() -> None:
    late = TS + 600.0
    with pytest.raises(WebhookTimestampTooOldError):
        verify_webhook_payload(SECRET, _headers(), BODY, now=lambda: late)
    assert verify_webhook_payload(
        SECRET, _headers(), BODY, now=lambda: late, tolerance=timedelta(minutes=10)
    )
    with pytest.raises(ValueError):
        verify_webhook_payload(SECRET, _headers(), BODY, tolerance=timedelta(seconds=-1))


@pytest.mark.parametrize(
    "timestamp",
    [
        "1614265330.9",
        "+1614265330",
        "-1614265330",
        "nan",
        "1e300",
        "x",
        "١٦١٤٢٦٥٣٣٠",
        "0x60380a72",
        "1" * 13,
    ],
)
def test_malformed_timestamps(timestamp: str) -> None:
    headers = _headers(webhook_timestamp=timestamp, webhook_signature=_sign(BODY, ts=timestamp))
    with pytest.raises(WebhookTimestampError):
        _verify(headers)


# --- malformed input never escapes as a raw error (item 24) -------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        "garbage",
        "v1,a,b",
        f"v1,{SIGNATURE[3:]}x",
        "v1,!!!!",
        "v1,abc",
        "v1,",
        ",",
        "v1",
        "v2,abc v3",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
        "\x00",
    ],
)
def test_malformed_signature_lists(signature: str) -> None:
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(webhook_signature=signature))


def test_double_space_and_tabs_between_signatures() -> None:
    assert _verify(_headers(webhook_signature=f"v1,abc  {SIGNATURE}\t"))


def test_non_utf8_body_is_hashed_as_bytes() -> None:
    body = b"\xff\xfe\x00binary"
    assert _verify(_headers(webhook_signature=_sign(body)), body)
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(), body)


@pytest.mark.parametrize("payload", [None, 42, ["a"], {"test": 1}, "\ud800"])
def test_bad_payload_types(payload: Any) -> None:
    with pytest.raises(WebhookPayloadError):
        _verify(_headers(), payload)


def test_dot_in_webhook_id_is_refused() -> None:
    headers = _headers(webhook_id="msg.1", webhook_signature=_sign(BODY, msg_id="msg.1"))
    with pytest.raises(InvalidWebhookHeaderError):
        _verify(headers)


@pytest.mark.parametrize("missing", ["webhook_id", "webhook_timestamp", "webhook_signature"])
def test_missing_or_empty_headers(missing: str) -> None:
    with pytest.raises(MissingWebhookHeaderError):
        _verify(_headers(**{missing: None}))
    with pytest.raises(MissingWebhookHeaderError):
        _verify(_headers(**{missing: ""}))
    with pytest.raises(MissingWebhookHeaderError):
        _verify(_headers(**{missing: " \t "}))


def test_surrounding_whitespace_in_header_values_is_ignored() -> None:
    assert _verify(_headers(webhook_timestamp=f" {TS} ", webhook_id=f"{MSG_ID} "))


def test_header_names_are_case_insensitive() -> None:
    headers = {"Webhook-Id": MSG_ID, "WEBHOOK-TIMESTAMP": str(TS), "webhook-Signature": SIGNATURE}
    assert _verify(headers)


def test_conflicting_header_copies_are_refused() -> None:
    class MultiHeaders:
        def items(self) -> list[tuple[str, str]]:
            return [*_headers().items(), ("Webhook-Id", "msg_other")]

    with pytest.raises(InvalidWebhookHeaderError):
        _verify(MultiHeaders())
    with pytest.raises(InvalidWebhookHeaderError):
        _verify(object())
    with pytest.raises(InvalidWebhookHeaderError):
        _verify({"webhook-id": 5, "webhook-timestamp": str(TS), "webhook-signature": SIGNATURE})


def test_bytes_header_values_are_accepted() -> None:
    headers = {k.encode(): v.encode() for k, v in _headers().items()}
    assert _verify(headers)


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ("", WebhookSecretRequiredError),
        (None, WebhookSecretRequiredError),
        (Secret(""), WebhookSecretRequiredError),
        ("whsec_", InvalidWebhookSecretError),
        ("whsec_!!!!", InvalidWebhookSecretError),
        ("invalid_secret", InvalidWebhookSecretError),
        ("whsec_abcde", InvalidWebhookSecretError),
        ("whsec_YQ===", InvalidWebhookSecretError),
        ("whsec_" + "A" * 2000, InvalidWebhookSecretError),
        (b"whsec_MfKQ", InvalidWebhookSecretError),
    ],
)
def test_invalid_secrets(secret: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        _verify(_headers(), secret=secret)


def test_wrong_secret() -> None:
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(), secret="whsec_" + base64.b64encode(b"x" * 24).decode())


def test_short_secret_works_and_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    import scalekit_grpc.auth._webhooks as module

    module._warned_short_secret = False
    short = b"testsecret"
    secret = "whsec_" + base64.b64encode(short).decode()
    headers = _headers(webhook_signature=_sign(BODY, key=short))
    with caplog.at_level("WARNING", logger="scalekit_grpc.auth"):
        assert _verify(headers, secret=secret)
        assert _verify(headers, secret=secret)
    assert [r.getMessage() for r in caplog.records].count(
        "webhook secret is 10 bytes; Standard Webhooks asks for at least 24"
    ) == 1
    assert secret not in caplog.text


# --- interceptors -------------------------------------------------------------------------------


def test_interceptor_headers_and_fallback() -> None:
    interceptor = {
        "Interceptor-Id": MSG_ID,
        "interceptor-timestamp": str(TS),
        "interceptor-signature": SIGNATURE,
    }
    now = lambda: float(TS)  # noqa: E731
    assert verify_interceptor_payload(SECRET, interceptor, BODY, now=now)
    assert verify_interceptor_payload(SECRET, _headers(), BODY, now=now)
    mixed = {"interceptor-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": SIGNATURE}
    assert verify_interceptor_payload(SECRET, mixed, BODY, now=now)
    preferred = {**_headers(webhook_signature="v1,AAAA"), "interceptor-signature": SIGNATURE}
    assert verify_interceptor_payload(SECRET, preferred, BODY, now=now)
    with pytest.raises(MissingWebhookHeaderError):
        verify_interceptor_payload(SECRET, {"interceptor-id": MSG_ID}, BODY, now=now)
    # The webhook verifier does not read interceptor headers.
    with pytest.raises(MissingWebhookHeaderError):
        verify_webhook_payload(SECRET, interceptor, BODY, now=now)


# --- replay detection (opt-in) ------------------------------------------------------------------


def test_replayed_id_is_flagged_within_ten_minutes() -> None:
    clock = [float(TS)]
    cache = WebhookReplayCache(clock=lambda: clock[0])
    assert _verify(_headers(), replay_cache=cache)
    with pytest.raises(WebhookReplayError):
        _verify(_headers(), replay_cache=cache)
    clock[0] += 599
    with pytest.raises(WebhookReplayError):
        _verify(_headers(), replay_cache=cache)
    clock[0] += 600
    assert _verify(_headers(), replay_cache=cache)
    # A failed verification is not remembered.
    other = WebhookReplayCache(clock=lambda: clock[0])
    with pytest.raises(InvalidWebhookSignatureError):
        _verify(_headers(), b"tampered", replay_cache=other)
    assert len(other) == 0


def test_replay_cache_is_bounded() -> None:
    cache = WebhookReplayCache(max_entries=3, clock=lambda: 0.0)
    for n in range(5):
        cache.remember(f"msg_{n}")
    assert len(cache) == 3
    cache.remember("msg_0")  # forgotten when the cache overflowed
    with pytest.raises(WebhookReplayError):
        cache.remember("msg_4")


# --- through the flows (configured clock) -------------------------------------------------------


def test_flows_use_the_configured_clock() -> None:
    flows = AuthFlows(AuthConfig("https://acme.scalekit.dev", "skc_1", clock=lambda: float(TS)))
    assert flows.verify_webhook_payload(SECRET, _headers(), BODY)
    assert flows.verify_interceptor_payload(SECRET, _headers(), BODY)
    late = AuthFlows(AuthConfig("https://acme.scalekit.dev", "skc_1", clock=lambda: TS + 301.0))
    with pytest.raises(WebhookTimestampTooOldError):
        late.verify_webhook_payload(SECRET, _headers(), BODY)
    with pytest.raises(WebhookVerificationError):
        late.verify_interceptor_payload(SECRET, {}, BODY)
