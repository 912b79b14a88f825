"""The five generated servicers over `MockState`: all 55 RPCs of the wire contract.

Servicers validate the request, read or change the state under its lock and build the response.
They never touch the call context: failures are raised as `ApiError` and turned into a status
with ``ErrorInfo`` by the call gate (`_faults.CallGate`), which also checks auth, records the
request and injects faults before any servicer runs.

Semantics worth knowing when writing tests against the mock:

* Organizations are implicit: any ``organization_id`` exists; an ``external_id`` maps to a
  deterministic organization id.
* Token-paged lists: default page size 10, capped at 100, stable creation order; page tokens are
  opaque and bound to the method and its filters (a token replayed with other filters is
  INVALID_ARGUMENT); ``next_page_token`` is empty on the last page.
* Environment-level connection RPCs (``*EnvironmentConnection``, ``GetConnectionTestResult``)
  address any connection of the environment by id; organization-level ones only the
  connections of that organization.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable

import grpc
from google.protobuf import empty_pb2, timestamp_pb2, wrappers_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from scalekit_grpc.testing._state import (
    SESSION_ACTIVE,
    SESSION_REVOKED,
    ApiError,
    ApiTokenRecord,
    ConnectionRecord,
    DirectoryGroupRecord,
    DirectoryRecord,
    DomainRecord,
    MockState,
    copy_msg,
    effective_page_size,
    now_ts,
    paginate,
    require,
)
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.connections import connections_pb2_grpc as cx_grpc
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.directories import directories_pb2_grpc as dr_grpc
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.domains import domains_pb2_grpc as dm_grpc
from scalekit_grpc.v1.sessions import sessions_pb2 as ss
from scalekit_grpc.v1.sessions import sessions_pb2_grpc as ss_grpc
from scalekit_grpc.v1.tokens import tokens_pb2 as tk
from scalekit_grpc.v1.tokens import tokens_pb2_grpc as tk_grpc

Ctx = grpc.ServicerContext

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_WRAPPERS = (
    wrappers_pb2.StringValue,
    wrappers_pb2.BoolValue,
    wrappers_pb2.Int32Value,
    wrappers_pb2.UInt32Value,
)


def _has(msg: Message, name: str) -> bool:
    """`HasField` by a computed name (the typed stubs only accept literal names)."""
    return bool(msg.HasField(name))


def _merge_present(dst: Message, src: Message) -> None:
    """Copy every field present in ``src`` onto ``dst``; repeated fields and maps are replaced.

    Fields match by name, so a request config can update a response config; a wrapper in
    ``src`` set onto a plain scalar in ``dst`` contributes its ``value``.
    """
    dst_fields = dst.DESCRIPTOR.fields_by_name
    for fd, value in src.ListFields():
        target = dst_fields.get(fd.name)
        if target is None:
            continue
        current = getattr(dst, fd.name)
        if target.is_repeated:
            if target.message_type is not None and target.message_type.GetOptions().map_entry:
                current.clear()
                current.update(value)
            else:
                del current[:]
                current.extend(value)
        elif target.type == FieldDescriptor.TYPE_MESSAGE:
            current.CopyFrom(value)
        elif isinstance(value, _WRAPPERS):
            setattr(dst, fd.name, value.value)
        else:
            setattr(dst, fd.name, value)


def _ts_ns(ts: timestamp_pb2.Timestamp) -> int:
    return int(ts.ToNanoseconds())


# --- API tokens ---------------------------------------------------------------------------------


class ApiTokenServicer(tk_grpc.ApiTokenServiceServicer):
    def __init__(self, state: MockState) -> None:
        self._s = state

    def _find(self, token: str, *, include_invalidated: bool = False) -> ApiTokenRecord:
        """By opaque token or by ``apit_`` id."""
        token_id = token if token in self._s.api_tokens else self._s.api_tokens_by_value.get(token)
        rec = self._s.api_tokens.get(token_id) if token_id else None
        if rec is None or (rec.invalidated and not include_invalidated):
            raise ApiError(
                grpc.StatusCode.NOT_FOUND,
                "token not found or invalidated",
                error_code="TOKEN_NOT_FOUND",
                resource=("token", rec.info.token_id if rec else "unknown"),
            )
        return rec

    @staticmethod
    def _check_claims(claims: Iterable[tuple[str, str]], prefix: str) -> None:
        bad = [
            (f"{prefix}[{key!r}]", "claim values must not be empty")
            for key, value in claims
            if not key or not value
        ]
        if bad:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid request: custom claim values must not be empty",
                error_code="INVALID_ARGUMENT",
                violations=bad,
            )

    def CreateToken(self, request: tk.CreateTokenRequest, context: Ctx) -> tk.CreateTokenResponse:
        spec = request.token
        require(("token.organization_id", spec.organization_id))
        self._check_claims(spec.custom_claims.items(), "token.custom_claims")
        if spec.HasField("expiry") and _ts_ns(spec.expiry) <= time.time_ns():
            raise ApiError.invalid("token.expiry", "must be in the future")
        with self._s.lock:
            token_id = self._s.new_id("apit")
            value = "skt_" + secrets.token_urlsafe(32)
            info = tk.Token(
                token_id=token_id,
                organization_id=spec.organization_id,
                organization_external_id=self._s.org_external_ids.get(spec.organization_id, ""),
                custom_claims=dict(spec.custom_claims),
                created_at=now_ts(),
                token_suffix=value[-4:],
            )
            if spec.user_id:
                info.user_id = spec.user_id
                user = self._s.users.get(spec.user_id)
                if user is not None:
                    info.email = user.email
            if spec.HasField("expiry"):
                info.expiry.CopyFrom(spec.expiry)
            if spec.description:
                info.description = spec.description
            self._s.api_tokens[token_id] = ApiTokenRecord(info=info, token=value)
            self._s.api_tokens_by_value[value] = token_id
            return tk.CreateTokenResponse(token=value, token_id=token_id, token_info=copy_msg(info))

    def ValidateToken(
        self, request: tk.ValidateTokenRequest, context: Ctx
    ) -> tk.ValidateTokenResponse:
        require(("token", request.token))
        with self._s.lock:
            rec = self._find(request.token)
            if rec.info.HasField("expiry") and _ts_ns(rec.info.expiry) <= time.time_ns():
                raise ApiError(
                    grpc.StatusCode.NOT_FOUND,
                    "token has expired",
                    error_code="TOKEN_EXPIRED",
                    resource=("token", rec.info.token_id),
                )
            return tk.ValidateTokenResponse(token_info=copy_msg(rec.info))

    def InvalidateToken(self, request: tk.InvalidateTokenRequest, context: Ctx) -> empty_pb2.Empty:
        require(("token", request.token))
        with self._s.lock:
            self._find(request.token, include_invalidated=True).invalidated = True
        return empty_pb2.Empty()

    def ListTokens(self, request: tk.ListTokensRequest, context: Ctx) -> tk.ListTokensResponse:
        require(("organization_id", request.organization_id))
        user_id = request.user_id if request.HasField("user_id") else ""
        with self._s.lock:
            items = [
                r.info
                for r in self._s.api_tokens.values()
                if not r.invalidated
                and r.info.organization_id == request.organization_id
                and (not user_id or r.info.user_id == user_id)
            ]
            page = paginate(
                items,
                request.page_size,
                request.page_token,
                scope=f"ListTokens|{request.organization_id}|{user_id}",
            )
            return tk.ListTokensResponse(
                tokens=[copy_msg(t) for t in page.items],
                total_count=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def UpdateToken(self, request: tk.UpdateTokenRequest, context: Ctx) -> tk.UpdateTokenResponse:
        """``description`` by presence ("" clears it); non-empty ``custom_claims`` replace all."""
        require(("token", request.token))
        self._check_claims(request.custom_claims.items(), "custom_claims")
        with self._s.lock:
            rec = self._find(request.token)
            if request.HasField("description"):
                if request.description:
                    rec.info.description = request.description
                else:
                    rec.info.ClearField("description")
            if request.custom_claims:
                rec.info.custom_claims.clear()
                rec.info.custom_claims.update(request.custom_claims)
            return tk.UpdateTokenResponse(token_info=copy_msg(rec.info))

    def FetchToken(self, request: tk.FetchTokenRequest, context: Ctx) -> tk.FetchTokenResponse:
        require(("token_id", request.token_id))
        with self._s.lock:
            rec = self._s.api_tokens.get(request.token_id)
            if rec is None or rec.invalidated:
                raise ApiError.not_found("token", request.token_id)
            return tk.FetchTokenResponse(
                token=rec.token, retrieved_at=now_ts(), token_info=copy_msg(rec.info)
            )


# --- domains ------------------------------------------------------------------------------------


class DomainServicer(dm_grpc.DomainServiceServicer):
    def __init__(self, state: MockState) -> None:
        self._s = state

    def _get(self, organization_id: str, domain_id: str) -> DomainRecord:
        rec = self._s.domains.get(domain_id)
        if rec is None or rec.msg.organization_id != organization_id:
            raise ApiError.not_found("domain", domain_id)
        return rec

    def _connection(self, connection_id: str) -> ConnectionRecord:
        rec = self._s.connections.get(connection_id)
        if rec is None:
            raise ApiError.not_found("connection", connection_id)
        return rec

    def CreateDomain(
        self, request: dm.CreateDomainRequest, context: Ctx
    ) -> dm.CreateDomainResponse:
        org = self._s.resolve_org(request.organization_id, request.external_id)
        name = request.domain.domain.strip().lower()
        require(("domain.domain", name))
        if not _DOMAIN_RE.match(name):
            raise ApiError.invalid("domain.domain", "is not a valid domain name")
        with self._s.lock:
            if any(r.msg.domain == name for r in self._s.domains.values()):
                raise ApiError(
                    grpc.StatusCode.ALREADY_EXISTS,
                    f"domain {name!r} already exists in this environment",
                    error_code="ALREADY_EXISTS",
                    resource=("domain", name),
                )
            conn = self._connection(request.connection_id) if request.connection_id else None
            domain_type = request.domain.domain_type or dm.ORGANIZATION_DOMAIN
            now = now_ts()
            msg = dm.Domain(
                id=self._s.new_id("dom"),
                domain=name,
                environment_id=self._s.environment_id,
                organization_id=org,
                create_time=now,
                update_time=now,
                domain_type=domain_type,
            )
            if domain_type == dm.ALLOWED_EMAIL_DOMAIN:
                msg.verification_status = dm.AUTO_VERIFIED
                msg.verification_method = dm.NOT_APPLICABLE
            else:
                msg.verification_status = dm.PENDING
                msg.verification_method = dm.DNS
                msg.txt_record_key = f"_scalekit-verification.{name}"
                msg.txt_record_secret = f"scalekit-verification={secrets.token_hex(16)}"
            self._s.domains[msg.id] = DomainRecord(msg=msg)
            if conn is not None:
                conn.domain_ids.append(msg.id)
            return dm.CreateDomainResponse(domain=copy_msg(msg))

    def UpdateDomain(
        self, request: dm.UpdateDomainRequest, context: Ctx
    ) -> dm.UpdateDomainResponse:
        """The only updatable property on the wire is the connection the domain is assigned to."""
        org = self._s.resolve_org(request.organization_id, request.external_id)
        require(("id", request.id))
        with self._s.lock:
            rec = self._get(org, request.id)
            if request.HasField("connection_id"):
                for conn in self._s.connections.values():
                    if request.id in conn.domain_ids:
                        conn.domain_ids.remove(request.id)
                if request.connection_id:
                    self._connection(request.connection_id).domain_ids.append(request.id)
            rec.msg.update_time.CopyFrom(now_ts())
            return dm.UpdateDomainResponse(domain=copy_msg(rec.msg))

    def VerifyDomain(
        self, request: dm.VerifyDomainRequest, context: Ctx
    ) -> dm.VerifyDomainResponse:
        """Succeeds for every domain except names under ``.invalid`` (status FAILED)."""
        org = self._s.resolve_org(request.organization_id, request.external_id)
        require(("id", request.id))
        with self._s.lock:
            rec = self._get(org, request.id)
            if rec.msg.verification_status in (dm.VERIFIED, dm.AUTO_VERIFIED):
                return dm.VerifyDomainResponse(verified=True)
            ok = not rec.msg.domain.endswith(".invalid")
            rec.msg.verification_status = dm.VERIFIED if ok else dm.FAILED
            rec.msg.update_time.CopyFrom(now_ts())
            return dm.VerifyDomainResponse(verified=ok)

    def GetDomain(self, request: dm.GetDomainRequest, context: Ctx) -> dm.GetDomainResponse:
        org = self._s.resolve_org(request.organization_id, request.external_id)
        require(("id", request.id))
        with self._s.lock:
            return dm.GetDomainResponse(domain=copy_msg(self._get(org, request.id).msg))

    def DeleteDomain(self, request: dm.DeleteDomainRequest, context: Ctx) -> empty_pb2.Empty:
        org = self._s.resolve_org(request.organization_id, request.external_id)
        require(("id", request.id))
        with self._s.lock:
            self._get(org, request.id)
            del self._s.domains[request.id]
            for conn in self._s.connections.values():
                if request.id in conn.domain_ids:
                    conn.domain_ids.remove(request.id)
        return empty_pb2.Empty()

    def ListDomains(self, request: dm.ListDomainRequest, context: Ctx) -> dm.ListDomainResponse:
        """Page-number paging: ``page_number`` is 1-based (unset or 0 means 1), ``page_size``
        unset or 0 means 10 and is capped at 100; both are echoed. ``include`` is accepted and
        ignored."""
        org = self._s.resolve_org(request.organization_id, request.external_id)
        size = effective_page_size(request.page_size.value if request.HasField("page_size") else 0)
        number = request.page_number.value if request.HasField("page_number") else 0
        if number < 0:
            raise ApiError.invalid("page_number", "must not be negative")
        number = number or 1
        with self._s.lock:
            wanted: set[str] | None = None
            if request.HasField("connection_id") and request.connection_id:
                wanted = set(self._connection(request.connection_id).domain_ids)
            items = [
                r.msg
                for r in self._s.domains.values()
                if r.msg.organization_id == org
                and (not request.domain_type or r.msg.domain_type == request.domain_type)
                and (wanted is None or r.msg.id in wanted)
            ]
            start = (number - 1) * size
            return dm.ListDomainResponse(
                page_size=size,
                page_number=number,
                domains=[copy_msg(d) for d in items[start : start + size]],
            )

    def ListAuthorizedDomains(
        self, request: dm.ListAuthorizedDomainRequest, context: Ctx
    ) -> dm.ListAuthorizedDomainResponse:
        """Every domain name of the environment, in creation order (no origin rules in the mock)."""
        require(("origin", request.origin))
        with self._s.lock:
            return dm.ListAuthorizedDomainResponse(
                domains=[r.msg.domain for r in self._s.domains.values()]
            )


# --- connections --------------------------------------------------------------------------------

_INCLUDE_ENABLED = {"", "active", "enabled"}
_INCLUDE_DISABLED = {"inactive", "disabled"}


class ConnectionServicer(cx_grpc.ConnectionServiceServicer):
    def __init__(self, state: MockState) -> None:
        self._s = state

    # helpers (call with the lock held)

    def _env_get(self, connection_id: str) -> ConnectionRecord:
        rec = self._s.connections.get(connection_id)
        if rec is None:
            raise ApiError.not_found("connection", connection_id)
        return rec

    def _org_get(self, organization_id: str, connection_id: str) -> ConnectionRecord:
        rec = self._s.connections.get(connection_id)
        if rec is None or rec.msg.organization_id != organization_id:
            raise ApiError.not_found("connection", connection_id)
        return rec

    def _view(self, rec: ConnectionRecord) -> cx.Connection:
        out = copy_msg(rec.msg)
        for did in rec.domain_ids:
            dom = self._s.domains.get(did)
            if dom is not None:
                out.domains.append(copy_msg(dom.msg))
        return out

    def _domain_names(self, rec: ConnectionRecord) -> list[str]:
        return [self._s.domains[d].msg.domain for d in rec.domain_ids if d in self._s.domains]

    def _list_view(self, rec: ConnectionRecord) -> cx.ListConnection:
        m = rec.msg
        return cx.ListConnection(
            id=m.id,
            provider=m.provider,
            type=m.type,
            status=m.status,
            enabled=m.enabled,
            organization_id=m.organization_id,
            ui_button_title=m.ui_button_title,
            domains=self._domain_names(rec),
            provider_key=m.provider_key,
            key_id=m.key_id,
            created_at=m.create_time,
            mcp_server_url=m.mcp_server_url,
            auth_mode=m.auth_mode,
        )

    def _create(
        self, spec: cx.CreateConnection, organization_id: str | None, flags: cx.Flags | None
    ) -> cx.Connection:
        if not (spec.type or spec.provider or spec.provider_key):
            raise ApiError.invalid(
                "connection.type", "a connection type, provider or provider_key is required"
            )
        with self._s.lock:
            cid = self._s.new_id("conn")
            ctype = spec.type or cx.OIDC
            env = self._s.env_url
            kind = {cx.OIDC: "oidc", cx.SAML: "saml"}.get(ctype, "oauth")
            provider_name = cx.ConnectionProvider.Name(spec.provider) if spec.provider else ""
            title = provider_name.replace("_", " ").title() if provider_name else "SSO"
            now = now_ts()
            msg = cx.Connection(
                id=cid,
                provider=spec.provider,
                type=ctype,
                status=cx.DRAFT,
                enabled=False,
                ui_button_title=f"Login with {title}",
                test_connection_uri=f"{env}/sso/v1/{kind}/{cid}/test",
                provider_key=spec.provider_key,
                auth_mode=spec.auth_mode,
                create_time=now,
                update_time=now,
            )
            if organization_id is not None:
                msg.organization_id = organization_id
            if spec.HasField("key_id"):
                msg.key_id = spec.key_id
            if ctype == cx.OIDC:
                msg.oidc_config.redirect_uri = f"{env}/sso/v1/oidc/{cid}/callback"
            elif ctype == cx.SAML:
                msg.saml_config.sp_entity_id = f"{env}/sso/v1/saml/{cid}"
                msg.saml_config.sp_assertion_url = f"{env}/sso/v1/saml/{cid}/acs"
                msg.saml_config.sp_metadata_url = f"{env}/sso/v1/saml/{cid}/metadata"
            elif ctype in (cx.OAUTH, cx.OAUTH_M2M):
                msg.oauth_config.redirect_uri = f"{env}/sso/v1/oauth/{cid}/callback"
            elif ctype == cx.PASSWORDLESS:
                msg.passwordless_config.type = cx.LINK
            rec = ConnectionRecord(msg=msg, flags=copy_msg(flags) if flags is not None else None)
            rec.context.CopyFrom(spec.context)
            self._s.connections[cid] = rec
            return self._view(rec)

    def _update(self, rec: ConnectionRecord, spec: cx.UpdateConnection) -> cx.Connection:
        m = rec.msg
        if spec.provider:
            m.provider = spec.provider
        if spec.type:
            m.type = spec.type
        if spec.HasField("debug_enabled"):
            m.debug_enabled = spec.debug_enabled.value
        if spec.HasField("ui_button_title"):
            m.ui_button_title = spec.ui_button_title.value
        if spec.configuration_type:
            m.configuration_type = spec.configuration_type
        if spec.attribute_mapping:
            m.attribute_mapping.clear()
            m.attribute_mapping.update(spec.attribute_mapping)
        if spec.provider_key:
            m.provider_key = spec.provider_key
        if spec.HasField("key_id"):
            m.key_id = spec.key_id
        which = spec.WhichOneof("settings")
        if which is not None:
            src = getattr(spec, which)
            dst = getattr(m, which)
            dst.SetInParent()
            if which == "saml_config":
                if src.HasField("idp_certificate"):
                    del dst.idp_certificates[:]
                    dst.idp_certificates.add(
                        certificate=src.idp_certificate.value,
                        id=self._s.new_id("cert"),
                        create_time=now_ts(),
                    )
                src = copy_msg(src)
                src.ClearField("idp_certificate")
            _merge_present(dst, src)
            m.status = cx.COMPLETED
        m.update_time.CopyFrom(now_ts())
        return self._view(rec)

    def _toggle(self, rec: ConnectionRecord, enabled: bool) -> cx.ToggleConnectionResponse:
        rec.msg.enabled = enabled
        rec.msg.update_time.CopyFrom(now_ts())
        return cx.ToggleConnectionResponse(enabled=enabled)

    @staticmethod
    def _matches_query(view: cx.ListConnection, query: str) -> bool:
        q = query.lower()
        hay = [
            view.id,
            view.organization_id,
            view.ui_button_title,
            view.provider_key,
            cx.ConnectionProvider.Name(view.provider),
            *view.domains,
        ]
        return any(q in h.lower() for h in hay)

    @staticmethod
    def _matches_provider(view: cx.ListConnection, provider: str) -> bool:
        p = provider.lower()
        return p in (view.provider_key.lower(), cx.ConnectionProvider.Name(view.provider).lower())

    # RPCs

    def CreateEnvironmentConnection(
        self, request: cx.CreateEnvironmentConnectionRequest, context: Ctx
    ) -> cx.CreateConnectionResponse:
        flags = request.flags if request.HasField("flags") else None
        return cx.CreateConnectionResponse(connection=self._create(request.connection, None, flags))

    def CreateConnection(
        self, request: cx.CreateConnectionRequest, context: Ctx
    ) -> cx.CreateConnectionResponse:
        require(("organization_id", request.organization_id))
        return cx.CreateConnectionResponse(
            connection=self._create(request.connection, request.organization_id, None)
        )

    def AssignDomainsToConnection(
        self, request: cx.AssignDomainsToConnectionRequest, context: Ctx
    ) -> cx.AssignDomainsToConnectionResponse:
        """Replaces the connection's domains with ``domain_ids`` (all in the same organization)."""
        require(
            ("organization_id", request.organization_id), ("connection_id", request.connection_id)
        )
        with self._s.lock:
            rec = self._org_get(request.organization_id, request.connection_id)
            for did in request.domain_ids:
                dom = self._s.domains.get(did)
                if dom is None or dom.msg.organization_id != request.organization_id:
                    raise ApiError.not_found("domain", did)
            rec.domain_ids = list(dict.fromkeys(request.domain_ids))
            rec.msg.update_time.CopyFrom(now_ts())
            return cx.AssignDomainsToConnectionResponse(connection=self._view(rec))

    def GetEnvironmentConnection(
        self, request: cx.GetEnvironmentConnectionRequest, context: Ctx
    ) -> cx.GetConnectionResponse:
        require(("connection_id", request.connection_id))
        with self._s.lock:
            return cx.GetConnectionResponse(
                connection=self._view(self._env_get(request.connection_id))
            )

    def GetConnection(
        self, request: cx.GetConnectionRequest, context: Ctx
    ) -> cx.GetConnectionResponse:
        require(("organization_id", request.organization_id), ("id", request.id))
        with self._s.lock:
            return cx.GetConnectionResponse(
                connection=self._view(self._org_get(request.organization_id, request.id))
            )

    def ListConnections(
        self, request: cx.ListConnectionsRequest, context: Ctx
    ) -> cx.ListConnectionsResponse:
        """Filters: ``organization_id``; ``domain`` (assigned to the connection, or owned by its
        organization); ``include``: unset/"active"/"enabled" = enabled only, "all" = every
        connection, "inactive"/"disabled" = disabled only."""
        org = request.organization_id if request.HasField("organization_id") else ""
        domain = (request.domain if request.HasField("domain") else "").strip().lower()
        include = (request.include if request.HasField("include") else "").strip().lower()
        if include not in _INCLUDE_ENABLED | _INCLUDE_DISABLED | {"all"}:
            raise ApiError.invalid("include", "must be one of all, active, inactive")
        with self._s.lock:
            owners = {
                r.msg.organization_id for r in self._s.domains.values() if r.msg.domain == domain
            }
            out = []
            for rec in self._s.connections.values():
                m = rec.msg
                if org and m.organization_id != org:
                    continue
                if (
                    domain
                    and domain not in self._domain_names(rec)
                    and m.organization_id not in owners
                ):
                    continue
                if include in _INCLUDE_ENABLED and not m.enabled:
                    continue
                if include in _INCLUDE_DISABLED and m.enabled:
                    continue
                out.append(self._list_view(rec))
            return cx.ListConnectionsResponse(connections=out)

    def ListOrganizationConnections(
        self, request: cx.ListOrganizationConnectionsRequest, context: Ctx
    ) -> cx.ListOrganizationConnectionsResponse:
        with self._s.lock:
            items = [
                self._list_view(r)
                for r in self._s.connections.values()
                if r.msg.HasField("organization_id")
            ]
            page = paginate(
                items, request.page_size, request.page_token, scope="ListOrganizationConnections"
            )
            return cx.ListOrganizationConnectionsResponse(
                connections=page.items,
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def SearchOrganizationConnections(
        self, request: cx.SearchOrganizationConnectionsRequest, context: Ctx
    ) -> cx.SearchOrganizationConnectionsResponse:
        query = request.query if request.HasField("query") else ""
        provider = request.provider if request.HasField("provider") else ""
        status = request.status if request.HasField("status") else None
        ctype = request.connection_type if request.HasField("connection_type") else None
        enabled = request.enabled if request.HasField("enabled") else None
        with self._s.lock:
            items = []
            for rec in self._s.connections.values():
                if not rec.msg.HasField("organization_id"):
                    continue
                view = self._list_view(rec)
                if query and not self._matches_query(view, query):
                    continue
                if provider and not self._matches_provider(view, provider):
                    continue
                if status is not None and view.status != status:
                    continue
                if ctype is not None and view.type != ctype:
                    continue
                if enabled is not None and view.enabled != enabled:
                    continue
                items.append(view)
            scope = f"SearchOrganizationConnections|{query}|{provider}|{status}|{ctype}|{enabled}"
            page = paginate(items, request.page_size, request.page_token, scope=scope)
            return cx.SearchOrganizationConnectionsResponse(
                connections=page.items,
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def UpdateEnvironmentConnection(
        self, request: cx.UpdateEnvironmentConnectionRequest, context: Ctx
    ) -> cx.UpdateConnectionResponse:
        require(("connection_id", request.connection_id))
        if not request.HasField("connection"):
            raise ApiError.invalid("connection", "is required")
        with self._s.lock:
            rec = self._env_get(request.connection_id)
            return cx.UpdateConnectionResponse(connection=self._update(rec, request.connection))

    def UpdateConnection(
        self, request: cx.UpdateConnectionRequest, context: Ctx
    ) -> cx.UpdateConnectionResponse:
        require(("organization_id", request.organization_id), ("id", request.id))
        if not request.HasField("connection"):
            raise ApiError.invalid("connection", "is required")
        with self._s.lock:
            rec = self._org_get(request.organization_id, request.id)
            return cx.UpdateConnectionResponse(connection=self._update(rec, request.connection))

    def DeleteEnvironmentConnection(
        self, request: cx.DeleteEnvironmentConnectionRequest, context: Ctx
    ) -> empty_pb2.Empty:
        require(("connection_id", request.connection_id))
        with self._s.lock:
            self._env_get(request.connection_id)
            del self._s.connections[request.connection_id]
        return empty_pb2.Empty()

    def DeleteConnection(
        self, request: cx.DeleteConnectionRequest, context: Ctx
    ) -> empty_pb2.Empty:
        require(("organization_id", request.organization_id), ("id", request.id))
        with self._s.lock:
            self._org_get(request.organization_id, request.id)
            del self._s.connections[request.id]
        return empty_pb2.Empty()

    def EnableEnvironmentConnection(
        self, request: cx.ToggleEnvironmentConnectionRequest, context: Ctx
    ) -> cx.ToggleConnectionResponse:
        require(("connection_id", request.connection_id))
        with self._s.lock:
            return self._toggle(self._env_get(request.connection_id), True)

    def EnableConnection(
        self, request: cx.ToggleConnectionRequest, context: Ctx
    ) -> cx.ToggleConnectionResponse:
        require(("organization_id", request.organization_id), ("id", request.id))
        with self._s.lock:
            return self._toggle(self._org_get(request.organization_id, request.id), True)

    def DisableEnvironmentConnection(
        self, request: cx.ToggleEnvironmentConnectionRequest, context: Ctx
    ) -> cx.ToggleConnectionResponse:
        require(("connection_id", request.connection_id))
        with self._s.lock:
            return self._toggle(self._env_get(request.connection_id), False)

    def DisableConnection(
        self, request: cx.ToggleConnectionRequest, context: Ctx
    ) -> cx.ToggleConnectionResponse:
        require(("organization_id", request.organization_id), ("id", request.id))
        with self._s.lock:
            return self._toggle(self._org_get(request.organization_id, request.id), False)

    def GetConnectionTestResult(
        self, request: cx.GetConnectionTestResultRequest, context: Ctx
    ) -> cx.GetConnectionTestResultResponse:
        """PENDING unless a result was registered with
        `MockScalekitServer.set_connection_test_result`."""
        require(
            ("connection_id", request.connection_id), ("test_request_id", request.test_request_id)
        )
        with self._s.lock:
            self._env_get(request.connection_id)
            result = self._s.test_results.get((request.connection_id, request.test_request_id))
        out = cx.GetConnectionTestResultResponse(status=cx.PENDING)
        if result is not None:
            out.status = result.status
            for name in ("user_info", "error", "error_description", "error_details"):
                value = getattr(result, name)
                if value is not None:
                    setattr(out, name, value)
        return out

    def ListAppConnections(
        self, request: cx.ListAppConnectionsRequest, context: Ctx
    ) -> cx.ListAppConnectionsResponse:
        """App connections: environment-level connections not created as login-only
        (``flags.is_login`` without ``flags.is_app``)."""
        provider = request.provider if request.HasField("provider") else ""
        query = request.query if request.HasField("query") else ""
        with self._s.lock:
            items = []
            for rec in self._s.connections.values():
                if rec.msg.HasField("organization_id"):
                    continue
                if rec.flags is not None and rec.flags.is_login and not rec.flags.is_app:
                    continue
                view = self._list_view(rec)
                if provider and not self._matches_provider(view, provider):
                    continue
                if query and not self._matches_query(view, query):
                    continue
                items.append(view)
            page = paginate(
                items,
                request.page_size,
                request.page_token,
                scope=f"ListAppConnections|{provider}|{query}",
            )
            return cx.ListAppConnectionsResponse(
                connections=page.items,
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def _context_rec(self, connection_id: str, organization_id: str) -> ConnectionRecord:
        require(("connection_id", connection_id))
        if organization_id:
            return self._org_get(organization_id, connection_id)
        return self._env_get(connection_id)

    def GetConnectionContext(
        self, request: cx.GetConnectionContextRequest, context: Ctx
    ) -> cx.GetConnectionContextResponse:
        with self._s.lock:
            rec = self._context_rec(request.connection_id, request.organization_id)
            return cx.GetConnectionContextResponse(context=copy_msg(rec.context))

    def UpdateConnectionContext(
        self, request: cx.UpdateConnectionContextRequest, context: Ctx
    ) -> empty_pb2.Empty:
        """Replaces the whole context."""
        with self._s.lock:
            rec = self._context_rec(request.connection_id, request.organization_id)
            rec.context.CopyFrom(request.context)
        return empty_pb2.Empty()


# --- directories --------------------------------------------------------------------------------


class DirectoryServicer(dr_grpc.DirectoryServiceServicer):
    def __init__(self, state: MockState) -> None:
        self._s = state

    def _get(
        self, organization_id: str, directory_id: str, id_field: str = "id"
    ) -> DirectoryRecord:
        require(("organization_id", organization_id), (id_field, directory_id))
        return self._s.directory(organization_id, directory_id)

    def _toggle(
        self, request: dr.ToggleDirectoryRequest, enabled: bool
    ) -> dr.ToggleDirectoryResponse:
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            rec.msg.enabled = enabled
            return dr.ToggleDirectoryResponse(enabled=enabled)

    def CreateDirectory(
        self, request: dr.CreateDirectoryRequest, context: Ctx
    ) -> dr.CreateDirectoryResponse:
        require(("organization_id", request.organization_id))
        spec = request.directory
        with self._s.lock:
            did = self._s.new_id("dir")
            dtype = spec.directory_type or dr.SCIM
            provider = (
                dr.DirectoryProvider.Name(spec.directory_provider)
                if spec.directory_provider
                else ""
            )
            label = provider.replace("_", " ").title() if provider else dr.DirectoryType.Name(dtype)
            msg = dr.Directory(
                id=did,
                name=f"{label} Directory",
                directory_type=dtype,
                organization_id=request.organization_id,
                enabled=False,
                directory_provider=spec.directory_provider,
                directory_endpoint=f"{self._s.env_url}/api/v1/directories/{did}/scim/v2",
                status="DRAFT",
                groups_tracked="ALL",
            )
            rec = DirectoryRecord(msg=msg)
            self._s.directories[did] = rec
            return dr.CreateDirectoryResponse(directory=self._s.directory_view(rec))

    def DeleteDirectory(self, request: dr.DeleteDirectoryRequest, context: Ctx) -> empty_pb2.Empty:
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            if rec.msg.enabled:
                raise ApiError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "directory is enabled: disable the directory before deleting it",
                    error_code="FAILED_PRECONDITION",
                    resource=("directory", request.id),
                )
            del self._s.directories[request.id]
        return empty_pb2.Empty()

    def UpdateDirectory(
        self, request: dr.UpdateDirectoryRequest, context: Ctx
    ) -> dr.UpdateDirectoryResponse:
        """Fields without presence change only when set to a non-default value: an empty name, an
        unspecified enum or ``enabled=false`` leave the directory as it is (use DisableDirectory).
        """
        spec = request.directory
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            m = rec.msg
            if spec.name:
                m.name = spec.name
            if spec.directory_type:
                m.directory_type = spec.directory_type
            if spec.directory_provider:
                m.directory_provider = spec.directory_provider
            if spec.status:
                m.status = dr.DirectoryStatus.Name(spec.status)
            if spec.enabled:
                m.enabled = True
            if spec.mappings:
                del m.attribute_mappings.attributes[:]
                for mapping in spec.mappings:
                    m.attribute_mappings.attributes.add(key=mapping.key, map_to=mapping.map_to)
            if spec.groups:
                by_external = {
                    g.msg.group_detail.fields["externalId"].string_value: g
                    for g in rec.groups.values()
                    if g.external
                }
                for ext in spec.groups:
                    existing = by_external.get(ext.external_id)
                    if existing is not None:
                        existing.msg.display_name = ext.display_name
                        existing.msg.updated_at.CopyFrom(now_ts())
                    else:
                        self._s.add_directory_group(
                            m.organization_id,
                            m.id,
                            ext.display_name,
                            detail={"externalId": ext.external_id, "email": ext.email},
                            external=True,
                        )
            return dr.UpdateDirectoryResponse(directory=self._s.directory_view(rec))

    def AssignGroupsForDirectory(
        self, request: dr.AssignGroupsForDirectoryRequest, context: Ctx
    ) -> empty_pb2.Empty:
        """Records the tracked groups: ``groups_tracked`` becomes SELECTED (ALL when empty)."""
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            rec.tracked_group_ids = list(request.external_ids)
            rec.msg.groups_tracked = "SELECTED" if request.external_ids else "ALL"
        return empty_pb2.Empty()

    def AssignRoles(self, request: dr.AssignRolesRequest, context: Ctx) -> dr.AssignRolesResponse:
        """Replaces the role assignments; every group must exist in the directory."""
        violations = []
        for i, a in enumerate(request.role_assignments.assignments):
            if not a.group_id:
                violations.append((f"role_assignments.assignments[{i}].group_id", "is required"))
            if not a.role_name:
                violations.append((f"role_assignments.assignments[{i}].role_name", "is required"))
        if violations:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid request: incomplete role assignment",
                violations=violations,
            )
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            for a in request.role_assignments.assignments:
                if a.group_id not in rec.groups:
                    raise ApiError.not_found("directory group", a.group_id)
            target = rec.msg.role_assignments
            del target.assignments[:]
            for a in request.role_assignments.assignments:
                role_id = (
                    a.role_id or "role_" + hashlib.sha256(a.role_name.encode()).hexdigest()[:16]
                )
                target.assignments.add(group_id=a.group_id, role_name=a.role_name, role_id=role_id)
            return dr.AssignRolesResponse(role_assignments=copy_msg(target))

    def UpdateAttributes(
        self, request: dr.UpdateAttributesRequest, context: Ctx
    ) -> dr.UpdateAttributesResponse:
        """Replaces the attribute mappings."""
        for i, a in enumerate(request.attribute_mapping.attributes):
            if not a.key:
                raise ApiError.invalid(f"attribute_mapping.attributes[{i}].key", "is required")
        with self._s.lock:
            rec = self._get(request.organization_id, request.id)
            rec.msg.attribute_mappings.CopyFrom(request.attribute_mapping)
            return dr.UpdateAttributesResponse(
                attribute_mappings=copy_msg(rec.msg.attribute_mappings)
            )

    def GetDirectory(
        self, request: dr.GetDirectoryRequest, context: Ctx
    ) -> dr.GetDirectoryResponse:
        with self._s.lock:
            return dr.GetDirectoryResponse(
                directory=self._s.directory_view(self._get(request.organization_id, request.id))
            )

    def ListDirectories(
        self, request: dr.ListDirectoriesRequest, context: Ctx
    ) -> dr.ListDirectoriesResponse:
        require(("organization_id", request.organization_id))
        with self._s.lock:
            return dr.ListDirectoriesResponse(
                directories=[
                    self._s.directory_view(r)
                    for r in self._s.directories.values()
                    if r.msg.organization_id == request.organization_id
                ]
            )

    def EnableDirectory(
        self, request: dr.ToggleDirectoryRequest, context: Ctx
    ) -> dr.ToggleDirectoryResponse:
        return self._toggle(request, True)

    def DisableDirectory(
        self, request: dr.ToggleDirectoryRequest, context: Ctx
    ) -> dr.ToggleDirectoryResponse:
        return self._toggle(request, False)

    def ListDirectoryUsers(
        self, request: dr.ListDirectoryUsersRequest, context: Ctx
    ) -> dr.ListDirectoryUsersResponse:
        """Filters: ``directory_group_id`` (members of that group; unknown group = NOT_FOUND),
        ``updated_after`` (strictly later); ``include_detail`` adds ``user_detail``."""
        group_id = request.directory_group_id if request.HasField("directory_group_id") else ""
        after = _ts_ns(request.updated_after) if request.HasField("updated_after") else None
        detail = request.HasField("include_detail") and request.include_detail
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            if group_id and group_id not in rec.groups:
                raise ApiError.not_found("directory group", group_id)
            items = [
                u
                for u in rec.users.values()
                if (not group_id or group_id in u.group_ids)
                and (after is None or _ts_ns(u.msg.updated_at) > after)
            ]
            scope = f"ListDirectoryUsers|{rec.msg.id}|{group_id}|{after}"
            page = paginate(items, request.page_size, request.page_token, scope=scope)
            return dr.ListDirectoryUsersResponse(
                users=[self._s.user_view(rec, u, detail=detail) for u in page.items],
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def ListDirectoryGroups(
        self, request: dr.ListDirectoryGroupsRequest, context: Ctx
    ) -> dr.ListDirectoryGroupsResponse:
        """Filters: ``updated_after`` (strictly later); groups added from ``UpdateDirectory.groups``
        appear only with ``include_external_groups``; ``include_detail`` adds ``group_detail``."""
        after = _ts_ns(request.updated_after) if request.HasField("updated_after") else None
        detail = request.HasField("include_detail") and request.include_detail
        external = request.HasField("include_external_groups") and request.include_external_groups
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            items = [
                g
                for g in rec.groups.values()
                if (external or not g.external)
                and (after is None or _ts_ns(g.msg.updated_at) > after)
            ]
            scope = f"ListDirectoryGroups|{rec.msg.id}|{after}|{external}"
            page = paginate(items, request.page_size, request.page_token, scope=scope)
            return dr.ListDirectoryGroupsResponse(
                groups=[self._s.group_view(rec, g, detail=detail) for g in page.items],
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def ListDirectoryGroupsSummary(
        self, request: dr.ListDirectoryGroupsSummaryRequest, context: Ctx
    ) -> dr.ListDirectoryGroupsResponse:
        """Every (non-external) group in one response, without details or page tokens."""
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            groups: list[DirectoryGroupRecord] = [g for g in rec.groups.values() if not g.external]
            return dr.ListDirectoryGroupsResponse(
                groups=[self._s.group_view(rec, g, detail=False) for g in groups],
                total_size=len(groups),
            )

    def _new_secret(self, rec: DirectoryRecord) -> tuple[str, dr.Secret]:
        plain = secrets.token_urlsafe(32)
        secret = rec.msg.secrets.add(
            id=self._s.new_id("secret"),
            create_time=now_ts(),
            secret_suffix=plain[-4:],
            status=dr.ACTIVE,
            directory_id=rec.msg.id,
        )
        return plain, copy_msg(secret)

    def CreateDirectorySecret(
        self, request: dr.CreateDirectorySecretRequest, context: Ctx
    ) -> dr.CreateDirectorySecretResponse:
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            plain, secret = self._new_secret(rec)
            return dr.CreateDirectorySecretResponse(plain_secret=plain, secret=secret)

    def RegenerateDirectorySecret(
        self, request: dr.RegenerateDirectorySecretRequest, context: Ctx
    ) -> dr.RegenerateDirectorySecretResponse:
        """Retires every active secret (INACTIVE, ``expire_time`` now) and issues a new one."""
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            now = now_ts()
            for old in rec.msg.secrets:
                if old.status == dr.ACTIVE:
                    old.status = dr.INACTIVE
                    old.expire_time.CopyFrom(now)
            plain, secret = self._new_secret(rec)
            return dr.RegenerateDirectorySecretResponse(plain_secret=plain, secret=secret)

    def TriggerDirectorySync(
        self, request: dr.TriggerDirectorySyncRequest, context: Ctx
    ) -> empty_pb2.Empty:
        """Sets ``last_synced_at``; the mock has no provider to pull from."""
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            rec.msg.last_synced_at.CopyFrom(now_ts())
        return empty_pb2.Empty()

    def GetDirectoryContext(
        self, request: dr.GetDirectoryContextRequest, context: Ctx
    ) -> dr.GetDirectoryContextResponse:
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            return dr.GetDirectoryContextResponse(context=copy_msg(rec.context))

    def UpdateDirectoryContext(
        self, request: dr.UpdateDirectoryContextRequest, context: Ctx
    ) -> empty_pb2.Empty:
        """Replaces the whole context."""
        with self._s.lock:
            rec = self._get(request.organization_id, request.directory_id, "directory_id")
            rec.context.CopyFrom(request.context)
        return empty_pb2.Empty()


# --- sessions -----------------------------------------------------------------------------------

_REVOKED_FIELDS = [f.name for f in ss.RevokedSessionDetails.DESCRIPTOR.fields]


def _revoked(details: ss.SessionDetails) -> ss.RevokedSessionDetails:
    out = ss.RevokedSessionDetails()
    for name in _REVOKED_FIELDS:
        value = getattr(details, name)
        if isinstance(value, Message):
            if _has(details, name):
                getattr(out, name).CopyFrom(value)
        else:
            setattr(out, name, value)
    return out


class SessionServicer(ss_grpc.SessionServiceServicer):
    def __init__(self, state: MockState) -> None:
        self._s = state

    def _get(self, session_id: str) -> ss.SessionDetails:
        require(("session_id", session_id))
        msg = self._s.sessions.get(session_id)
        if msg is None:
            raise ApiError.not_found("session", session_id)
        return msg

    def _revoke(self, msg: ss.SessionDetails) -> None:
        now = now_ts()
        msg.status = SESSION_REVOKED
        msg.logout_at.CopyFrom(now)
        msg.updated_at.CopyFrom(now)

    def GetSession(self, request: ss.SessionDetailsRequest, context: Ctx) -> ss.SessionDetails:
        with self._s.lock:
            return self._s.session_view(self._get(request.session_id))

    def RevokeSession(
        self, request: ss.RevokeSessionRequest, context: Ctx
    ) -> ss.RevokeSessionResponse:
        """Revokes an active session; revoking an ended session returns it unchanged."""
        with self._s.lock:
            msg = self._get(request.session_id)
            if self._s.session_view(msg).status == SESSION_ACTIVE:
                self._revoke(msg)
            return ss.RevokeSessionResponse(revoked_session=_revoked(self._s.session_view(msg)))

    def GetUserSessions(
        self, request: ss.UserSessionDetailsRequest, context: Ctx
    ) -> ss.UserSessionDetails:
        """Filter: ``status`` (any of, case-insensitive), ``start_time <= created_at <= end_time``.
        An unknown user simply has no sessions."""
        require(("user_id", request.user_id))
        f = request.filter
        statuses = {s.upper() for s in f.status}
        start = _ts_ns(f.start_time) if f.HasField("start_time") else None
        end = _ts_ns(f.end_time) if f.HasField("end_time") else None
        with self._s.lock:
            items = []
            for msg in self._s.sessions.values():
                if msg.user_id != request.user_id:
                    continue
                view = self._s.session_view(msg)
                created = _ts_ns(view.created_at)
                if statuses and view.status not in statuses:
                    continue
                if (start is not None and created < start) or (end is not None and created > end):
                    continue
                items.append(view)
            scope = f"GetUserSessions|{request.user_id}|{sorted(statuses)}|{start}|{end}"
            page = paginate(items, request.page_size, request.page_token, scope=scope)
            return ss.UserSessionDetails(
                sessions=page.items,
                total_size=page.total,
                next_page_token=page.next_page_token,
                prev_page_token=page.prev_page_token,
            )

    def RevokeAllUserSessions(
        self, request: ss.RevokeAllUserSessionsRequest, context: Ctx
    ) -> ss.RevokeAllUserSessionsResponse:
        require(("user_id", request.user_id))
        with self._s.lock:
            revoked = []
            for msg in self._s.sessions.values():
                if (
                    msg.user_id == request.user_id
                    and self._s.session_view(msg).status == SESSION_ACTIVE
                ):
                    self._revoke(msg)
                    revoked.append(_revoked(msg))
            return ss.RevokeAllUserSessionsResponse(
                revoked_sessions=revoked, total_revoked=len(revoked)
            )


def add_servicers(server: grpc.Server, state: MockState) -> None:
    tk_grpc.add_ApiTokenServiceServicer_to_server(ApiTokenServicer(state), server)
    dm_grpc.add_DomainServiceServicer_to_server(DomainServicer(state), server)
    cx_grpc.add_ConnectionServiceServicer_to_server(ConnectionServicer(state), server)
    dr_grpc.add_DirectoryServiceServicer_to_server(DirectoryServicer(state), server)
    ss_grpc.add_SessionServiceServicer_to_server(SessionServicer(state), server)
