"""The pytest plugin, exercised from throwaway test modules (pytester)."""

from __future__ import annotations

import os
import socket

import pytest

pytest_plugins = ["pytester"]


def _args() -> list[str]:
    # The plugin loads through its pytest11 entry point; name it when autoloading is off.
    # Hypothesis' plugin imports all of hypothesis at session end (pytester re-imports it on
    # every in-process run): skip it, it is irrelevant here.
    args = ["-p", "no:hypothesispytest", "-p", "no:cacheprovider"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "scalekit_grpc"]
    return args


@pytest.fixture(autouse=True)
def _inner_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_scalekit_server_is_shared_and_reset_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import grpc
        import pathlib

        SEEN = []

        def test_first(scalekit_server):
            seed = scalekit_server.seed()
            assert seed.organization_id.startswith("org_")
            scalekit_server.fail_next("GetDomain", grpc.StatusCode.INTERNAL)
            scalekit_server.issue_access_token()
            SEEN.append((scalekit_server.env_url, scalekit_server.default_user.user_id))

        def test_second(scalekit_server):
            env_url, seeded_user = SEEN[0]
            assert scalekit_server.env_url == env_url        # one server per session
            assert scalekit_server.default_user.user_id != seeded_user  # state was reset
            assert scalekit_server.requests == []
            scalekit_server.stop()  # the next test gets a new server

        def test_third(scalekit_server):
            assert scalekit_server.running
            assert scalekit_server.env_url != SEEN[0][0]
            pathlib.Path("env_url.txt").write_text(scalekit_server.env_url)
        """
    )
    result = pytester.runpytest_inprocess(*_args())
    result.assert_outcomes(passed=3)
    env_url = (pytester.path / "env_url.txt").read_text()
    port = int(env_url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the session's server was stopped at the end of the run


def test_client_fixtures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("scalekit_grpc.client")
    pytest.importorskip("scalekit_grpc.aio")
    pytester.makepyfile(
        """
        import pytest
        from scalekit_grpc.v1.domains import domains_pb2 as dm

        def test_sync(scalekit_server, scalekit_client):
            seed = scalekit_server.seed()
            reply = scalekit_client.stubs.domains.ListDomains(
                dm.ListDomainRequest(organization_id=seed.organization_id)
            )
            assert [d.id for d in reply.domains] == [seed.domain_id]
            assert scalekit_server.http_counts["/oauth/token"] == 1

        @pytest.mark.asyncio
        async def test_async(scalekit_server, async_scalekit_client):
            seed = scalekit_server.seed()
            reply = await async_scalekit_client.stubs.domains.ListDomains(
                dm.ListDomainRequest(organization_id=seed.organization_id)
            )
            assert [d.id for d in reply.domains] == [seed.domain_id]
        """
    )
    result = pytester.runpytest_inprocess(*_args())
    result.assert_outcomes(passed=2)
