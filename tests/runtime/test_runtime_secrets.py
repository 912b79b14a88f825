"""The client secret and access tokens never show up in logs, reprs, errors or tracebacks."""

from __future__ import annotations

import json
import logging
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from _runtime_harness import CLIENT_ID, DomainServicer, Driver, TokenEndpoint, fail
from scalekit_grpc.v1.errdetails import errdetails_pb2

from scalekit_grpc import errors

pytestmark = pytest.mark.timeout(20)
# Characters that change under URL and JSON encoding, so an echoed secret is found in any form.
SECRET = 'sek-Zq9/x+y=z&"ü'
TOKEN_PREFIX = "at-Vm7k-"


def _forms(value: str) -> set[str]:
    return {
        value,
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _texts(exc: BaseException) -> Iterator[str]:
    yield "".join(traceback.format_exception(exc))
    for link in _chain(exc):
        yield str(link)
        yield repr(link)
        yield repr(getattr(link, "args", ()))
        yield repr(vars(link)) if hasattr(link, "__dict__") else ""


def _assert_clean(texts: list[str], secrets: set[str]) -> None:
    needles = {form for secret in secrets for form in _forms(secret)}
    for text in texts:
        for needle in needles:
            assert needle not in text, f"secret leaked: {text[:300]!r}"


Scenario = Callable[[Driver, DomainServicer, TokenEndpoint], Any]


def _token_401_echoing_the_request(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    e.mode = "echo"
    return d.client(e.url, CLIENT_ID, SECRET)


def _token_500_with_the_secret_in_the_body(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    e.mode, e.status = "status", 500
    e.body = json.dumps({"error": "server_error", "detail": f"bad secret {SECRET}"}).encode()
    return d.client(e.url, CLIENT_ID, SECRET)


def _token_malformed_json(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    e.mode = "malformed"
    return d.client(e.url, CLIENT_ID, SECRET)


def _token_missing_access_token(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    e.mode = "no_token"
    return d.client(e.url, CLIENT_ID, SECRET)


def _token_endpoint_hangs(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    e.mode = "hang"
    return d.client(e.url, CLIENT_ID, SECRET, timeout=0.3)


def _rpc_always_unauthenticated(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    s.default = fail(grpc.StatusCode.UNAUTHENTICATED, "token rejected")
    return d.client(e.url, CLIENT_ID, SECRET)


def _rpc_error_with_details(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    info = errdetails_pb2.ErrorInfo(error_code="E")
    info.request_info.request_id = "req_1"
    s.default = fail(grpc.StatusCode.INVALID_ARGUMENT, "bad", error_info=info)
    return d.client(e.url, CLIENT_ID, SECRET)


def _rpc_hangs(d: Driver, s: DomainServicer, e: TokenEndpoint) -> Any:
    s.hang = True
    return d.client(e.url, CLIENT_ID, SECRET, timeout=0.3)


SCENARIOS: list[Scenario] = [
    _token_401_echoing_the_request,
    _token_500_with_the_secret_in_the_body,
    _token_malformed_json,
    _token_missing_access_token,
    _token_endpoint_hangs,
    _rpc_always_unauthenticated,
    _rpc_error_with_details,
    _rpc_hangs,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.strip("_"))
def test_no_secret_in_logs_reprs_errors_or_tracebacks(
    driver: Driver,
    servicer: DomainServicer,
    endpoint: TokenEndpoint,
    caplog: pytest.LogCaptureFixture,
    scenario: Scenario,
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint.token_prefix = TOKEN_PREFIX
    endpoint.modes.clear()
    client = scenario(driver, servicer, endpoint)
    with pytest.raises(errors.ScalekitError) as info:
        driver.call(client)
    issued = {f"{TOKEN_PREFIX}{n}" for n in range(1, endpoint.requests + 1)}
    texts = [
        repr(client),
        str(client),
        caplog.text,
        *(record.getMessage() for record in caplog.records),
        *(repr(record.args) for record in caplog.records),
        *_texts(info.value),
    ]
    _assert_clean(texts, {SECRET, *issued})
    # The checks above would find the secret if it were there.
    assert endpoint.requests >= 1
    assert SECRET in endpoint.forms[0]["client_secret"]


def test_no_secret_after_success_either(
    driver: Driver, endpoint: TokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint.token_prefix = TOKEN_PREFIX
    client = driver.client(endpoint.url, CLIENT_ID, SECRET)
    driver.call(client)
    texts = [repr(client), caplog.text, repr(client._tokens._token), repr(client._config)]
    _assert_clean(texts, {SECRET, f"{TOKEN_PREFIX}1"})


def test_missing_secret_error_names_no_secret(
    driver: Driver, endpoint: TokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = driver.client(endpoint.url, CLIENT_ID)
    with pytest.raises(errors.ClientSecretRequiredError) as info:
        driver.call(client)
    _assert_clean([*_texts(info.value), caplog.text, repr(client)], {SECRET})


def test_a_secret_cut_by_the_body_truncation_is_still_scrubbed(
    driver: Driver, endpoint: TokenEndpoint
) -> None:
    endpoint.mode, endpoint.status = "status", 400
    endpoint.body = ("x" * (8 * 1024 - 4) + SECRET + " trailing").encode()
    with pytest.raises(errors.AuthenticationError) as info:
        driver.call(driver.client(endpoint.url, CLIENT_ID, SECRET))
    assert info.value.body.startswith("xxxx")
    assert SECRET[:4] not in info.value.body
