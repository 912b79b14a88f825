"""The mock server's machinery: lifecycle, auth, recording, faults, reflection, health, load."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.domains import domains_pb2_grpc
from scalekit_grpc.v1.errdetails import errdetails_pb2
from scalekit_grpc.v1.sessions import sessions_pb2 as ss

from scalekit_grpc.testing import MockScalekitServer, RecordedRequest

FIVE_SERVICES = {
    "scalekit.v1.tokens.ApiTokenService",
    "scalekit.v1.domains.DomainService",
    "scalekit.v1.connections.ConnectionService",
    "scalekit.v1.directories.DirectoryService",
    "scalekit.v1.sessions.SessionService",
}


def _get_domain(org: str = "org_1", dom: str = "dom_1") -> dm.GetDomainRequest:
    return dm.GetDomainRequest(organization_id=org, id=dom)


# --- lifecycle and identity ---


def test_addresses_credentials_and_repr() -> None:
    server = MockScalekitServer(client_id="skc_fixed", client_secret="shh-very-secret")
    with pytest.raises(RuntimeError):
        _ = server.env_url
    with server:
        assert server.env_url == f"http://127.0.0.1:{server.http_port}"
        assert server.grpc_target == f"127.0.0.1:{server.grpc_port}"
        assert server.grpc_port != server.http_port
        assert server.client_id == "skc_fixed"
        assert server.client_secret == "shh-very-secret"
        assert "shh-very-secret" not in repr(server)
        assert "skc_fixed" in repr(server)
    server.stop()  # idempotent


def test_generated_credentials_are_random_and_hidden() -> None:
    a, b = MockScalekitServer(), MockScalekitServer()
    assert a.client_id != b.client_id
    assert a.client_secret != b.client_secret
    assert len(a.client_secret) >= 32
    assert a.client_secret not in repr(a)


def test_fixed_port_in_use_fails_to_start(server: MockScalekitServer) -> None:
    other = MockScalekitServer(grpc_port=server.grpc_port)
    with pytest.raises(OSError):
        other.start()


def test_method_names_are_validated(server: MockScalekitServer) -> None:
    with pytest.raises(ValueError, match="unknown Scalekit RPC"):
        server.fail_next("NoSuchMethod", grpc.StatusCode.INTERNAL)
    with pytest.raises(ValueError):
        server.fail_next("GetDomain", grpc.StatusCode.OK)


# --- auth ---


def test_no_token_is_unauthenticated(server, channel, error_info) -> None:
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetDomain(_get_domain(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(caught.value).error_code == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Basic abc", "Bearer ", "bearer"],
)
def test_bad_tokens_are_unauthenticated(server, channel, header: str) -> None:
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetDomain(_get_domain(), metadata=(("authorization", header),), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_valid_token_then_expired_then_fresh(server, channel, api) -> None:
    org = "org_auth"
    api.domains.ListDomains(dm.ListDomainRequest(organization_id=org))
    server.expire_tokens()
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.ListDomains(dm.ListDomainRequest(organization_id=org))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in caught.value.details()
    fresh = server.issue_access_token()
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    stub.ListDomains(
        dm.ListDomainRequest(organization_id=org),
        metadata=(("authorization", f"Bearer {fresh}"),),
        timeout=5,
    )


def test_revoked_token_is_unauthenticated(server, api) -> None:
    assert server.revoke_token(api.token) is True
    assert server.revoke_token(api.token) is False
    with pytest.raises(grpc.RpcError) as caught:
        api.sessions.GetSession(ss.SessionDetailsRequest(session_id="ses_1"))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_zero_token_lifetime_issues_expired_tokens(server, channel) -> None:
    server.token_lifetime = 0
    token = server.issue_access_token()
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetDomain(_get_domain(), metadata=(("authorization", f"Bearer {token}"),), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(ValueError):
        server.token_lifetime = -1


# --- recording ---


def test_requests_record_method_message_metadata_and_deadline(server, api) -> None:
    with pytest.raises(grpc.RpcError):
        api.domains.GetDomain(
            _get_domain(), timeout=None, metadata=(("authorization", f"Bearer {api.token}"),)
        )
    with pytest.raises(grpc.RpcError):
        api.domains.GetDomain(_get_domain(dom="dom_2"), timeout=7.5)
    first, second = server.requests
    assert isinstance(first, RecordedRequest)
    assert first.method == "/scalekit.v1.domains.DomainService/GetDomain"
    assert first.name == "GetDomain"
    assert first.request == _get_domain()
    assert first.time_remaining is None
    assert first.header("x-api-version") is None
    assert second.header("x-api-version") == "20260312"
    assert second.header("Authorization") == f"Bearer {api.token}"
    assert second.time_remaining is not None
    assert 0 < second.time_remaining <= 7.6
    assert server.requests_for("DomainService/GetDomain") == [first, second]
    server.clear_requests()
    assert server.requests == []


def test_recording_is_bounded() -> None:
    server = MockScalekitServer(max_recorded_requests=3)
    with server, grpc.insecure_channel(server.grpc_target) as ch:
        stub = domains_pb2_grpc.DomainServiceStub(ch)
        md = (("authorization", f"Bearer {server.issue_access_token()}"),)
        for i in range(5):
            with pytest.raises(grpc.RpcError):
                stub.GetDomain(_get_domain(dom=f"dom_{i}"), metadata=md, timeout=5)
        assert [r.request.id for r in server.requests] == ["dom_2", "dom_3", "dom_4"]


def test_reset_clears_state_faults_records_and_tokens(server, api) -> None:
    api.domains.CreateDomain(
        dm.CreateDomainRequest(
            organization_id="org_r", domain=dm.CreateDomain(domain="r.example.com")
        )
    )
    server.fail_next("GetDomain", grpc.StatusCode.UNAVAILABLE)
    server.token_lifetime = 5
    server.reset()
    assert server.requests == []
    assert server.token_lifetime == 3600.0
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.ListDomains(dm.ListDomainRequest(organization_id="org_r"))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED  # tokens are state too
    api2_token = server.issue_access_token()
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = domains_pb2_grpc.DomainServiceStub(ch)
        md = (("authorization", f"Bearer {api2_token}"),)
        listed = stub.ListDomains(dm.ListDomainRequest(organization_id="org_r"), metadata=md)
        assert list(listed.domains) == []
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetDomain(_get_domain(), metadata=md)
        assert caught.value.code() is grpc.StatusCode.NOT_FOUND  # the injected fault is gone


# --- faults ---


def test_fail_next_honours_count_then_recovers(server, api, error_info) -> None:
    api.domains.CreateDomain(
        dm.CreateDomainRequest(
            organization_id="org_f", domain=dm.CreateDomain(domain="f.example.com")
        )
    )
    server.fail_next("ListDomains", grpc.StatusCode.UNAVAILABLE, count=2, message="try later")
    request = dm.ListDomainRequest(organization_id="org_f")
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as caught:
            api.domains.ListDomains(request)
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        assert caught.value.details() == "try later"
        assert error_info(caught.value).error_code == "UNAVAILABLE"
    assert len(api.domains.ListDomains(request).domains) == 1


def test_fail_next_full_path_wildcard_and_custom_error_info(server, api, error_info) -> None:
    custom = errdetails_pb2.ErrorInfo(error_code="RATE_LIMITED")
    custom.help_info.links.add(description="docs", url="https://docs.example/limits")
    server.fail_next(
        "/scalekit.v1.domains.DomainService/GetDomain",
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        error_info=custom,
    )
    server.fail_next("*", grpc.StatusCode.INTERNAL)
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.GetDomain(_get_domain())
    info = error_info(caught.value)
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert info.error_code == "RATE_LIMITED"
    assert info.help_info.links[0].url == "https://docs.example/limits"
    with pytest.raises(grpc.RpcError) as caught:
        api.sessions.GetSession(ss.SessionDetailsRequest(session_id="ses_1"))
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    with pytest.raises(grpc.RpcError) as caught:
        api.sessions.GetSession(ss.SessionDetailsRequest(session_id="ses_1"))
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


def test_fail_next_does_not_fire_on_unauthenticated_calls(server, channel, api) -> None:
    server.fail_next("GetDomain", grpc.StatusCode.UNAVAILABLE)
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetDomain(_get_domain(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.GetDomain(_get_domain())
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE


def test_delay_is_observed_as_deadline_exceeded(server, api) -> None:
    server.delay("GetDomain", 30)
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.GetDomain(_get_domain(), timeout=0.2)
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert server.requests[-1].time_remaining is not None
    # other methods are not delayed; clearing the delay restores the method
    api.domains.ListDomains(dm.ListDomainRequest(organization_id="org_1"), timeout=5)
    server.delay("GetDomain", None)
    with pytest.raises(grpc.RpcError) as caught:
        api.domains.GetDomain(_get_domain(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


# --- reflection and health ---


def test_reflection_lists_the_five_services(server, channel) -> None:
    reflection_db = pytest.importorskip(
        "grpc_reflection.v1alpha.proto_reflection_descriptor_database"
    )
    db = reflection_db.ProtoReflectionDescriptorDatabase(channel)
    services = set(db.get_services())
    assert services >= FIVE_SERVICES
    assert "grpc.health.v1.Health" in services
    descriptor = db.FindFileContainingSymbol("scalekit.v1.domains.DomainService")
    assert descriptor.package == "scalekit.v1.domains"


def test_health_is_serving(server, channel) -> None:
    pytest.importorskip("grpc_health.v1.health")
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    for service in ["", *sorted(FIVE_SERVICES)]:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


# --- concurrency ---


def test_sixteen_threads_creating_domains_store_sixteen(server, api) -> None:
    org = "org_concurrent"
    barrier = threading.Barrier(16)

    def create(i: int) -> str:
        barrier.wait()
        reply = api.domains.CreateDomain(
            dm.CreateDomainRequest(
                organization_id=org, domain=dm.CreateDomain(domain=f"d{i}.example.com")
            )
        )
        return str(reply.domain.id)

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(create, range(16)))
    assert len(set(ids)) == 16
    listed = api.domains.ListDomains(
        dm.ListDomainRequest(organization_id=org, page_size={"value": 100})
    )
    assert {d.id for d in listed.domains} == set(ids)


def test_many_concurrent_calls_are_served(server, api) -> None:
    request = dm.ListDomainRequest(organization_id="org_load")
    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = [pool.submit(api.domains.ListDomains, request) for _ in range(256)]
        assert all(f.result().page_number == 1 for f in futures)
    assert len(server.requests_for("ListDomains")) == 256


_CORE_ONLY_SCRIPT = """
import sys
for name in ("grpc_reflection", "grpc_health", "pytest_asyncio"):
    sys.modules[name] = None  # any import of them now fails
import scalekit_grpc.testing.pytest_plugin
assert "grpc" not in sys.modules, "loading the plugin must import nothing heavy"

import grpc
from scalekit_grpc.testing import MockScalekitServer
from scalekit_grpc.v1.domains import domains_pb2 as dm, domains_pb2_grpc

with MockScalekitServer() as server, grpc.insecure_channel(server.grpc_target) as channel:
    md = (("authorization", "Bearer " + server.issue_access_token()),)
    stub = domains_pb2_grpc.DomainServiceStub(channel)
    stub.ListDomains(dm.ListDomainRequest(organization_id="org_1"), metadata=md, timeout=5)
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    try:
        check(b"", timeout=5)
    except grpc.RpcError as exc:
        assert exc.code() is grpc.StatusCode.UNIMPLEMENTED, exc.code()
    else:
        raise AssertionError("no health service expected")
print("ok")
"""


def test_runs_without_the_testing_extra() -> None:
    """Only the core runtime: no grpcio-reflection, grpcio-health-checking or pytest-asyncio."""
    result = subprocess.run(
        [sys.executable, "-c", _CORE_ONLY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
