"""The mock's HTTP side over real loopback HTTP (urllib): grants, PKCE, JWKS, logout, faults."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import urllib.error
import urllib.parse
from typing import Any

import grpc
import jwt
import pytest
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.sessions import sessions_pb2_grpc

from scalekit_grpc.testing import MockScalekitServer

REDIRECT = "https://app.example/callback"


def verify(server: MockScalekitServer, http: Any, token: str, **kw: Any) -> dict[str, Any]:
    """Verify a JWT against the JWKS the server publishes at /keys."""
    jwks = jwt.PyJWKSet.from_dict(http("GET", f"{server.env_url}/keys").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=server.client_id,
        issuer=server.env_url,
        **kw,
    )


def client_credentials(server: MockScalekitServer, http: Any, **extra: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        **extra,
    }
    return http("POST", f"{server.env_url}/oauth/token", form=form)


def authorize(server: MockScalekitServer, http: Any, **params: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": server.client_id,
        "redirect_uri": REDIRECT,
        **params,
    }
    reply = http("GET", f"{server.env_url}/oauth/authorize?{urllib.parse.urlencode(query)}")
    assert reply.status == 302, reply.body
    location = reply.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def exchange(server: MockScalekitServer, http: Any, code: str, **extra: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        **extra,
    }
    return http("POST", f"{server.env_url}/oauth/token", form={k: v for k, v in form.items() if v})


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    return verifier, challenge


# --- client credentials ---


def test_client_credentials_token_is_a_signed_jwt_that_authorizes_rpcs(
    server, http, channel
) -> None:
    reply = client_credentials(server, http, scope="usr:read usr:write")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    assert body["expires_in"] == 3600
    assert jwt.get_unverified_header(body["access_token"])["kid"] == server.current_kid
    claims = verify(server, http, body["access_token"])
    assert claims["sub"] == claims["client_id"] == server.client_id
    assert claims["aud"] == [server.client_id]
    assert claims["scopes"] == ["usr:read", "usr:write"]
    assert claims["jti"]
    assert claims["iat"] <= claims["nbf"] < claims["exp"]

    stub = sessions_pb2_grpc.SessionServiceStub(channel)
    md = (("authorization", f"Bearer {body['access_token']}"),)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetSession(ss.SessionDetailsRequest(session_id="ses_1"), metadata=md, timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND  # authenticated
    assert server.http_counts["/oauth/token"] == 1
    assert server.http_requests[0].form["grant_type"] == "client_credentials"


def test_client_authentication_rules(server, http) -> None:
    bad = client_credentials(server, http, client_secret="wrong")
    assert bad.status == 401
    assert bad.json()["error"] == "invalid_client"
    unknown = client_credentials(server, http, client_id="skc_other")
    assert unknown.status == 401
    assert unknown.json() == {
        "error": "invalid_client",
        "error_description": "unknown client",
    }
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    via_basic = http(
        "POST",
        f"{server.env_url}/oauth/token",
        form={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert via_basic.status == 200
    assert "access_token" in via_basic.json()
    odd = client_credentials(server, http, grant_type="password")
    assert odd.status == 400
    assert odd.json()["error"] == "unsupported_grant_type"
    assert http("GET", f"{server.env_url}/oauth/token").status == 405
    assert http("GET", f"{server.env_url}/nope").status == 404


# --- authorization code, PKCE, refresh ---


def test_authorization_code_flow_with_nonce_and_state(server, http, api) -> None:
    seed = server.seed()
    params = authorize(server, http, state="st-1", nonce="n-1", scope="openid email offline_access")
    assert params["state"] == "st-1"
    assert params["code"]
    reply = exchange(server, http, params["code"])
    assert reply.status == 200, reply.body
    body = reply.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= body.keys()
    assert body["token_type"] == "Bearer"

    id_claims = verify(server, http, body["id_token"])
    assert id_claims["sub"] == seed.user_id
    assert id_claims["email"] == seed.user_email
    assert id_claims["email_verified"] is True
    assert id_claims["name"] == "Alice Anders"
    assert (id_claims["given_name"], id_claims["family_name"]) == ("Alice", "Anders")
    assert id_claims["oid"] == seed.organization_id
    assert id_claims["amr"] == [seed.connection_id]
    assert id_claims["nonce"] == "n-1"
    assert id_claims["azp"] == server.client_id
    access = verify(server, http, body["access_token"])
    assert access["sub"] == seed.user_id
    assert access["scope"] == "openid email offline_access"
    assert access["sid"] == id_claims["sid"]
    assert access["oid"] == seed.organization_id

    session = api.sessions.GetSession(ss.SessionDetailsRequest(session_id=id_claims["sid"]))
    assert session.user_id == seed.user_id
    assert session.status == "ACTIVE"

    reused = exchange(server, http, params["code"])
    assert reused.status == 400
    assert reused.json()["error"] == "invalid_grant"
    other = authorize(server, http)
    assert "state" not in other
    mismatch = exchange(server, http, other["code"], redirect_uri="https://evil.example/cb")
    assert mismatch.status == 400
    assert mismatch.json()["error"] == "invalid_grant"


def test_authorize_login_hint_organization_and_bad_requests(server, http) -> None:
    user = server.register_user("dana@corp.example", organization_id="org_corp", given_name="Dana")
    params = authorize(server, http, login_hint="dana@corp.example")
    claims = verify(server, http, exchange(server, http, params["code"]).json()["id_token"])
    assert (claims["sub"], claims["oid"], claims["given_name"]) == (
        user.user_id,
        "org_corp",
        "Dana",
    )
    params = authorize(server, http, organization_id="org_pick", connection_id="conn_pick")
    claims = verify(server, http, exchange(server, http, params["code"]).json()["id_token"])
    assert (claims["oid"], claims["amr"]) == ("org_pick", ["conn_pick"])
    assert "nonce" not in claims

    base = f"{server.env_url}/oauth/authorize?"
    wrong_client = http(
        "GET", base + urllib.parse.urlencode({"client_id": "x", "redirect_uri": REDIRECT})
    )
    assert wrong_client.status == 400
    relative = {"client_id": server.client_id, "redirect_uri": "/cb", "response_type": "code"}
    assert http("GET", base + urllib.parse.urlencode(relative)).status == 400
    assert authorize(server, http, response_type="token")["error"] == "unsupported_response_type"


def test_pkce_s256_success_and_failures(server, http) -> None:
    verifier, challenge = pkce()
    params = authorize(server, http, code_challenge=challenge, code_challenge_method="S256")
    public = exchange(server, http, params["code"], client_secret="", code_verifier=verifier)
    assert public.status == 200, public.body  # a public client: no secret with PKCE
    assert verify(server, http, public.json()["id_token"])["sub"] == server.default_user.user_id

    params = authorize(server, http, code_challenge=challenge, code_challenge_method="S256")
    wrong = exchange(server, http, params["code"], code_verifier=pkce()[0])
    assert wrong.status == 400
    assert wrong.json()["error"] == "invalid_grant"
    params = authorize(server, http, code_challenge=challenge, code_challenge_method="S256")
    missing = exchange(server, http, params["code"])
    assert missing.status == 400
    assert "code_verifier" in missing.json()["error_description"]
    plain = authorize(server, http, code_challenge=challenge, code_challenge_method="plain")
    assert plain["error"] == "invalid_request"
    assert "code" not in plain
    # without PKCE a confidential client must authenticate
    params = authorize(server, http)
    assert exchange(server, http, params["code"], client_secret="").status == 401


def test_refresh_token_rotates_and_dies_with_the_session(server, http, api) -> None:
    params = authorize(server, http, nonce="n")
    first = exchange(server, http, params["code"]).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": server.client_id,
        "client_secret": server.client_secret,
    }
    second = http("POST", f"{server.env_url}/oauth/token", form=form)
    assert second.status == 200, second.body
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    claims = verify(server, http, body["id_token"])
    assert "nonce" not in claims
    assert claims["sid"] == verify(server, http, first["id_token"])["sid"]

    replay = http("POST", f"{server.env_url}/oauth/token", form=form)
    assert replay.status == 400
    assert replay.json()["error"] == "invalid_grant"

    api.sessions.RevokeSession(ss.RevokeSessionRequest(session_id=claims["sid"]))
    ended = http(
        "POST",
        f"{server.env_url}/oauth/token",
        form={**form, "refresh_token": body["refresh_token"]},
    )
    assert ended.status == 400
    assert ended.json()["error"] == "invalid_grant"


# --- keys ---


def test_rotate_keys_changes_kid_and_jwks(server, http) -> None:
    old_kid = server.current_kid
    old_token = client_credentials(server, http).json()["access_token"]
    jwks = http("GET", f"{server.env_url}/keys").json()
    assert [k["kid"] for k in jwks["keys"]] == [old_kid]
    assert jwks["keys"][0]["kty"] == "RSA"
    assert jwks["keys"][0]["alg"] == "RS256"

    new_kid = server.rotate_keys()
    assert new_kid != old_kid
    assert server.current_kid == new_kid
    assert [k["kid"] for k in http("GET", f"{server.env_url}/keys").json()["keys"]] == [
        new_kid,
        old_kid,
    ]
    new_token = client_credentials(server, http).json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    verify(server, http, new_token)
    verify(server, http, old_token)

    newest = server.rotate_keys(keep_old=False)
    assert [k["kid"] for k in http("GET", f"{server.env_url}/keys").json()["keys"]] == [newest]
    with pytest.raises(StopIteration):
        verify(server, http, new_token)


# --- logout and discovery ---


def test_logout_ends_the_session_and_redirects(server, http, api) -> None:
    body = exchange(server, http, authorize(server, http)["code"]).json()
    sid = verify(server, http, body["id_token"])["sid"]
    query = urllib.parse.urlencode(
        {
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "https://app.example/bye",
            "state": "s",
        }
    )
    reply = http("GET", f"{server.env_url}/oidc/logout?{query}")
    assert reply.status == 302
    assert reply.headers["Location"] == "https://app.example/bye?state=s"
    assert api.sessions.GetSession(ss.SessionDetailsRequest(session_id=sid)).status == "LOGGED_OUT"
    assert http("GET", f"{server.env_url}/oidc/logout").status == 200
    assert server.http_counts["/oidc/logout"] == 2

    discovery = http("GET", f"{server.env_url}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == server.env_url
    assert discovery["jwks_uri"] == f"{server.env_url}/keys"
    assert discovery["code_challenge_methods_supported"] == ["S256"]


# --- token endpoint faults ---


def test_fail_token_endpoint_counts_down(server, http) -> None:
    server.fail_token_endpoint(status=503, count=2)
    for _ in range(2):
        reply = client_credentials(server, http)
        assert reply.status == 503
        assert reply.json()["error"] == "temporarily_unavailable"
    assert client_credentials(server, http).status == 200
    server.fail_token_endpoint(status=500, body="boom")
    reply = client_credentials(server, http)
    assert (reply.status, reply.body, reply.headers["Content-Type"]) == (500, b"boom", "text/plain")
    assert server.http_counts["/oauth/token"] == 4


@pytest.mark.parametrize("kind", ["not_json", "missing_access_token", "empty"])
def test_malformed_token_response(server, http, kind: str) -> None:
    server.malformed_token_response(kind=kind)
    reply = client_credentials(server, http)
    assert reply.status == 200
    if kind == "missing_access_token":
        assert "access_token" not in reply.json()
    else:
        with pytest.raises(ValueError):
            reply.json()
    assert "access_token" in client_credentials(server, http).json()


def test_delay_token_endpoint_hangs_then_recovers(server, http) -> None:
    server.delay_token_endpoint(10, count=1)
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        client_credentials_with_timeout(server, 0.3)
    assert client_credentials(server, http).status == 200


def client_credentials_with_timeout(server: MockScalekitServer, timeout: float) -> None:
    import urllib.request

    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
        }
    ).encode()
    with urllib.request.urlopen(f"{server.env_url}/oauth/token", data=form, timeout=timeout):
        pass
