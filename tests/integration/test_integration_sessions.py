"""Integration: `SessionsService` / `AsyncSessionsService` against the mock server."""

from __future__ import annotations

import time
from datetime import timedelta, timezone

import pytest
from _integration_kit import Api, assert_each_once, covers, ids, utc

from scalekit_grpc.errors import NotFoundError
from scalekit_grpc.options import UserSessionFilter, UserSessionsOptions
from scalekit_grpc.testing import MockScalekitServer, SeedData

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def seed(scalekit_server: MockScalekitServer) -> SeedData:
    """One user with three sessions, oldest first: expired (3 days old), active (2 h), active
    (1 min)."""
    return scalekit_server.seed()


def _filtered(**kwargs: object) -> UserSessionsOptions:
    return UserSessionsOptions(filter=UserSessionFilter(**kwargs))  # type: ignore[arg-type]


def session_ids(page: object) -> list[str]:
    return ids(page.sessions, "session_id")  # type: ignore[attr-defined]


@covers("sessions.get_user_sessions", "sessions.get_session")
async def test_seeded_sessions_listed_and_read(api: Api, seed: SeedData) -> None:
    page = await api.sessions.get_user_sessions(seed.user_id)
    assert session_ids(page) == list(seed.session_ids)
    assert page.total_size == 3
    assert [s.status for s in page.sessions] == ["EXPIRED", "ACTIVE", "ACTIVE"]
    assert {s.user_id for s in page.sessions} == {seed.user_id}
    assert {s.organization_id for s in page.sessions} == {seed.organization_id}

    active = await api.sessions.get_session(seed.active_session_ids[0])
    assert active == page.sessions[1]
    assert active.status == "ACTIVE"
    assert active.device.browser == "Firefox"
    assert active.absolute_expires_at.ToNanoseconds() > time.time_ns()
    with pytest.raises(NotFoundError):
        await api.sessions.get_session("ses_missing")
    assert list((await api.sessions.get_user_sessions("usr_without_sessions")).sessions) == []


@covers("sessions.get_user_sessions")
async def test_user_sessions_filtered_by_status_and_time(api: Api, seed: SeedData) -> None:
    expired_id = seed.session_ids[0]
    older_active, newer_active = seed.active_session_ids
    now = time.time()

    async def listed(options: UserSessionsOptions) -> list[str]:
        return session_ids(await api.sessions.get_user_sessions(seed.user_id, options))

    assert await listed(_filtered(status=["ACTIVE"])) == [older_active, newer_active]
    assert await listed(_filtered(status=["expired"])) == [expired_id]
    assert await listed(_filtered(status=["ACTIVE", "EXPIRED"])) == list(seed.session_ids)
    assert await listed(_filtered(status=["REVOKED"])) == []
    # Created at or after an hour ago: only the one-minute-old session.
    assert await listed(_filtered(start_time=utc(now - 3600))) == [newer_active]
    # Created at or before a day ago: only the three-day-old session.
    assert await listed(_filtered(end_time=utc(now - 86400))) == [expired_id]
    window = _filtered(start_time=utc(now - 3 * 3600), end_time=utc(now - 3600))
    assert await listed(window) == [older_active]
    both = _filtered(status=["EXPIRED"], start_time=utc(now - 3600))
    assert await listed(both) == []
    # Any time zone names the same instant.
    india = timezone(timedelta(hours=5, minutes=30))
    in_india = _filtered(start_time=utc(now - 3600).astimezone(india))
    assert await listed(in_india) == [newer_active]


@covers("sessions.get_session", "sessions.get_user_sessions", "sessions.revoke_session")
async def test_an_active_session_past_its_lifetime_reads_expired(
    api: Api, seed: SeedData, scalekit_server: MockScalekitServer
) -> None:
    stale = scalekit_server.add_session(
        seed.user_id, seed.organization_id, created_at=time.time() - 2 * 86400
    )
    session = await api.sessions.get_session(stale)
    assert session.status == "EXPIRED"
    assert session.HasField("expired_at")
    active = await api.sessions.get_user_sessions(seed.user_id, _filtered(status=["ACTIVE"]))
    assert stale not in session_ids(active)
    assert (await api.sessions.revoke_session(stale)).revoked_session.status == "EXPIRED"


@covers("sessions.revoke_session", "sessions.get_session", "sessions.revoke_all_user_sessions")
async def test_revoke_one_then_all(api: Api, seed: SeedData) -> None:
    older_active, newer_active = seed.active_session_ids

    revoked = (await api.sessions.revoke_session(older_active)).revoked_session
    assert (revoked.session_id, revoked.status) == (older_active, "REVOKED")
    assert revoked.HasField("logout_at")
    after = await api.sessions.get_session(older_active)
    assert after.status == "REVOKED"
    assert after.HasField("logout_at")
    still_active = await api.sessions.get_user_sessions(seed.user_id, _filtered(status=["ACTIVE"]))
    assert session_ids(still_active) == [newer_active]

    # Revoking a session that already ended returns it unchanged.
    expired = (await api.sessions.revoke_session(seed.session_ids[0])).revoked_session
    assert expired.status == "EXPIRED"
    with pytest.raises(NotFoundError):
        await api.sessions.revoke_session("ses_missing")

    everything = await api.sessions.revoke_all_user_sessions(seed.user_id)
    assert everything.total_revoked == 1
    assert [(s.session_id, s.status) for s in everything.revoked_sessions] == [
        (newer_active, "REVOKED")
    ]
    assert (await api.sessions.get_session(newer_active)).status == "REVOKED"
    active_left = await api.sessions.get_user_sessions(seed.user_id, _filtered(status=["ACTIVE"]))
    assert list(active_left.sessions) == []
    # Nothing left to revoke.
    assert (await api.sessions.revoke_all_user_sessions(seed.user_id)).total_revoked == 0


@covers("sessions.get_user_sessions", "sessions.iter_user_sessions")
async def test_iter_user_sessions_walks_every_page_once(
    api: Api, seed: SeedData, scalekit_server: MockScalekitServer
) -> None:
    now = time.time()
    added = [
        scalekit_server.add_session(seed.user_id, seed.organization_id, created_at=now - i)
        for i in range(5)
    ]
    scalekit_server.add_session(
        seed.user_id, seed.organization_id, status="LOGGED_OUT", created_at=now
    )
    scalekit_server.add_session("usr_someone_else", seed.organization_id)
    every_active = [*seed.active_session_ids, *added]

    first = await api.sessions.get_user_sessions(
        seed.user_id, UserSessionsOptions(page_size=3, filter=UserSessionFilter(status=["ACTIVE"]))
    )
    assert session_ids(first) == every_active[:3]
    assert first.total_size == 7
    second = await api.sessions.get_user_sessions(
        seed.user_id,
        UserSessionsOptions(
            page_size=3,
            page_token=first.next_page_token,
            filter=UserSessionFilter(status=["ACTIVE"]),
        ),
    )
    assert session_ids(second) == every_active[3:6]

    pager = api.sessions.iter_user_sessions(
        seed.user_id, UserSessionsOptions(page_size=3, filter=UserSessionFilter(status=["ACTIVE"]))
    )
    assert_each_once(ids(await pager.items(), "session_id"), every_active)
    assert [len(p.sessions) for p in await pager.pages()] == [3, 3, 1]

    unfiltered = api.sessions.iter_user_sessions(seed.user_id, UserSessionsOptions(page_size=4))
    assert len(ids(await unfiltered.items(), "session_id")) == 9
