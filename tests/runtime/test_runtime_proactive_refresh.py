"""Proactive refresh: a token is replaced before it expires, so steady traffic never sees a 401.

The token source, the token endpoint and the servicer share one fake clock, so the tests walk
through the refresh window without sleeping. The servicer rejects a token once that clock passes
its issue time plus ``expires_in``, exactly like a real server rejects an expired token.
"""

from __future__ import annotations

from typing import Any

import pytest
from _runtime_harness import DomainServicer, Driver, FakeClock, TokenEndpoint

pytestmark = pytest.mark.timeout(15)
LIFETIME = 2  # seconds; the refresh margin is then min(60, 2 / 2) = 1 s


@pytest.fixture
def clock(servicer: DomainServicer, endpoint: TokenEndpoint) -> FakeClock:
    clock = FakeClock()
    endpoint.clock = clock
    endpoint.expires_in = LIFETIME

    def unexpired(token: str | None) -> bool:
        issued = endpoint.issued.get(token or "")
        return issued is not None and clock() < issued + LIFETIME

    servicer.token_ok = unexpired
    return clock


def _client(driver: Driver, clock: FakeClock) -> Any:
    client = driver.client()
    client._tokens._clock = clock  # token lifetimes on the fake clock; deadlines stay real
    return client


def test_steady_traffic_never_sees_an_expired_token(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    client = _client(driver, clock)
    calls = 0
    # 0.3 s steps across six lifetimes: through FRESH, STALE and past every expiry.
    for _ in range(40):
        driver.call(client)
        calls += 1
        clock.advance(0.3)
    assert servicer.attempts == calls  # no call needed a second (re-auth) attempt
    seen = servicer.tokens_seen()
    assert len(set(seen)) >= 5  # refreshed again and again
    assert seen == sorted(seen, key=lambda token: int((token or "tok-0")[4:]))
    assert endpoint.requests <= len(set(seen)) + 1


def test_stale_token_is_used_while_the_refresh_runs(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    client = _client(driver, clock)
    driver.call(client)
    clock.advance(0.5)
    driver.call(client)
    assert endpoint.requests == 1  # fresh: no refresh yet

    clock.advance(0.7)  # 1.2 s old: inside the 1 s margin, still valid
    endpoint.hold()
    # The refresh is stuck at the gate, and these calls do not wait for it.
    driver.call(client)
    driver.call(client)
    endpoint.wait_for_requests(2)
    assert servicer.tokens_seen() == ["tok-1"] * 4

    endpoint.open_gate()
    clock.advance(0.9)  # tok-1 has now expired
    driver.call(client)
    assert servicer.tokens_seen()[-1] == "tok-2"
    assert endpoint.requests == 2  # one background refresh, however many stale calls
    assert servicer.attempts == 5


def test_missing_expires_in_falls_back_to_a_default_lifetime(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    endpoint.expires_in = None
    client = driver.client()
    driver.call(client)
    driver.call(client)
    assert endpoint.requests == 1


def test_a_two_minute_token_is_refreshed_a_minute_early(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    endpoint.expires_in = 120  # the margin is min(60 s, 120 s / 2) = 60 s
    servicer.token_ok = None
    client = _client(driver, clock)
    driver.call(client)
    clock.advance(59.9)
    driver.call(client)
    assert endpoint.requests == 1
    clock.advance(0.2)  # 60.1 s old, 59.9 s before expiry
    driver.call(client)
    endpoint.wait_for_requests(2)
    driver.settle(client)
    driver.call(client)
    assert servicer.tokens_seen() == ["tok-1", "tok-1", "tok-1", "tok-2"]
