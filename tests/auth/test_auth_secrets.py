"""Secret hygiene (security bar section 6, item 25 for this module): with logging at DEBUG and
every failure path exercised, the client secret, tokens, the PKCE verifier and the webhook
secret appear in no log record, repr, exception text, exception chain or traceback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from auth_testkit import CLIENT_SECRET, NOW, Clock, FakeAuthServer, Issuer

from scalekit_grpc.auth import (
    AuthConfig,
    AuthenticationOptions,
    AuthFlows,
    LogoutUrlOptions,
    generate_pkce,
    verify_webhook_payload,
)
from scalekit_grpc.errors import ScalekitError

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"webhook-secret-bytes-0123456789").decode()
REFRESH_TOKEN = "rt_secret_refresh_9d8c7b"
CODE = "code_secret_4f5e6d"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _texts(exc: BaseException) -> str:
    parts = [traceback.format_exception(type(exc), exc, exc.__traceback__)]
    flat = ["".join(p) for p in parts]
    for item in _chain(exc):
        flat += [str(item), repr(item), repr(getattr(item, "body", ""))]
        flat += [repr(arg) for arg in item.args]
    return "\n".join(flat)


def test_no_secret_leaks_on_any_failure_path(
    caplog: pytest.LogCaptureFixture,
    flows: AuthFlows,
    issuer: Issuer,
    server: FakeAuthServer,
    config: AuthConfig,
    clock: Clock,
) -> None:
    access_token = issuer.token()
    id_token = issuer.id_token()
    bad_token = issuer.token(exp=NOW - 1)
    pkce = generate_pkce()
    secrets = [
        CLIENT_SECRET,
        access_token,
        access_token.split(".")[2],
        id_token.split(".")[2],
        bad_token.split(".")[2],
        REFRESH_TOKEN,
        CODE,
        pkce.code_verifier,
        WEBHOOK_SECRET,
        WEBHOOK_SECRET.removeprefix("whsec_"),
    ]
    failures: list[BaseException] = []

    def expect_failure(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except ScalekitError as exc:
            failures.append(exc)
        else:  # pragma: no cover - every path below must fail
            pytest.fail("expected a failure")

    caplog.set_level("DEBUG")
    # token endpoint refuses and echoes what it got, secrets included
    server.token_status = 401
    server.token_mode = "echo"
    expect_failure(lambda: flows.get_client_access_token())
    expect_failure(lambda: flows.refresh_access_token(REFRESH_TOKEN))
    expect_failure(
        lambda: flows.authenticate_with_code(
            CODE, "https://app/cb", AuthenticationOptions(code_verifier=pkce.code_verifier)
        )
    )
    # token endpoint answers 200 without an id_token, then with an expired one
    assert CLIENT_SECRET in str(server.token_forms)  # the server did receive the secrets
    server.token_status = 200
    server.token_mode = "ok"
    server.token_reply = {"access_token": access_token, "refresh_token": REFRESH_TOKEN}
    expect_failure(lambda: flows.authenticate_with_code(CODE, "https://app/cb"))
    server.token_reply = {"access_token": access_token, "id_token": issuer.id_token(exp=NOW)}
    expect_failure(lambda: flows.authenticate_with_code(CODE, "https://app/cb"))
    # invalid JWTs of every stage
    for token in (bad_token, access_token + "x", "Bearer " + access_token, id_token):
        expect_failure(lambda token=token: flows.get_access_token_claims(token))
    # JWKS down
    server.keys_mode = "fail"
    clock.advance(10 * 3600)
    expect_failure(lambda: flows.validate_access_token(access_token))
    # webhook mismatches
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(NOW), "webhook-signature": "v1,AA=="}
    expect_failure(lambda: verify_webhook_payload(WEBHOOK_SECRET, headers, b"{}", now=lambda: NOW))
    expect_failure(
        lambda: verify_webhook_payload(WEBHOOK_SECRET + "!", headers, b"{}", now=lambda: NOW)
    )
    # an expected-signature oracle would be the HMAC the verifier computed
    expected = base64.b64encode(
        hmac.new(
            base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_")),
            f"msg_1.{NOW}.{{}}".encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    secrets.append(expected)

    assert len(failures) == 12
    objects = [
        flows,
        config,
        pkce,
        LogoutUrlOptions(id_token_hint=id_token),
        AuthenticationOptions(code_verifier=pkce.code_verifier),
    ]
    server.token_reply = {
        "access_token": access_token,
        "id_token": issuer.id_token(),
        "refresh_token": REFRESH_TOKEN,
    }
    clock.t = NOW
    fresh = AuthFlows(config)
    server.keys_mode = "ok"
    objects.append(fresh.authenticate_with_code(CODE, "https://app/cb"))
    objects.append(fresh.refresh_access_token(REFRESH_TOKEN))
    objects.append(fresh.generate_client_token("skc_x", CLIENT_SECRET))
    texts = [caplog.text, *(repr(o) for o in objects), *(str(o) for o in objects)]
    texts += [_texts(exc) for exc in failures]
    haystack = "\n".join(texts)
    for secret in secrets:
        assert secret not in haystack
    assert "JWKS" in caplog.text  # the logs were captured, so their absence means something
