"""Faults against the mock server, with the real clients (sync and asyncio).

* Token endpoint: 401 ``invalid_client`` -> `AuthenticationError` after exactly one request;
  500, 503, malformed JSON, an empty body, a reply without ``access_token`` and a hang -> typed
  errors within the call's deadline (1 s here); a hung fetch does not delay loop shutdown.
* RPCs: UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED (sent by the server, or
  a real deadline) -> exactly one attempt, and a failed write is not duplicated.
* With the default 10 s deadline, a hung token endpoint, and a 401 at t = 6 s followed by a hung
  token endpoint, both end at ~10 s (one test, both at once); the 401 case also at 1/10 scale.
* The resend after a 401 never goes out with a token inside its refresh margin.
* Server restart on the same ports: the next call succeeds on the same client; calls during the
  outage fail fast and the channel reconnects by itself.

Tests about elapsed time say so; everything else waits on events (`RequestWatcher`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import grpc
import pytest
from hardening_kit import (
    Outcome,
    RequestWatcher,
    free_port,
    resolve,
    run_with_client,
    timed,
)

from scalekit_grpc import errors
from scalekit_grpc.client import ScalekitClient
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(60)
TOKEN = "/oauth/token"


def _get_domain(seed: SeedData) -> Any:
    return lambda client: client.domains.get_domain(seed.organization_id, seed.domain_id)


# --- the token endpoint -------------------------------------------------------------------------


def test_invalid_client_is_one_request_and_no_rpc(
    flavor: str, server: MockScalekitServer, seed: SeedData
) -> None:
    async def scenario(client: Any) -> tuple[Outcome, Outcome]:
        first = await timed(lambda: _get_domain(seed)(client))
        # Within the 1 s failure backoff the error is served again without a request.
        second = await timed(lambda: _get_domain(seed)(client))
        return first, second

    first, second = run_with_client(flavor, server, scenario, client_secret="wrong-secret")
    for outcome in (first, second):
        assert type(outcome.error) is errors.AuthenticationError
        assert outcome.error.status_code == 401
        assert "invalid_client" in outcome.error.body
    assert server.http_counts[TOKEN] == 1
    assert server.requests == []


TOKEN_FAULTS: dict[str, tuple[Any, type[errors.ScalekitError]]] = {
    "500": (lambda s: s.fail_token_endpoint(500), errors.AuthenticationError),
    "503": (lambda s: s.fail_token_endpoint(503), errors.AuthenticationError),
    "malformed-json": (
        lambda s: s.fail_token_endpoint(
            200, body='{"access_token": "x", ', content_type="application/json"
        ),
        errors.AuthenticationError,
    ),
    "html-not-json": (
        lambda s: s.malformed_token_response(kind="not_json"),
        errors.AuthenticationError,
    ),
    "empty-body": (lambda s: s.malformed_token_response(kind="empty"), errors.AuthenticationError),
    "missing-access-token": (
        lambda s: s.malformed_token_response(kind="missing_access_token"),
        errors.AuthenticationResponseMissingAccessTokenError,
    ),
    "hang": (lambda s: s.delay_token_endpoint(5.0, count=1), errors.DeadlineExceededError),
}


@pytest.mark.parametrize("fault", list(TOKEN_FAULTS))
def test_token_endpoint_faults_are_typed_and_within_the_deadline(
    flavor: str, server: MockScalekitServer, seed: SeedData, fault: str
) -> None:
    inject, expected = TOKEN_FAULTS[fault]
    inject(server)

    async def scenario(client: Any) -> Outcome:
        return await timed(lambda: _get_domain(seed)(client))

    outcome = run_with_client(flavor, server, scenario, timeout=1.0)
    print(f"\ntoken endpoint {fault} ({flavor}): {outcome}")  # -s shows it
    assert type(outcome.error) is expected, outcome
    # About elapsed time: every failure arrives within the call's 1 s deadline (+ scheduling).
    assert outcome.elapsed < 1.25, outcome
    if fault == "hang":
        assert outcome.elapsed >= 0.95, outcome
    assert server.http_counts[TOKEN] == 1
    assert server.requests == []  # no RPC is attempted without a token


# --- RPC status codes ---------------------------------------------------------------------------

NOT_RETRIED = [
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
]


@pytest.mark.parametrize("code", NOT_RETRIED, ids=lambda code: code.name)
def test_failed_reads_and_writes_get_exactly_one_attempt(
    flavor: str, server: MockScalekitServer, seed: SeedData, code: grpc.StatusCode
) -> None:
    server.fail_next("GetDomain", code)
    server.fail_next("CreateDomain", code)

    async def scenario(client: Any) -> tuple[Outcome, Outcome, Any]:
        read = await timed(lambda: _get_domain(seed)(client))
        write = await timed(
            lambda: client.domains.create_domain(seed.organization_id, "retry.example.com")
        )
        listed = await resolve(client.domains.list_domains(seed.organization_id))
        return read, write, listed

    read, write, listed = run_with_client(flavor, server, scenario)
    for outcome in (read, write):
        assert type(outcome.error) is errors.error_class_for(code), outcome
        assert outcome.error.grpc_code is code
        assert outcome.error.error_code == code.name
    assert [r.name for r in server.requests] == ["GetDomain", "CreateDomain", "ListDomains"]
    # The failed create was not resent, so it did not happen twice (or, here, at all).
    assert "retry.example.com" not in [d.domain for d in listed.domains]
    assert server.http_counts[TOKEN] == 1


def test_a_real_deadline_is_one_attempt(
    flavor: str, server: MockScalekitServer, seed: SeedData
) -> None:
    server.delay("GetDomain", 5.0)

    async def scenario(client: Any) -> Outcome:
        await resolve(client.domains.list_domains(seed.organization_id))  # token first
        return await timed(lambda: _get_domain(seed)(client))

    outcome = run_with_client(flavor, server, scenario, timeout=0.5)
    assert type(outcome.error) is errors.DeadlineExceededError, outcome
    # About elapsed time: the client gives up at its deadline, not the server's delay.
    assert 0.45 <= outcome.elapsed < 0.9, outcome
    assert [r.name for r in server.requests] == ["ListDomains", "GetDomain"]


# --- 401 at t = 6 s, then a token endpoint that hangs -------------------------------------------


def _reauth_into_a_hang(
    flavor: str,
    server: MockScalekitServer,
    seed: SeedData,
    watcher: RequestWatcher,
    rpc_delay: float,
    **client_kwargs: Any,
) -> Outcome:
    """The call is held by the server for ``rpc_delay`` s, meanwhile every token is expired and
    the token endpoint starts hanging; the server then answers UNAUTHENTICATED, the client asks
    for a new token and waits for it until its deadline."""
    result: dict[str, Outcome] = {}

    async def scenario(client: Any) -> None:
        await resolve(client.domains.list_domains(seed.organization_id))  # token first
        server.clear_requests()
        server.delay("GetDomain", rpc_delay)

        def faults_once_the_call_is_held() -> None:
            watcher.wait_rpcs(1, "GetDomain")
            server.expire_tokens()
            server.delay_token_endpoint(30.0)

        helper = threading.Thread(target=faults_once_the_call_is_held)
        helper.start()
        try:
            result["call"] = await timed(lambda: _get_domain(seed)(client))
        finally:
            helper.join()

    run_with_client(flavor, server, scenario, **client_kwargs)
    assert len(server.requests) == 1  # the resend never happened: no token came
    assert server.http_counts[TOKEN] == 1  # exactly one re-auth request
    return result["call"]


def test_the_default_10_s_deadline_bounds_both_hangs(
    server: MockScalekitServer, seed: SeedData, watcher: RequestWatcher
) -> None:
    """About elapsed time, with the default deadline (10 s), both at once (each has its own
    mock and client; both are idle waits, so running them together changes neither):

    * the token endpoint hangs before the first RPC: the call ends at ~10 s;
    * a 401 arrives at t = 6 s and the token endpoint then hangs: the call still ends at ~10 s,
      because the re-auth and the resend share the call's one deadline (never 6 + 10 + 10 s).
    """
    other = MockScalekitServer().start()
    try:
        other_seed = other.seed()
        other.delay_token_endpoint(30.0)
        hung: dict[str, Outcome] = {}

        def token_hang() -> None:
            async def scenario(client: Any) -> Outcome:
                return await timed(lambda: _get_domain(other_seed)(client))

            hung["call"] = run_with_client("sync", other, scenario)

        thread = threading.Thread(target=token_hang)
        thread.start()
        late_401 = _reauth_into_a_hang("sync", server, seed, watcher, rpc_delay=6.0)
        thread.join(15)
        print(f"\ndefault deadline: token hang {hung['call']}, 401 at 6 s then hang {late_401}")
        for outcome in (hung["call"], late_401):
            assert type(outcome.error) is errors.DeadlineExceededError, outcome
            assert 9.9 <= outcome.elapsed <= 10.5, outcome
        assert other.http_counts[TOKEN] == 1
        assert other.requests == []
    finally:
        other.stop()


def test_401_then_a_hung_token_endpoint_scaled_down(
    flavor: str, server: MockScalekitServer, seed: SeedData, watcher: RequestWatcher
) -> None:
    """The same at a tenth of the scale (401 at 0.6 s, 1 s deadline), for both clients."""
    outcome = _reauth_into_a_hang(flavor, server, seed, watcher, rpc_delay=0.6, timeout=1.0)
    assert type(outcome.error) is errors.DeadlineExceededError, outcome
    assert 0.95 <= outcome.elapsed <= 1.3, outcome


# --- server restart -----------------------------------------------------------------------------


def _restartable(grpc_port: int, http_port: int) -> MockScalekitServer:
    return MockScalekitServer(
        grpc_port=grpc_port,
        http_port=http_port,
        client_id="skc_restart",
        client_secret="restart-secret-1b7c",
    ).start()


def test_server_restart_on_the_same_port_next_call_succeeds(flavor: str) -> None:
    grpc_port, http_port = free_port(), free_port()
    first = _restartable(grpc_port, http_port)
    try:
        seed = first.seed()

        async def scenario(client: Any) -> tuple[Outcome, Outcome, Any]:
            before = await timed(lambda: client.domains.list_domains(seed.organization_id))
            first.stop()
            second = _restartable(grpc_port, http_port)
            after = await timed(lambda: client.domains.list_domains(seed.organization_id))
            return before, after, second

        client_kwargs = {"grpc_target": f"127.0.0.1:{grpc_port}"}
        before, after, second = run_with_client(flavor, first, scenario, **client_kwargs)
        try:
            assert before.error is None, before
            assert after.error is None, after
            # The new server does not know the old token: one 401, one re-auth, one resend.
            assert [r.name for r in second.requests] == ["ListDomains", "ListDomains"]
            assert second.http_counts[TOKEN] == 1
        finally:
            second.stop()
    finally:
        first.stop()


def test_calls_during_an_outage_fail_fast_and_the_channel_recovers() -> None:
    """While the server is down, calls fail at once with `UnavailableError` (no hang, no retry
    loop). After the restart the same client works again once gRPC has reconnected; the test
    waits for the channel's READY notification rather than sleeping."""
    grpc_port, http_port = free_port(), free_port()
    first = _restartable(grpc_port, http_port)
    try:
        client = ScalekitClient(
            first.env_url, first.client_id, first.client_secret, grpc_target=first.grpc_target
        )
        with client:
            client.domains.list_domains("org_1")
            first.stop()
            start = time.monotonic()
            with pytest.raises(errors.UnavailableError):
                client.domains.list_domains("org_1")
            assert time.monotonic() - start < 1.0  # about elapsed time: fails fast
            second = _restartable(grpc_port, http_port)
            try:
                ready = threading.Event()

                def on_change(state: grpc.ChannelConnectivity) -> None:
                    if state is grpc.ChannelConnectivity.READY:
                        ready.set()

                restarted = time.monotonic()
                client.channel.subscribe(on_change, try_to_connect=True)
                try:
                    assert ready.wait(10.0), "the channel never reconnected"
                finally:
                    client.channel.unsubscribe(on_change)
                print(f"\nreconnected {time.monotonic() - restarted:.2f} s after the restart")
                assert client.domains.list_domains("org_1").page_number == 1
            finally:
                second.stop()
    finally:
        first.stop()


def test_a_hung_token_fetch_does_not_hold_up_the_event_loop_shutdown(
    server: MockScalekitServer, seed: SeedData
) -> None:
    """About elapsed time: the asyncio client's call fails at its 0.5 s deadline, and
    `asyncio.run` then returns at once; the fetch still hanging in the background (up to
    ``http_timeout``, 10 s) must not keep the program from exiting."""
    server.delay_token_endpoint(5.0, count=1)

    async def scenario(client: Any) -> Outcome:
        return await timed(lambda: _get_domain(seed)(client))

    start = time.monotonic()
    outcome = run_with_client("async", server, scenario, timeout=0.5)
    total = time.monotonic() - start
    assert type(outcome.error) is errors.DeadlineExceededError, outcome
    assert total < 1.5, total


class _TokenClock:
    """The client's token clock (``client._tokens._clock``, test-only): lifetimes run on it,
    call deadlines stay on the real monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_resend_after_a_401_never_uses_a_stale_token(
    flavor: str, server: MockScalekitServer, seed: SeedData, watcher: RequestWatcher
) -> None:
    """A request carrying token A is refused late, after the client replaced A with B and B
    itself went STALE (inside its refresh margin). The one resend must not go out with B,
    which is the token most likely to expire in transit; it waits for a fresh C. (Under the
    long asyncio soak, resending with the stale B made 343 of 64,000 calls fail.)"""
    server.token_lifetime = 100  # margin min(60, 50) = 50 s on the client's token clock
    clock = _TokenClock()

    def bearer(request: Any) -> str:
        return str(request.header("authorization")).removeprefix("Bearer ")

    async def scenario(client: Any) -> Outcome:
        client._tokens._clock = clock
        await resolve(client.domains.list_domains(seed.organization_id))  # A at t=1000
        server.delay("GetDomain", 2.0)
        call = lambda: _get_domain(seed)(client)  # noqa: E731
        # The sync client blocks: its held call runs in a worker thread, not on this loop.
        held = asyncio.ensure_future(
            timed(call) if flavor == "async" else asyncio.to_thread(asyncio.run, timed(call))
        )
        await watcher.await_rpcs(1, "GetDomain")  # the request with A is held by the server
        server.clear_delays()
        clock.now = 1100.0  # A expired on the client: this call waits for B (t=1100)
        await resolve(client.domains.list_domains(seed.organization_id))
        clock.now = 1160.0  # B is STALE now (refresh_at 1150, expires 1200)
        token_a = bearer(server.requests_for("GetDomain")[0])
        assert server.revoke_token(token_a)  # the held request will be refused
        return await held

    outcome = run_with_client(flavor, server, scenario)
    assert outcome.error is None, outcome
    attempts = server.requests_for("GetDomain")
    lists = server.requests_for("ListDomains")
    token_a, token_b = bearer(lists[0]), bearer(lists[1])
    assert [bearer(a) for a in attempts[:1]] == [token_a]
    assert len(attempts) == 2
    resent_with = bearer(attempts[1])
    assert resent_with not in (token_a, token_b)  # a third, fresh token
    assert server.http_counts[TOKEN] == 3


def test_a_hung_oauth_request_does_not_hold_up_the_event_loop_shutdown(
    server: MockScalekitServer,
) -> None:
    """About elapsed time: the same for the asyncio client's OAuth helpers (here
    ``generate_client_token``), which have no call deadline: the caller gives up after 0.5 s
    with `asyncio.wait_for`, and the hanging request must not keep `asyncio.run` waiting."""
    server.delay_token_endpoint(5.0, count=1)

    async def scenario(client: Any) -> Outcome:
        return await timed(
            lambda: asyncio.wait_for(
                client.generate_client_token(server.client_id, server.client_secret), 0.5
            )
        )

    start = time.monotonic()
    outcome = run_with_client("async", server, scenario)
    total = time.monotonic() - start
    assert isinstance(outcome.error, (TimeoutError, asyncio.TimeoutError)), outcome
    assert total < 1.5, total
