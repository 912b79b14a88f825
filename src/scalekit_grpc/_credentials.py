"""The client-credentials access token behind every RPC: cache, expiry, single-flight refresh.

State model (as google-auth's): a token is FRESH until ``refresh_at`` (expiry minus a margin of
min(60 s, lifetime / 2)), then STALE but still sent while one background fetch replaces it, then
INVALID at ``expires_at``; callers needing a token then wait for the fetch. Expiry is measured on
the monotonic clock from the moment the request was sent.

Single-flight: at most one token request is in flight per client; every caller that needs a
token joins it and gets its token or its error. The fetch runs in its own worker (a thread, or
an asyncio task over a thread), so each waiter waits only as long as its own deadline allows and
a waiter that gives up or is cancelled never cancels the fetch for the others.

Compare-and-refresh: after a 401 the pipeline asks for a token *other than the rejected one*; if
another caller already replaced it with a FRESH token, no new request is made (20 concurrent
401s -> 1 fetch). A STALE replacement is not reused for the resend: it waits for the refresh.

Failure backoff: a failed token request is remembered for `FAILURE_BACKOFF` seconds. Callers that
need a token in that window get a copy of its error at once, and no background refresh starts, so
a failing token endpoint sees at most one request per window however busy the client is.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from scalekit_grpc._config import ClientConfig
from scalekit_grpc._threads import in_daemon_thread
from scalekit_grpc._token_endpoint import TokenResponse, post_token_request
from scalekit_grpc.errors import ClientSecretRequiredError, DeadlineExceededError

_log = logging.getLogger("scalekit_grpc.credentials")
_MAX_REFRESH_MARGIN = 60.0
FAILURE_BACKOFF = 1.0

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True, eq=False)
class AccessToken:
    """One access token with the call metadata built from it (built once, sent many times)."""

    metadata: tuple[tuple[str, str], ...]
    expires_at: float
    refresh_at: float

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at:.1f})"


def _token_from(response: TokenResponse, config: ClientConfig, sent_at: float) -> AccessToken:
    lifetime = float(response.expires_in)
    margin = min(_MAX_REFRESH_MARGIN, lifetime / 2)
    authorization = ("authorization", f"Bearer {response.access_token.reveal()}")
    return AccessToken(
        metadata=(authorization, *config.static_metadata),
        expires_at=sent_at + lifetime,
        refresh_at=sent_at + lifetime - margin,
    )


def _time_left(deadline: float | None) -> float | None:
    """Seconds until a call's deadline. Deadlines are on `time.monotonic`, never on the
    (injectable) token clock, which only measures token lifetimes."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _timeout_error() -> DeadlineExceededError:
    return DeadlineExceededError("deadline exceeded while waiting for an access token")


class _TokenCacheBase:
    """The I/O-free half: what the cache holds and whether a caller may use it."""

    def __init__(self, config: ClientConfig, *, http_timeout: float, clock: Clock) -> None:
        self._config = config
        self._http_timeout = http_timeout
        self._clock = clock
        self._token: AccessToken | None = None
        self._failure: Exception | None = None
        self._failed_at = 0.0
        self.fetch_count = 0

    def _usable(
        self, token: AccessToken | None, rejected: AccessToken | None
    ) -> tuple[AccessToken | None, bool]:
        """(token to send now or None, whether a background refresh should start).

        The one resend after a 401 (``rejected`` given) takes only a FRESH token: a STALE one
        is near its expiry, which is the likeliest reason a request carrying an older token
        was refused late, and the resend is the call's last attempt.
        """
        if token is None or token is rejected:
            return None, False
        now = self._clock()
        if now >= token.expires_at:
            return None, False
        if rejected is not None and now >= token.refresh_at:
            return None, False
        return token, now >= token.refresh_at

    def _adoptable(self, current: AccessToken | None, seen: AccessToken | None) -> bool:
        """Whether a token another caller installed after we looked can be used instead of
        fetching: only while FRESH (a resend after a 401 must not get a STALE one, see
        `_usable`; anyone else would start its refresh right away anyway)."""
        if current is None or current is seen:
            return False
        return self._clock() < current.refresh_at

    def _fetch(self) -> AccessToken:
        """One blocking client-credentials request (runs in a worker thread)."""
        secret = self._config.client_secret
        if secret is None:
            raise ClientSecretRequiredError("a client secret is required for management RPCs")
        sent_at = self._clock()
        self.fetch_count += 1
        response = post_token_request(
            self._config.env_url,
            {
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": secret.reveal(),
            },
            timeout=self._http_timeout,
        )
        _log.debug("fetched an access token (expires_in=%ss)", response.expires_in)
        return _token_from(response, self._config, sent_at)

    def _recent_failure(self) -> Exception | None:
        """The last fetch's error while it is inside its backoff window, else None."""
        if self._failure is not None and self._clock() < self._failed_at + FAILURE_BACKOFF:
            return self._failure
        return None

    def _settle(self, token: AccessToken | None, error: BaseException | None) -> None:
        """Record a finished fetch: the new token, or the failure to back off from."""
        if token is not None:
            self._token, self._failure = token, None
        elif isinstance(error, Exception):
            self._failure, self._failed_at = error, self._clock()

    def invalidate(self) -> None:
        """Drop the cached token (the next call fetches a new one)."""
        self._token = None


class _Flight:
    """One in-flight token request that any number of threads can wait on."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._token: AccessToken | None = None
        self._error: BaseException | None = None

    def finish(self, token: AccessToken | None, error: BaseException | None) -> None:
        self._token, self._error = token, error
        self._done.set()

    def wait(self, deadline: float | None) -> AccessToken:
        timeout = _time_left(deadline)
        if not self._done.wait(timeout):
            raise _timeout_error()
        if self._error is not None:
            # Each waiter raises its own copy: one exception object raised in many threads would
            # collect all their tracebacks.
            raise copy.copy(self._error)
        assert self._token is not None
        return self._token


class TokenSource(_TokenCacheBase):
    """Thread-safe token cache for the sync client."""

    def __init__(
        self, config: ClientConfig, *, http_timeout: float, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(config, http_timeout=http_timeout, clock=clock)
        self._mutex = threading.Lock()
        self._flight: _Flight | None = None

    def get(self, deadline: float | None, rejected: AccessToken | None = None) -> AccessToken:
        """A usable token, fetching one if needed; never the ``rejected`` one.

        Raises:
            DeadlineExceededError: ``deadline`` (monotonic) passed while waiting.
            AuthenticationError: the token request failed.
        """
        observed = self._token
        token, refresh = self._usable(observed, rejected)
        if token is not None:
            if refresh:
                self._join(token)
            return token
        return self._join(rejected or observed).wait(deadline)

    def _join(self, seen: AccessToken | None) -> _Flight:
        with self._mutex:
            if self._flight is not None:
                return self._flight
            current = self._token
            if self._adoptable(current, seen):
                assert current is not None
                # Another caller replaced the token after we looked: use theirs.
                done = _Flight()
                done.finish(current, None)
                return done
            failure = self._recent_failure()
            if failure is not None:
                done = _Flight()
                done.finish(None, failure)
                return done
            flight = self._flight = _Flight()
        worker = threading.Thread(
            target=self._run, args=(flight,), name="scalekit-token-fetch", daemon=True
        )
        worker.start()
        return flight

    def _run(self, flight: _Flight) -> None:
        try:
            token = self._fetch()
        except BaseException as exc:  # handed to every waiter, never lost
            with self._mutex:
                self._settle(None, exc)
                self._flight = None
            flight.finish(None, exc)
        else:
            with self._mutex:
                self._settle(token, None)
                self._flight = None
            flight.finish(token, None)


class AsyncTokenSource(_TokenCacheBase):
    """Token cache for the asyncio client; the fetch runs in a daemon thread under a shielded
    task."""

    def __init__(
        self, config: ClientConfig, *, http_timeout: float, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(config, http_timeout=http_timeout, clock=clock)
        self._flight: asyncio.Future[AccessToken] | None = None

    async def get(self, deadline: float | None, rejected: AccessToken | None = None) -> AccessToken:
        """The asyncio twin of `TokenSource.get`."""
        observed = self._token
        token, refresh = self._usable(observed, rejected)
        if token is not None:
            if refresh:
                self._join(token)
            return token
        flight = self._join(rejected or observed)
        timeout = _time_left(deadline)
        try:
            return await asyncio.wait_for(asyncio.shield(flight), timeout)
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes before Python 3.11
            raise _timeout_error() from None
        except Exception as exc:
            raise copy.copy(exc) from None

    def _join(self, seen: AccessToken | None) -> asyncio.Future[AccessToken]:
        # No lock needed: between awaits only one task runs on the loop.
        if self._flight is not None and not self._flight.done():
            return self._flight
        current = self._token
        loop = asyncio.get_running_loop()
        if self._adoptable(current, seen):
            assert current is not None
            done: asyncio.Future[AccessToken] = loop.create_future()
            done.set_result(current)
            return done
        failure = self._recent_failure()
        if failure is not None:
            failed: asyncio.Future[AccessToken] = loop.create_future()
            failed.set_exception(copy.copy(failure))
            failed.add_done_callback(_consume_outcome)  # a background caller ignores it
            return failed
        flight = loop.create_task(self._run(), name="scalekit-token-fetch")
        # Retrieve the outcome even when no waiter is left (a background refresh).
        flight.add_done_callback(_consume_outcome)
        self._flight = flight
        return flight

    async def _run(self) -> AccessToken:
        try:
            token = await in_daemon_thread(self._fetch, "scalekit-token-fetch")
        except Exception as exc:
            self._settle(None, exc)
            raise
        else:
            self._settle(token, None)
            return token
        finally:
            self._flight = None


def _consume_outcome(task: asyncio.Future[AccessToken]) -> None:
    if not task.cancelled():
        task.exception()
