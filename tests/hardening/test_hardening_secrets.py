"""Secret hygiene end to end: with every logger at DEBUG and every failure path of this suite
exercised against the mock (token endpoint faults and echoes, RPC faults, re-auth, outage,
invalid JWTs, JWKS down, code exchange and refresh failures, webhook mismatches), none of

* the client secret (and a wrong one a caller passed),
* any access token the mock issued (read from its token table), ID token or refresh token,
* the webhook secret,

appears, raw or URL-/JSON-encoded, in any log record, the ``repr`` of any public object, or
the ``str``/``repr``/args of any exception, anything in its ``__cause__``/``__context__`` chain,
or its formatted traceback. Runs for both clients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import traceback
import urllib.parse
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hardening_kit import Outcome, make_client, resolve, run_with_client, timed

from scalekit_grpc import errors
from scalekit_grpc.auth import (
    AuthConfig,
    AuthenticationOptions,
    AuthFlows,
    AuthorizationUrlOptions,
    LogoutUrlOptions,
    TokenValidationOptions,
    verify_interceptor_payload,
    verify_webhook_payload,
)
from scalekit_grpc.options import CreateTokenOptions
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(60)
# Characters that change under URL and JSON encoding, so an echo is found in any spelling.
CLIENT_SECRET = 'sek-Zq9/x+y=z&"ü~' + "7" * 16
WRONG_SECRET = "wrong-Zq9/x+y=z&ü-" + "3" * 16
WEBHOOK_KEY = b"hardening-webhook-key-32-bytes!!"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
REDIRECT = "https://app.example/callback"


def _spellings(secret: str) -> set[str]:
    forms = {
        secret,
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    if secret.count(".") == 2:  # a JWT: its signature alone is as good as the token
        forms.add(secret.rsplit(".", 1)[1])
    return {form for form in forms if len(form) >= 8}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _exception_texts(exc: BaseException) -> Iterator[str]:
    yield "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for link in _chain(exc):
        yield str(link)
        yield repr(link)
        yield repr(link.args)
        yield repr(getattr(link, "__dict__", {}))


def _record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter()
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        if record.exc_info:
            yield formatter.formatException(record.exc_info)
        if record.stack_info:
            yield record.stack_info


def _code_for(server: MockScalekitServer, url: str) -> str:
    """Follow the mock's authorize endpoint by hand (no redirect) and read the code."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        response = conn.getresponse()
        location = response.getheader("Location") or ""
        response.read()
    finally:
        conn.close()
    assert response.status == 302, response.status
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]


def _webhook_failures() -> list[Outcome]:
    msg_id, ts, body = "msg_hardening", "1700000000", b'{"type": "organization.created"}'
    mac = hmac.new(WEBHOOK_KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    good = {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    outcomes = []
    for secret, headers, payload, now in (
        (WEBHOOK_SECRET, good, body + b" ", 1_700_000_000),  # tampered body
        (WEBHOOK_SECRET, good, body, 1_700_000_000 + 301),  # too old
        (WEBHOOK_SECRET, {**good, "webhook-signature": "v1,!!!!"}, body, 1_700_000_000),
        (WEBHOOK_SECRET + "!", good, body, 1_700_000_000),  # not base64
        ("whsec_" + base64.b64encode(b"x" * 32).decode(), good, body, 1_700_000_000),
    ):
        for verify in (verify_webhook_payload, verify_interceptor_payload):
            outcome = _sync(
                lambda v=verify, s=secret, h=headers, p=payload, n=now: v(s, h, p, now=lambda: n)
            )
            assert isinstance(outcome.error, errors.WebhookVerificationError), outcome
            outcomes.append(outcome)
    assert verify_webhook_payload(WEBHOOK_SECRET, good, body, now=lambda: 1_700_000_000)
    return outcomes


def _sync(call: Any) -> Outcome:
    try:
        return Outcome(call(), None, 0.0)
    except Exception as exc:
        return Outcome(None, exc, 0.0)


@pytest.fixture
def secret_server() -> Iterator[MockScalekitServer]:
    server = MockScalekitServer(client_secret=CLIENT_SECRET).start()
    try:
        yield server
    finally:
        server.stop()


async def _exercise(
    flavor: str, client: Any, server: MockScalekitServer, seed: SeedData
) -> tuple[list[Outcome], list[object], set[str]]:
    """Every failure path once; returns the outcomes, objects to repr, and secrets seen."""
    outcomes: list[Outcome] = []
    objects: list[object] = [client, client.tokens, server]
    seen: set[str] = set()

    async def run(call: Any) -> Outcome:
        outcome = await timed(call)
        outcomes.append(outcome)
        return outcome

    def get_domain(on: Any = client, **kwargs: Any) -> Any:
        return on.domains.get_domain(seed.organization_id, seed.domain_id, **kwargs)

    async def with_fresh_client(call: Any, **client_kwargs: Any) -> Outcome:
        """A new client per token-endpoint fault, so no failure backoff carries over."""
        fresh = make_client(flavor, server, **client_kwargs)
        objects.append(fresh)
        try:
            return await run(lambda: call(fresh))
        finally:
            await resolve(fresh.close())

    # Token endpoint: wrong secret (401 invalid_client), echoes of the secret in every
    # spelling, 5xx, garbage 2xx holding a token, a 2xx without access_token, a hang.
    wrong = await with_fresh_client(get_domain, client_secret=WRONG_SECRET)
    assert isinstance(wrong.error, errors.AuthenticationError)
    echo = f"{CLIENT_SECRET} {urllib.parse.quote_plus(CLIENT_SECRET)} {json.dumps(CLIENT_SECRET)}"
    for status, body in (
        (401, {"error": "invalid_client", "client_secret": CLIENT_SECRET, "raw": echo}),
        (500, f"server error; form was client_secret={urllib.parse.quote_plus(CLIENT_SECRET)}"),
        (503, None),
        (200, '{"access_token": "at_leaked_in_a_garbled_reply_0123", "expires_in": '),
        (200, {"token_type": "Bearer", "refresh_token": "rt_leaked_without_access_token_0123"}),
    ):
        server.fail_token_endpoint(status, body)
        failed = await with_fresh_client(get_domain)
        assert isinstance(failed.error, errors.AuthenticationError), failed
    seen |= {"at_leaked_in_a_garbled_reply_0123", "rt_leaked_without_access_token_0123"}
    server.delay_token_endpoint(2.0, count=1)
    hung = await with_fresh_client(get_domain, timeout=0.3)
    assert isinstance(hung.error, errors.DeadlineExceededError), hung

    # RPCs: a 401 twice (re-auth, then UnauthenticatedError), every non-retried code, a 401
    # whose re-auth fails, a write refused with details.
    await resolve(get_domain())
    server.fail_next("GetDomain", grpc.StatusCode.UNAUTHENTICATED, count=2)
    assert isinstance((await run(get_domain)).error, errors.UnauthenticatedError)
    for code in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.PERMISSION_DENIED,
    ):
        server.fail_next("GetDomain", code)
        await run(get_domain)
    server.expire_tokens()
    server.fail_token_endpoint(500, {"error": "server_error"})
    assert isinstance((await run(get_domain)).error, errors.AuthenticationError)
    await run(lambda: client.tokens.create_token("", CreateTokenOptions()))  # precondition
    await run(lambda: client.tokens.validate_token("skt_not_a_real_api_token"))

    # The code flow: a real ID, access and refresh token, then their failure paths.
    url = client.get_authorization_url(
        REDIRECT, AuthorizationUrlOptions(state="st-1", nonce="nonce-1")
    )
    code = _code_for(server, url)
    session = await resolve(
        client.authenticate_with_code(code, REDIRECT, AuthenticationOptions(nonce="nonce-1"))
    )
    seen |= {session.id_token, session.access_token, session.refresh_token or ""}
    objects += [session, session.user, AuthenticationOptions(nonce="n", code_verifier="v" * 43)]
    await run(lambda: client.authenticate_with_code(code, REDIRECT))  # the code is used up
    refreshed = await resolve(client.refresh_access_token(session.refresh_token))
    seen |= {refreshed.access_token, refreshed.id_token or "", refreshed.refresh_token or ""}
    objects.append(refreshed)
    await run(lambda: client.refresh_access_token(session.refresh_token))  # rotated: refused
    server.fail_token_endpoint(400, {"error": "invalid_grant", "echo": refreshed.refresh_token})
    await run(lambda: client.refresh_access_token(refreshed.refresh_token))
    objects.append(LogoutUrlOptions(id_token_hint=session.id_token, state="s"))
    wrong_client_token = await run(
        lambda: client.generate_client_token(server.client_id, WRONG_SECRET)
    )
    assert isinstance(wrong_client_token.error, errors.AuthenticationError)
    client_token = await resolve(client.generate_client_token(server.client_id, CLIENT_SECRET))
    seen.add(client_token.access_token)
    objects.append(client_token)

    # Invalid JWTs: an ID token as an access token, a forged signature, an expired token, a
    # wrong audience; the claims of a good one.
    access = server.issue_access_token()
    await run(lambda: client.get_access_token_claims(session.id_token))
    await run(lambda: client.validate_token(access[:-6] + "AAAAAA"))
    await run(lambda: client.validate_token(access, TokenValidationOptions(audience=["other"])))
    server.token_lifetime = 0
    expired = server.issue_access_token()
    server.token_lifetime = 3600
    await run(lambda: client.validate_token(expired))
    objects.append(await resolve(client.get_access_token_claims(access)))
    assert all(isinstance(o.error, errors.TokenValidationError) for o in outcomes[-4:])

    # The server goes away: UNAVAILABLE, and the JWKS endpoint is down for a fresh validator.
    server.stop()
    await run(get_domain)
    dead = AuthFlows(AuthConfig(server.env_url, server.client_id, http_timeout=0.5))
    down = await run(lambda: dead.validate_token(access))
    assert isinstance(down.error, errors.JWKSUnavailableError), down
    objects.append(dead)
    return outcomes, objects, seen


def test_no_secret_anywhere(
    flavor: str, secret_server: MockScalekitServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = secret_server
    seed = server.seed()

    async def scenario(client: Any) -> tuple[list[Outcome], list[object], set[str]]:
        return await _exercise(flavor, client, server, seed)

    issued_table = server._authority._access  # the mock's table of every access token it issued
    outcomes, objects, seen = run_with_client(flavor, server, scenario)
    outcomes += _webhook_failures()
    issued = set(issued_table)
    assert len(issued) >= 5
    secrets = {CLIENT_SECRET, WRONG_SECRET, WEBHOOK_SECRET, WEBHOOK_SECRET[6:]} | issued | seen
    secrets.discard("")
    needles = {form for secret in secrets for form in _spellings(secret)}

    failures = [outcome.error for outcome in outcomes if outcome.error is not None]
    print(  # -s shows it
        f"\nsecrets ({flavor}): {len(failures)} exceptions, {len(caplog.records)} log records, "
        f"{len(secrets)} secrets in {len(needles)} spellings"
    )
    assert len(failures) >= 35
    texts: list[tuple[str, str]] = []
    for exc in failures:
        texts += [(f"exception {type(exc).__name__}", text) for text in _exception_texts(exc)]
    texts += [(f"repr({type(obj).__name__})", repr(obj)) for obj in objects]
    texts += [("log record", text) for text in _record_texts(caplog.records)]
    texts.append(("caplog.text", caplog.text))
    assert len(caplog.records) > 0

    def leaks_in(scanned: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (where, needle[:12] + "...")
            for where, text in scanned
            for needle in needles
            if needle in text
        ]

    assert leaks_in(texts) == []
    # The scan is not vacuous: planted spellings are found.
    planted = [
        ("probe", urllib.parse.quote_plus(CLIENT_SECRET)),
        ("probe", next(iter(issued)).rsplit(".", 1)[1]),
        ("probe", next(s for s in seen if s.startswith("rt_") and len(s) > 30)),
    ]
    assert len(leaks_in(planted)) >= 3
