"""What every benchmark needs: the server process, clients, raw stubs and the calls to compare.

Each row compares the client with the raw generated stub doing the same work on a plain channel
to the same server, sending the same metadata (``authorization`` with a token from the server's
token endpoint, ``x-api-version``, ``x-sdk-version``) and the same 10 s deadline the client puts
on every call by default. Both sides build their request message on every call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

import grpc
import grpc.aio
from scalekit_grpc.v1.domains import domains_pb2, domains_pb2_grpc

from benchmarks._harness import Settings
from benchmarks._server import ServerProcess
from scalekit_grpc import _config
from scalekit_grpc.aio import AsyncScalekitClient
from scalekit_grpc.client import ScalekitClient

RAW_TIMEOUT = _config.DEFAULT_TIMEOUT
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The client's channel arguments (just its user agent): gRPC shares one subchannel, hence one
# TCP connection, between channels with equal arguments, so the raw stub and the client talk
# over the same connection (and the same server-side poller); only the code path differs.
RAW_OPTIONS = (("grpc.primary_user_agent", _config.user_agent()),)


def fetch_token(env_url: str, client_id: str, client_secret: str) -> str:
    """A client-credentials access token from the server's token endpoint (the raw side's)."""
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    ).encode()
    request = urllib.request.Request(
        f"{env_url}/oauth/token",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


class Env:
    """One benchmark run: the server process plus factories for both sides of each row."""

    def __init__(self, settings: Settings, server: ServerProcess) -> None:
        self.settings = settings
        self.sections: list[tuple[str, str]] = []
        """Extra text printed under the table (title, body), e.g. the import-time breakdown."""
        self.server = server
        self.org_id: str = server.seed["organization_id"]
        self.domain_id: str = server.seed["domain_id"]
        self.directory_id: str = server.seed["directory_id"]

    # --- the raw side --------------------------------------------------------------------------

    def raw_metadata(self) -> tuple[tuple[str, str], ...]:
        token = fetch_token(self.server.env_url, self.server.client_id, self.server.client_secret)
        return (
            ("authorization", f"Bearer {token}"),
            *(
                ("x-api-version", _config.DEFAULT_API_VERSION),
                ("x-sdk-version", _config.SDK_VERSION),
            ),
        )

    @cached_property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """One valid token's metadata, shared by the raw calls of the run."""
        return self.raw_metadata()

    def renew_raw_token(self) -> None:
        """Forget the raw side's token (after ``expire_tokens``); the next use fetches one."""
        self.__dict__.pop("metadata", None)

    def raw_channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.server.grpc_target, options=RAW_OPTIONS)

    def raw_aio_channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(self.server.grpc_target, options=RAW_OPTIONS)

    def raw_get_domain(self, channel: grpc.Channel) -> Callable[[], object]:
        stub = domains_pb2_grpc.DomainServiceStub(channel)
        get, request = stub.GetDomain, domains_pb2.GetDomainRequest
        org_id, domain_id, metadata = self.org_id, self.domain_id, self.metadata

        def call() -> object:
            return get(
                request(organization_id=org_id, id=domain_id),
                timeout=RAW_TIMEOUT,
                metadata=metadata,
            )

        return call

    def raw_aget_domain(self, channel: grpc.aio.Channel) -> Callable[[], Awaitable[object]]:
        stub = domains_pb2_grpc.DomainServiceStub(channel)
        get, request = stub.GetDomain, domains_pb2.GetDomainRequest
        org_id, domain_id, metadata = self.org_id, self.domain_id, self.metadata

        def call() -> Awaitable[object]:
            return get(
                request(organization_id=org_id, id=domain_id),
                timeout=RAW_TIMEOUT,
                metadata=metadata,
            )

        return call

    # --- the client side -----------------------------------------------------------------------

    def client(self, **kwargs: Any) -> ScalekitClient:
        return ScalekitClient(
            self.server.env_url,
            self.server.client_id,
            self.server.client_secret,
            grpc_target=self.server.grpc_target,
            **kwargs,
        )

    def async_client(self, **kwargs: Any) -> AsyncScalekitClient:
        return AsyncScalekitClient(
            self.server.env_url,
            self.server.client_id,
            self.server.client_secret,
            grpc_target=self.server.grpc_target,
            **kwargs,
        )

    def get_domain(self, client: ScalekitClient) -> Callable[[], object]:
        """The pipeline call of the unary rows."""
        method, org_id, domain_id = client.domains.get_domain, self.org_id, self.domain_id

        def call() -> object:
            return method(org_id, domain_id)

        return call

    def aget_domain(self, client: AsyncScalekitClient) -> Callable[[], Awaitable[object]]:
        method, org_id, domain_id = client.domains.get_domain, self.org_id, self.domain_id

        def call() -> Awaitable[object]:
            return method(org_id, domain_id)

        return call

    # --- child processes -----------------------------------------------------------------------

    def child_env(self) -> dict[str, str]:
        """Environment for `benchmarks._child`: where the server is and how to call it."""
        env = dict(os.environ)
        env.update(
            {
                "BENCH_ENV_URL": self.server.env_url,
                "BENCH_GRPC_TARGET": self.server.grpc_target,
                "BENCH_CLIENT_ID": self.server.client_id,
                "BENCH_CLIENT_SECRET": self.server.client_secret,
                "BENCH_ORG_ID": self.org_id,
                "BENCH_DOMAIN_ID": self.domain_id,
                "BENCH_AUTHORIZATION": dict(self.metadata)["authorization"],
                "BENCH_API_VERSION": _config.DEFAULT_API_VERSION,
                "BENCH_SDK_VERSION": _config.SDK_VERSION,
            }
        )
        return env


def run_child(env: Env, *args: str) -> dict[str, Any]:
    """Run ``python -m benchmarks._child ARGS`` against this run's server; its JSON reply."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._child", *args],
        cwd=ROOT,
        env=env.child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
