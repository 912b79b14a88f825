"""`python -m scalekit_grpc.testing serve` in a subprocess: one JSON line, then serve."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import grpc
import pytest
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.domains import domains_pb2_grpc

from scalekit_grpc.testing import MockScalekitServer


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_one_json_line_serves_and_stops(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scalekit_grpc.testing",
            "serve",
            "--seed",
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert {"env_url", "grpc_target", "client_id", "client_secret"} <= line.keys()
        assert line["env_url"].startswith("http://127.0.0.1:")
        seed = line["seed"]

        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": line["client_id"],
                "client_secret": line["client_secret"],
            }
        ).encode()
        with urllib.request.urlopen(
            f"{line['env_url']}/oauth/token", data=form, timeout=10
        ) as resp:
            token = json.load(resp)["access_token"]
        with grpc.insecure_channel(line["grpc_target"]) as channel:
            reply = domains_pb2_grpc.DomainServiceStub(channel).ListDomains(
                dm.ListDomainRequest(organization_id=seed["organization_id"]),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )
        assert [d.domain for d in reply.domains] == [seed["domain"]]

        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
        assert proc.stdout.read() == ""  # nothing after the JSON line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_reports_a_busy_port_on_stderr() -> None:
    with MockScalekitServer() as busy:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scalekit_grpc.testing",
                "serve",
                "--http-port",
                str(busy.http_port),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "cannot start" in result.stderr
