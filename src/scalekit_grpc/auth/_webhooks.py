"""Webhook and interceptor payload verification (the Standard Webhooks scheme).

The secret is ``whsec_`` followed by standard base64 (the prefix is optional, missing padding
is tolerated). The signed content is ``<id>.<timestamp>.<raw body bytes>``; its HMAC-SHA256,
base64-encoded, appears in the signature header as one of several space-separated
``v1,<signature>`` entries. Entries of other versions or that are malformed are skipped; any
matching ``v1`` entry passes, compared as bytes in constant time. The timestamp must be an
integer of Unix seconds within the tolerance (300 s both ways by default).

Every failure is a `WebhookVerificationError` subclass: no ``ValueError``, ``binascii.Error``,
``UnicodeError`` or ``TypeError`` escapes, and neither the secret nor the expected signature
appears in any message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import timedelta

from scalekit_grpc._types import Secret
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
)

logger = logging.getLogger("scalekit_grpc.auth")

DEFAULT_TOLERANCE = timedelta(seconds=300)
SECRET_PREFIX = "whsec_"
# Standard Webhooks: secrets are 24-64 random bytes. Shorter ones work but are logged once.
MIN_SECRET_BYTES = 24
_MAX_SECRET_CHARS = 1024
_MAX_ID_CHARS = 256
_MAX_SIGNATURE_HEADER_CHARS = 8 * 1024
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_INTERCEPTOR_HEADERS = ("interceptor-id", "interceptor-timestamp", "interceptor-signature")
_WANTED = frozenset(_WEBHOOK_HEADERS + _INTERCEPTOR_HEADERS)
_warned_short_secret = False


class WebhookReplayCache:
    """Remembers accepted message ids to flag replays (opt-in; pass it as ``replay_cache``).

    Ids are kept for ``ttl`` (default 10 minutes: twice the tolerance, since a timestamp may
    be up to 5 minutes off either way). Bounded: when full, the oldest ids are forgotten.
    Thread-safe. Note that senders redeliver failed messages with the same id, so only use it
    when a redelivery of an already processed message should be refused.
    """

    def __init__(
        self,
        ttl: timedelta = timedelta(minutes=10),
        *,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError("ttl must be a positive timedelta")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError("max_entries must be a positive int")
        self._ttl = ttl.total_seconds()
        self._max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, message_id: str) -> None:
        """Record ``message_id``.

        Raises:
            WebhookReplayError: it was recorded within the last ``ttl``.
        """
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest_id, oldest_at = next(iter(self._seen.items()))
                if now - oldest_at < self._ttl:
                    break
                del self._seen[oldest_id]
            seen_at = self._seen.get(message_id)
            if seen_at is not None and now - seen_at < self._ttl:
                raise WebhookReplayError("this webhook id was already accepted (replay)")
            self._seen[message_id] = now
            self._seen.move_to_end(message_id)
            while len(self._seen) > self._max_entries:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


def _decode_secret(secret: object) -> bytes:
    if isinstance(secret, Secret):
        secret = secret.reveal()
    if secret is None or secret == "":
        raise WebhookSecretRequiredError("a webhook secret is required")
    if not isinstance(secret, str):
        raise InvalidWebhookSecretError("the webhook secret must be a str")
    body = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    key: bytes | None = None
    unpadded = body.rstrip("=")
    if (
        len(body) <= _MAX_SECRET_CHARS
        and _B64_RE.fullmatch(body)
        and len(unpadded) % 4 != 1
        and len(body) - len(unpadded) <= (-len(unpadded) % 4)
    ):
        try:
            key = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = None
    if not key:
        raise InvalidWebhookSecretError("the webhook secret is not whsec_ followed by base64")
    global _warned_short_secret
    if len(key) < MIN_SECRET_BYTES and not _warned_short_secret:
        _warned_short_secret = True
        logger.warning(
            "webhook secret is %d bytes; Standard Webhooks asks for at least %d",
            len(key),
            MIN_SECRET_BYTES,
        )
    return key


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return None
    return None


def _collect_headers(headers: object) -> dict[str, str]:
    """The relevant headers, names lower-cased; conflicting copies are refused."""
    items = getattr(headers, "items", None)
    if not callable(items):
        raise InvalidWebhookHeaderError("headers must be a mapping of header names to values")
    found: dict[str, str] = {}
    conflict = False
    try:
        for raw_name, raw_value in items():
            name = _as_text(raw_name)
            if name is None:
                continue
            name = name.strip().lower()
            if name not in _WANTED:
                continue
            value = _as_text(raw_value)
            if value is None:
                conflict = True
                break
            value = value.strip()
            if name in found and found[name] != value:
                conflict = True
                break
            found[name] = value
    except (TypeError, ValueError):
        conflict = True
    if conflict:
        raise InvalidWebhookHeaderError("a webhook header is not text or appears twice")
    return found


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError:
            pass
        raise WebhookPayloadError("the payload str cannot be encoded as UTF-8")
    raise WebhookPayloadError("the payload must be bytes or str")


def _tolerance_seconds(tolerance: object) -> float:
    if not isinstance(tolerance, timedelta):
        raise TypeError("tolerance must be a datetime.timedelta")
    if tolerance < timedelta(0):
        raise ValueError("tolerance must not be negative")
    return tolerance.total_seconds()


def _verify(
    secret: str | Secret,
    headers: Mapping[str, str],
    payload: bytes | str,
    names: tuple[str, str, str],
    fallback: tuple[str, str, str] | None,
    tolerance: timedelta,
    now: Callable[[], float],
    replay_cache: WebhookReplayCache | None,
) -> bool:
    tolerance_s = _tolerance_seconds(tolerance)
    if secret is None or secret == "":
        raise WebhookSecretRequiredError("a webhook secret is required")
    found = _collect_headers(headers)
    values: list[str] = []
    for index, name in enumerate(names):
        value = found.get(name)
        if not value and fallback is not None:
            value = found.get(fallback[index])
        if not value:
            raise MissingWebhookHeaderError(f"missing required header {name}")
        values.append(value)
    msg_id, timestamp, signatures = values
    key = _decode_secret(secret)
    body = _payload_bytes(payload)
    if len(msg_id) > _MAX_ID_CHARS or "." in msg_id or not msg_id.isprintable():
        raise InvalidWebhookHeaderError("the webhook id must be printable, short and without '.'")
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise WebhookTimestampError("the webhook timestamp is not an integer of Unix seconds")
    if len(signatures) > _MAX_SIGNATURE_HEADER_CHARS:
        raise InvalidWebhookSignatureError("the signature header is too long")
    sent_at = int(timestamp)
    current = now()
    if sent_at < current - tolerance_s:
        raise WebhookTimestampTooOldError("the webhook timestamp is too old")
    if sent_at > current + tolerance_s:
        raise WebhookTimestampTooNewError("the webhook timestamp is too new")
    try:
        id_bytes = msg_id.encode("utf-8")
    except UnicodeEncodeError:
        id_bytes = b""
    if not id_bytes:
        raise InvalidWebhookHeaderError("the webhook id is not valid text")
    content = b"%s.%s.%s" % (id_bytes, timestamp.encode("ascii"), body)
    expected = hmac.new(key, content, hashlib.sha256).digest()
    matched = False
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded or not _B64_RE.fullmatch(encoded):
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        # Keep scanning after a match so the time taken does not depend on its position.
        if hmac.compare_digest(candidate, expected):
            matched = True
    if not matched:
        raise InvalidWebhookSignatureError("no v1 signature matches the payload")
    if replay_cache is not None:
        replay_cache.remember(msg_id)
    return True


def verify_webhook_payload(
    secret: str | Secret,
    headers: Mapping[str, str],
    payload: bytes | str,
    *,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: Callable[[], float] = time.time,
    replay_cache: WebhookReplayCache | None = None,
) -> bool:
    """Verify a webhook delivery from its ``webhook-id``/``-timestamp``/``-signature`` headers.

    Args:
        secret: The endpoint's signing secret, ``whsec_<base64>``.
        headers: The request headers (any mapping; names are case-insensitive).
        payload: The raw request body, exactly as received (bytes, or str encoded as UTF-8).
        tolerance: Accepted clock difference with the sender, both ways.
        now: Clock in Unix seconds (injectable for tests).
        replay_cache: When given, a message id accepted within its window is refused.

    Returns:
        ``True``; every failure raises.

    Raises:
        WebhookSecretRequiredError: the secret is empty.
        InvalidWebhookSecretError: the secret is not ``whsec_`` plus base64.
        MissingWebhookHeaderError: a required header is absent or empty.
        InvalidWebhookHeaderError: a header is malformed (``.`` in the id, conflicting copies).
        WebhookTimestampError: the timestamp is not an integer (``WebhookTimestampTooOldError``
            / ``WebhookTimestampTooNewError`` when it is outside the tolerance).
        InvalidWebhookSignatureError: no ``v1`` signature matches.
        WebhookPayloadError: the payload is neither bytes nor UTF-8-encodable str.
        WebhookReplayError: the id was already accepted (only with ``replay_cache``).
        TypeError, ValueError: ``tolerance`` is not a non-negative timedelta (caller error).
    """
    return _verify(secret, headers, payload, _WEBHOOK_HEADERS, None, tolerance, now, replay_cache)


def verify_interceptor_payload(
    secret: str | Secret,
    headers: Mapping[str, str],
    payload: bytes | str,
    *,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: Callable[[], float] = time.time,
    replay_cache: WebhookReplayCache | None = None,
) -> bool:
    """Verify an interceptor call: like `verify_webhook_payload`, reading each of
    ``interceptor-id``/``-timestamp``/``-signature`` and falling back to its ``webhook-*``
    counterpart when absent.

    Raises:
        The same exceptions as `verify_webhook_payload`.
    """
    return _verify(
        secret,
        headers,
        payload,
        _INTERCEPTOR_HEADERS,
        _WEBHOOK_HEADERS,
        tolerance,
        now,
        replay_cache,
    )
