"""Quickstart: one pass over each Scalekit service with scalekit-grpc.

Reads the client settings from the environment, like any service would:

    SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET
    SCALEKIT_GRPC_TARGET            optional; host:port when gRPC is not served at the env URL
    SCALEKIT_ORGANIZATION_ID        the organization to work in
    SCALEKIT_USER_ID                optional; a user whose sessions to list and revoke

`make demo` starts the embedded mock server with seed data and runs this script against it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid

from scalekit_grpc import (
    ApiError,
    CreateTokenOptions,
    DirectoryNotFoundError,
    ScalekitClient,
)


def _sign_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """What Scalekit does when it sends a webhook (Standard Webhooks, HMAC-SHA256)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def main() -> None:
    organization_id = os.environ["SCALEKIT_ORGANIZATION_ID"]
    user_id = os.environ.get("SCALEKIT_USER_ID", "")
    with ScalekitClient.from_env() as client:
        print(f"client: {client!r}")

        # Domains: create one, then walk every page of the organization's domains.
        name = f"quickstart-{uuid.uuid4().hex[:8]}.example.com"
        created = client.domains.create_domain(organization_id, name)
        print(f"domains: created {created.domain.domain} ({created.domain.id})")
        names = [domain.domain for domain in client.domains.iter_domains(organization_id)]
        print(f"domains: the organization has {len(names)}: {', '.join(sorted(names))}")

        # Connections: the organization's SSO connections.
        connections = client.connections.list_connections(organization_id).connections
        for connection in connections:
            print(f"connections: {connection.id} enabled={connection.enabled}")

        # API tokens: create one for the organization and validate it like an API would.
        token = client.tokens.create_token(
            organization_id,
            CreateTokenOptions(description="quickstart", custom_claims={"team": "docs"}),
        )
        print(f"tokens: created {token.token_id} (ends in ...{token.token_info.token_suffix})")
        info = client.tokens.validate_token(token.token).token_info
        claims = dict(info.custom_claims)
        print(f"tokens: valid for organization {info.organization_id}, claims {claims}")
        client.tokens.invalidate_token(token.token)
        print("tokens: invalidated")

        # Directories: the primary directory and its users, page after page.
        try:
            directory = client.directories.get_primary_directory_by_organization_id(organization_id)
        except DirectoryNotFoundError:
            print("directories: the organization has no directory")
        else:
            users = client.directories.iter_directory_users(organization_id, directory.id)
            emails = [user.email for user in users]
            print(f"directories: {directory.id} has {len(emails)} users: {', '.join(emails)}")

        # Sessions: list the user's sessions and revoke the first active one.
        if user_id:
            sessions = list(client.sessions.iter_user_sessions(user_id))
            print(f"sessions: {user_id} has {len(sessions)} sessions")
            active = [s for s in sessions if s.status == "ACTIVE"]
            if active:
                revoked = client.sessions.revoke_session(active[0].session_id)
                print(f"sessions: revoked {revoked.revoked_session.session_id}")

        # Access tokens: fetch one with the client credentials and validate it (JWKS, RS256).
        access_token = client.get_client_access_token()
        print(f"auth: access token valid = {client.validate_access_token(access_token)}")
        token_claims = client.get_access_token_claims(access_token)
        print(f"auth: subject {token_claims.sub!r}, issuer {token_claims.iss!r}")

        # Webhooks: verify a payload signed the way Scalekit signs them.
        webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        body = json.dumps({"type": "organization.created", "id": organization_id}).encode()
        now = int(time.time())
        headers = {
            "webhook-id": "msg_quickstart",
            "webhook-timestamp": str(now),
            "webhook-signature": _sign_webhook(webhook_secret, "msg_quickstart", now, body),
        }
        verified = client.verify_webhook_payload(webhook_secret, headers, body)
        print(f"webhooks: signature verified = {verified}")


if __name__ == "__main__":
    try:
        main()
    except ApiError as exc:
        raise SystemExit(f"quickstart failed: {exc}") from exc
