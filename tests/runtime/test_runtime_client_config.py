"""Construction: no I/O, typed precondition errors, transport security, ``from_env``."""

from __future__ import annotations

import pytest
from _runtime_harness import CLIENT_ID, CLIENT_SECRET, DomainServicer, Driver, TokenEndpoint

from scalekit_grpc import errors
from scalekit_grpc._config import InsecureTransportError

pytestmark = pytest.mark.timeout(10)


@pytest.mark.parametrize("secret", [None, ""])
def test_no_client_secret_fails_before_any_io(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint, secret: str | None
) -> None:
    client = driver.client(endpoint.url, CLIENT_ID, secret)
    with pytest.raises(errors.ClientSecretRequiredError) as info:
        driver.call(client)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, errors.ScalekitError)
    assert endpoint.requests == 0
    assert servicer.attempts == 0


def test_constructor_does_no_io(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    driver.client()
    # Nothing listens here: a constructor that connected would fail.
    driver.client(grpc_target="127.0.0.1:9")
    driver.client("http://127.0.0.1:9", CLIENT_ID, CLIENT_SECRET)
    assert endpoint.requests == 0
    assert servicer.attempts == 0


def test_the_token_request_is_client_credentials(driver: Driver, endpoint: TokenEndpoint) -> None:
    # A trailing slash on the env URL must not produce "//oauth/token" (the endpoint 404s).
    client = driver.client(endpoint.url + "/", CLIENT_ID, CLIENT_SECRET)
    assert client.env_url == endpoint.url
    driver.call(client)
    assert endpoint.forms == [
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    ]


@pytest.mark.parametrize(
    ("env_url", "client_id", "error"),
    [
        ("", CLIENT_ID, errors.EnvironmentUrlRequiredError),
        ("   ", CLIENT_ID, errors.EnvironmentUrlRequiredError),
        ("ftp://127.0.0.1", CLIENT_ID, errors.EnvironmentUrlRequiredError),
        ("https://", CLIENT_ID, errors.EnvironmentUrlRequiredError),
        ("http://127.0.0.1:1", "", errors.ClientIdRequiredError),
    ],
)
def test_required_arguments(
    driver: Driver, env_url: str, client_id: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        driver.client(env_url, client_id, CLIENT_SECRET)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, errors.ScalekitError)


@pytest.mark.parametrize(
    ("env_url", "grpc_target"),
    [
        ("http://example.com", None),
        ("http://10.1.2.3:8080", None),
        ("http://127.0.0.1:1", "example.com:50051"),
        ("http://localhost:1", "dns:///api.example.com:443"),
    ],
)
def test_plaintext_to_a_remote_host_needs_an_opt_in(
    driver: Driver, env_url: str, grpc_target: str | None
) -> None:
    with pytest.raises(InsecureTransportError) as info:
        driver.client(env_url, CLIENT_ID, CLIENT_SECRET, grpc_target=grpc_target)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, errors.ScalekitError)
    client = driver.client(
        env_url, CLIENT_ID, CLIENT_SECRET, grpc_target=grpc_target, allow_insecure=True
    )
    assert client.env_url == env_url


@pytest.mark.parametrize(
    ("env_url", "grpc_target"),
    [
        ("http://localhost:8080", None),
        ("http://127.0.0.1:8080", "127.0.0.1:50051"),
        ("http://[::1]:8080", None),
        ("https://acme.scalekit.com", None),  # TLS
        ("https://acme.scalekit.com", "grpc.acme.example:443"),  # TLS
    ],
)
def test_loopback_and_tls_need_no_opt_in(
    driver: Driver, env_url: str, grpc_target: str | None
) -> None:
    client = driver.client(env_url, CLIENT_ID, CLIENT_SECRET, grpc_target=grpc_target)
    assert client.env_url == env_url


def test_from_env_reads_the_three_variables(
    driver: Driver, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALEKIT_ENVIRONMENT_URL", endpoint.url)
    monkeypatch.setenv("SCALEKIT_CLIENT_ID", "env-client")
    monkeypatch.setenv("SCALEKIT_CLIENT_SECRET", "env-secret")
    client = driver.client(from_env=True, api_version="20250101")
    assert isinstance(client, driver.client_class)
    assert (client.env_url, client.client_id) == (endpoint.url, "env-client")
    driver.call(client)
    assert endpoint.forms[0]["client_id"] == "env-client"
    assert endpoint.forms[0]["client_secret"] == "env-secret"


def test_from_env_without_a_secret_or_url(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCALEKIT_ENVIRONMENT_URL", raising=False)
    monkeypatch.setenv("SCALEKIT_CLIENT_ID", "env-client")
    monkeypatch.delenv("SCALEKIT_CLIENT_SECRET", raising=False)
    with pytest.raises(errors.EnvironmentUrlRequiredError):
        driver.client(from_env=True)
    monkeypatch.setenv("SCALEKIT_ENVIRONMENT_URL", endpoint.url)
    client = driver.client(from_env=True)
    with pytest.raises(errors.ClientSecretRequiredError):
        driver.call(client)
    assert endpoint.requests == 0


def test_close_is_idempotent(driver: Driver) -> None:
    client = driver.client()
    driver.call(client)
    if driver.kind == "sync":
        with client:
            pass
        client.close()
    else:

        async def close_twice() -> None:
            async with client:
                pass
            await client.close()

        driver.run(close_twice())  # type: ignore[attr-defined]


def test_calls_after_close_fail_before_any_io(
    driver: Driver, servicer: DomainServicer, endpoint: TokenEndpoint
) -> None:
    client = driver.client()
    driver.call(client)
    if driver.kind == "sync":
        client.close()
    else:
        driver.run(client.close())  # type: ignore[attr-defined]
    with pytest.raises(errors.ClientClosedError) as info:
        driver.call(client)
    assert isinstance(info.value, errors.ScalekitError)
    assert (endpoint.requests, servicer.attempts) == (1, 1)
