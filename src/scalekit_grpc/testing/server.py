"""`MockScalekitServer`: a stateful Scalekit API on loopback, for integration tests and demos."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import grpc

from scalekit_grpc.testing._faults import (
    SERVICE_NAMES,
    CallGate,
    FaultTable,
    MalformedKind,
    RecordedHttpRequest,
    RecordedRequest,
    Recorder,
    resolve_method,
)
from scalekit_grpc.testing._http import MockHttpServer
from scalekit_grpc.testing._keys import KeyRing
from scalekit_grpc.testing._oauth import OAuthAuthority
from scalekit_grpc.testing._servicers import (
    ApiTokenServicer,
    ConnectionServicer,
    DirectoryServicer,
    DomainServicer,
    SessionServicer,
)
from scalekit_grpc.testing._state import (
    SESSION_ACTIVE,
    SESSION_EXPIRED,
    ApiError,
    ConnectionTestResult,
    MockState,
    MockUser,
)
from scalekit_grpc.v1.connections import connections_pb2 as cx
from scalekit_grpc.v1.connections import connections_pb2_grpc as cx_grpc
from scalekit_grpc.v1.directories import directories_pb2 as dr
from scalekit_grpc.v1.directories import directories_pb2_grpc as dr_grpc
from scalekit_grpc.v1.domains import domains_pb2 as dm
from scalekit_grpc.v1.domains import domains_pb2_grpc as dm_grpc
from scalekit_grpc.v1.errdetails import errdetails_pb2
from scalekit_grpc.v1.sessions import sessions_pb2_grpc as ss_grpc
from scalekit_grpc.v1.tokens import tokens_pb2 as tk
from scalekit_grpc.v1.tokens import tokens_pb2_grpc as tk_grpc

_log = logging.getLogger("scalekit_grpc.testing")
_NO_CONTEXT = cast(grpc.ServicerContext, None)  # the servicers never touch their context


@dataclass(frozen=True, slots=True)
class SeedData:
    """What `MockScalekitServer.seed` created: one organization with one of everything."""

    organization_id: str
    domain: dm.Domain
    """The verified organization domain (its ``id`` is also `domain_id`)."""
    domain_id: str
    connection_id: str
    """An enabled OIDC (Okta) connection of the organization, with the domain assigned."""
    directory_id: str
    """An enabled SCIM (Okta) directory: three users in two groups."""
    directory_user_ids: tuple[str, ...]
    directory_group_ids: tuple[str, ...]
    user_id: str
    """The user who signs in through the authorization-code flow (now the default user)."""
    user_email: str
    session_ids: tuple[str, ...]
    """All of the user's sessions, oldest first: one expired, then two active."""
    active_session_ids: tuple[str, ...]
    api_token: str
    """An opaque API token of the organization."""
    api_token_id: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the domain as its name)."""
        return {
            "organization_id": self.organization_id,
            "domain": self.domain.domain,
            "domain_id": self.domain_id,
            "connection_id": self.connection_id,
            "directory_id": self.directory_id,
            "directory_user_ids": list(self.directory_user_ids),
            "directory_group_ids": list(self.directory_group_ids),
            "user_id": self.user_id,
            "user_email": self.user_email,
            "session_ids": list(self.session_ids),
            "active_session_ids": list(self.active_session_ids),
            "api_token": self.api_token,
            "api_token_id": self.api_token_id,
        }


def _helper_error(exc: ApiError) -> Exception:
    if exc.code is grpc.StatusCode.NOT_FOUND:
        return LookupError(exc.message)
    return ValueError(exc.message)


class MockScalekitServer:
    """A Scalekit environment on loopback: gRPC for the five services, HTTP for OAuth and JWKS.

    Every RPC needs ``authorization: Bearer <token>`` with a token from this server's
    ``POST /oauth/token`` (client-credentials grant) that has not expired or been revoked.

    Example:
        >>> with MockScalekitServer() as server:
        ...     seed = server.seed()
        ...     channel = grpc.insecure_channel(server.grpc_target)

    Args:
        host: Interface for both listeners (loopback by default).
        grpc_port: gRPC port; 0 picks a free one.
        http_port: HTTP port (token, authorize, keys, logout); 0 picks a free one.
        client_id: The environment client id; random (``skc_...``) when omitted.
        client_secret: Its secret; random when omitted. Never shown in ``repr``.
        token_lifetime: Lifetime in seconds of issued tokens (``expires_in``).
        max_recorded_requests: Bound of the request logs; the oldest entries are dropped.
        max_workers: Size of the gRPC handler thread pool.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        grpc_port: int = 0,
        http_port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_lifetime: float = 3600.0,
        max_recorded_requests: int = 10_000,
        *,
        max_workers: int = 64,
    ) -> None:
        if max_recorded_requests < 1:
            raise ValueError("max_recorded_requests must be at least 1")
        self._host = host
        self._grpc_port_requested = grpc_port
        self._http_port_requested = http_port
        self._max_workers = max_workers
        self._initial_lifetime = float(token_lifetime)
        self._state = MockState()
        self._keys = KeyRing()
        self._faults = FaultTable()
        self._recorder = Recorder(max_recorded_requests)
        self._authority = OAuthAuthority(
            state=self._state,
            keys=self._keys,
            client_id=client_id or f"skc_{secrets.randbelow(10**17) + 10**17}",
            client_secret=client_secret or "test_" + secrets.token_urlsafe(32),
            token_lifetime=token_lifetime,
        )
        self._tokens = ApiTokenServicer(self._state)
        self._domains = DomainServicer(self._state)
        self._connections = ConnectionServicer(self._state)
        self._directories = DirectoryServicer(self._state)
        self._sessions = SessionServicer(self._state)
        self._lifecycle = threading.Lock()
        self._grpc: grpc.Server | None = None
        self._executor: futures.ThreadPoolExecutor | None = None
        self._http: MockHttpServer | None = None
        self._health: Any = None
        self._grpc_port = 0
        self._http_port = 0
        self._started = False
        self._stopped = False

    # --- lifecycle ---

    def start(self) -> MockScalekitServer:
        """Bind both listeners and start serving; returns once they accept connections."""
        with self._lifecycle:
            if self._started:
                raise RuntimeError("the mock server was already started")
            http = MockHttpServer(
                self._host,
                self._http_port_requested,
                authority=self._authority,
                keys=self._keys,
                faults=self._faults,
                recorder=self._recorder,
            )
            try:
                self._http_port = http.port
                env_url = f"http://{self._hostport(self._http_port)}"
                self._state.env_url = env_url
                self._authority.issuer = env_url
                self._start_grpc()
            except BaseException:
                http.stop()
                raise
            http.start()
            self._http = http
            self._started = True
            _log.info("mock Scalekit server: gRPC %s, HTTP %s", self.grpc_target, self.env_url)
            return self

    def _hostport(self, port: int) -> str:
        return f"[{self._host}]:{port}" if ":" in self._host else f"{self._host}:{port}"

    def _start_grpc(self) -> None:
        executor = futures.ThreadPoolExecutor(
            max_workers=self._max_workers, thread_name_prefix="scalekit-mock-grpc"
        )
        gate = CallGate(
            faults=self._faults,
            recorder=self._recorder,
            check_token=self._authority.check_access_token,
        )
        server = grpc.server(executor, interceptors=[gate], options=[("grpc.so_reuseport", 0)])
        tk_grpc.add_ApiTokenServiceServicer_to_server(self._tokens, server)
        dm_grpc.add_DomainServiceServicer_to_server(self._domains, server)
        cx_grpc.add_ConnectionServiceServicer_to_server(self._connections, server)
        dr_grpc.add_DirectoryServiceServicer_to_server(self._directories, server)
        ss_grpc.add_SessionServiceServicer_to_server(self._sessions, server)
        names = list(SERVICE_NAMES)
        self._health = self._add_health(server, names)
        self._add_reflection(server, names)
        try:
            port = server.add_insecure_port(self._hostport(self._grpc_port_requested))
        except RuntimeError as exc:
            executor.shutdown(wait=False)
            raise OSError(
                f"cannot bind gRPC port {self._hostport(self._grpc_port_requested)}"
            ) from exc
        if port == 0:
            executor.shutdown(wait=False)
            raise OSError(f"cannot bind gRPC port {self._hostport(self._grpc_port_requested)}")
        server.start()
        self._grpc, self._executor, self._grpc_port = server, executor, port

    @staticmethod
    def _add_health(server: grpc.Server, names: list[str]) -> Any:
        try:
            from grpc_health.v1 import health, health_pb2, health_pb2_grpc
        except ImportError:
            return None
        servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        for name in ["", *names]:
            servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        names.append(health.SERVICE_NAME)
        return servicer

    @staticmethod
    def _add_reflection(server: grpc.Server, names: list[str]) -> None:
        try:
            from grpc_reflection.v1alpha import reflection
        except ImportError:
            return
        reflection.enable_server_reflection([*names, reflection.SERVICE_NAME], server)

    def stop(self, grace: float | None = None) -> None:
        """Stop both listeners (idempotent); in-flight RPCs get ``grace`` seconds to finish."""
        with self._lifecycle:
            if not self._started or self._stopped:
                self._stopped = True
                return
            self._stopped = True
            if self._health is not None:
                self._health.enter_graceful_shutdown()
            if self._http is not None:
                self._http.stop()
            if self._grpc is not None:
                self._grpc.stop(grace).wait()
            if self._executor is not None:
                self._executor.shutdown(wait=True)

    @property
    def running(self) -> bool:
        """Started and not yet stopped."""
        return self._started and not self._stopped

    def __enter__(self) -> MockScalekitServer:
        if not self._started:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = (
            f"env_url={self.env_url!r}, grpc_target={self.grpc_target!r}"
            if self._started
            else "not started"
        )
        return f"MockScalekitServer({where}, client_id={self.client_id!r})"

    # --- addresses and credentials ---

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError(
                "the mock server is not started; call start() or use it as a context manager"
            )

    @property
    def env_url(self) -> str:
        """``http://<host>:<http_port>``: the environment URL, and the ``iss`` of issued JWTs."""
        self._require_started()
        return self._state.env_url

    @property
    def grpc_target(self) -> str:
        """``<host>:<grpc_port>`` for ``grpc.insecure_channel``."""
        self._require_started()
        return self._hostport(self._grpc_port)

    @property
    def grpc_port(self) -> int:
        self._require_started()
        return self._grpc_port

    @property
    def http_port(self) -> int:
        self._require_started()
        return self._http_port

    @property
    def client_id(self) -> str:
        return self._authority.client_id

    @property
    def client_secret(self) -> str:
        return self._authority.client_secret

    @property
    def environment_id(self) -> str:
        return self._state.environment_id

    # --- tokens and keys ---

    @property
    def token_lifetime(self) -> float:
        """Lifetime (seconds) of tokens issued from now on; settable."""
        return self._authority.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        self._authority.token_lifetime = seconds

    def issue_access_token(self, scope: str | None = None) -> str:
        """A valid client-credentials access token, minted without an HTTP round trip."""
        return str(self._authority.issue_client_token(scope)["access_token"])

    def expire_tokens(self) -> None:
        """Make every access token issued so far fail with UNAUTHENTICATED (new ones work)."""
        self._authority.expire_all()

    def revoke_token(self, access_token: str) -> bool:
        """Revoke one access token; ``False`` if it was not known."""
        return self._authority.revoke(access_token)

    def rotate_keys(self, keep_old: bool = True) -> str:
        """Sign with a new key from now on; returns its ``kid``. ``keep_old`` keeps the previous
        keys in the JWKS (tokens already issued still verify)."""
        return self._keys.rotate(keep_old=keep_old)

    @property
    def current_kid(self) -> str:
        return self._keys.current_kid

    def jwks(self) -> dict[str, Any]:
        """The JWKS document ``GET /keys`` serves."""
        return self._keys.jwks()

    # --- fault injection ---

    def fail_next(
        self,
        method: str,
        code: grpc.StatusCode,
        count: int = 1,
        error_info: errdetails_pb2.ErrorInfo | None = None,
        message: str | None = None,
    ) -> None:
        """Fail the next ``count`` authenticated calls of ``method`` with ``code``.

        ``method`` is ``"GetDomain"``, ``"DomainService/GetDomain"``, the full path
        ``"/scalekit.v1.domains.DomainService/GetDomain"``, or ``"*"`` for any method. The
        status carries ``error_info`` (a request id and ``error_code`` are filled in when
        missing). Repeated calls queue up.
        """
        self._faults.add_failure(resolve_method(method), code, count, message, error_info)

    def delay(self, method: str, seconds: float | None) -> None:
        """Hold every call of ``method`` (or ``"*"``) for ``seconds`` before handling it;
        ``None`` or 0 removes the delay. A held call ends early when its deadline passes."""
        self._faults.set_delay(resolve_method(method), seconds)

    def clear_delays(self) -> None:
        self._faults.clear_delays()

    def clear_faults(self) -> None:
        """Remove every injected RPC and token-endpoint fault."""
        self._faults.clear()

    def fail_token_endpoint(
        self,
        status: int = 503,
        body: str | bytes | dict[str, Any] | None = None,
        count: int = 1,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``count`` token requests with ``status`` and ``body`` (a dict is sent
        as JSON; the default body is ``{"error": "temporarily_unavailable"}``)."""
        if body is None:
            body = {"error": "temporarily_unavailable", "error_description": "injected failure"}
        if isinstance(body, dict):
            raw, ctype = json.dumps(body).encode(), "application/json"
        else:
            raw, ctype = (body.encode() if isinstance(body, str) else body), "text/plain"
        self._faults.add_token_failure(status, raw, content_type or ctype, count)

    def delay_token_endpoint(self, seconds: float | None, count: int | None = None) -> None:
        """Hang token requests for ``seconds`` before answering (``None``/0 clears); ``count``
        limits it to the next N requests, otherwise it lasts until cleared or `reset`."""
        self._faults.set_token_delay(seconds, count)

    def malformed_token_response(self, count: int = 1, kind: MalformedKind = "not_json") -> None:
        """Answer the next ``count`` token requests with 200 and a bad body: ``"not_json"``
        (HTML), ``"missing_access_token"`` (JSON without it) or ``"empty"``."""
        self._faults.add_token_malformed(kind, count)

    # --- inspection ---

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every RPC received (oldest first, bounded by ``max_recorded_requests``)."""
        return self._recorder.rpcs()

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """The recorded calls of one method (any spelling `fail_next` accepts)."""
        full = resolve_method(method)
        return [r for r in self._recorder.rpcs() if full in ("*", r.method)]

    @property
    def http_requests(self) -> list[RecordedHttpRequest]:
        """Every HTTP request received (oldest first, bounded)."""
        return self._recorder.http()

    @property
    def http_counts(self) -> Counter[str]:
        """HTTP requests per path, e.g. ``server.http_counts["/oauth/token"]`` (0 when none)."""
        return self._recorder.http_counts()

    def clear_requests(self) -> None:
        """Forget the recorded RPCs, HTTP requests and HTTP counts."""
        self._recorder.clear()

    def reset(self) -> None:
        """Back to a fresh environment: state, issued tokens and codes, faults, records and the
        token lifetime. Addresses, credentials and signing keys stay."""
        self._state.reset()
        self._authority.reset()
        self._authority.token_lifetime = self._initial_lifetime
        self._faults.clear()
        self._recorder.clear()

    # --- seed helpers ---

    @property
    def default_user(self) -> MockUser:
        """The user the authorization-code flow signs in when no ``login_hint`` names another."""
        with self._state.lock:
            return self._state.users[self._state.default_user_id]

    def register_user(
        self,
        email: str,
        *,
        organization_id: str | None = None,
        user_id: str | None = None,
        given_name: str = "Test",
        family_name: str = "User",
        email_verified: bool = True,
        connection_id: str | None = None,
        default: bool = False,
    ) -> MockUser:
        """Add a user for the authorization-code flow (chosen by ``login_hint=email``, or always
        when ``default``)."""
        return self._state.register_user(
            email=email,
            organization_id=organization_id,
            user_id=user_id,
            given_name=given_name,
            family_name=family_name,
            email_verified=email_verified,
            connection_id=connection_id,
            make_default=default,
        )

    def add_directory_group(
        self,
        organization_id: str,
        directory_id: str,
        display_name: str,
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        """Add a group to a directory; returns its id. LookupError for an unknown directory."""
        try:
            return self._state.add_directory_group(
                organization_id, directory_id, display_name, detail=detail
            )
        except ApiError as exc:
            raise _helper_error(exc) from None

    def add_directory_user(
        self,
        organization_id: str,
        directory_id: str,
        email: str,
        *,
        given_name: str = "",
        family_name: str = "",
        group_ids: tuple[str, ...] | list[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        """Add a user (member of ``group_ids``) to a directory; returns its id."""
        try:
            return self._state.add_directory_user(
                organization_id,
                directory_id,
                email,
                given_name=given_name,
                family_name=family_name,
                group_ids=group_ids,
                detail=detail,
            )
        except ApiError as exc:
            raise _helper_error(exc) from None

    def add_session(
        self,
        user_id: str,
        organization_id: str,
        *,
        status: str = SESSION_ACTIVE,
        created_at: float | None = None,
        idle_timeout: float = 30 * 60.0,
        absolute_timeout: float = 24 * 3600.0,
    ) -> str:
        """Add a session for a user; returns its ``ses_`` id. ``status`` is ACTIVE, EXPIRED,
        REVOKED or LOGGED_OUT; ``created_at`` is a Unix time (default now)."""
        try:
            return self._state.add_session(
                user_id,
                organization_id,
                status=status,
                client_id=self.client_id,
                created_at=created_at,
                idle_timeout=idle_timeout,
                absolute_timeout=absolute_timeout,
            )
        except ApiError as exc:
            raise _helper_error(exc) from None

    def set_connection_test_result(
        self,
        connection_id: str,
        test_request_id: str,
        status: str | int = "SUCCESS",
        *,
        user_info: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        error_details: str | None = None,
    ) -> None:
        """What ``GetConnectionTestResult`` answers for this test request (otherwise PENDING)."""
        value = cx.TestResultStatus.Value(status) if isinstance(status, str) else status
        result = ConnectionTestResult(
            status=cx.TestResultStatus.ValueType(value),
            user_info=user_info,
            error=error,
            error_description=error_description,
            error_details=error_details,
        )
        with self._state.lock:
            self._state.test_results[(connection_id, test_request_id)] = result

    def seed(self) -> SeedData:
        """Create one organization with a verified domain, an enabled connection, an enabled
        directory (3 users, 2 groups), an API token, and a user (made the default sign-in user)
        with two active sessions and one expired session. Each call creates a new organization."""
        with self._state.lock:
            self._state.seed_count += 1
            n = self._state.seed_count
            org = self._state.new_id("org")
        name = "acme.example.com" if n == 1 else f"acme{n}.example.com"
        domain = self._domains.CreateDomain(
            dm.CreateDomainRequest(
                organization_id=org,
                domain=dm.CreateDomain(domain=name, domain_type=dm.ORGANIZATION_DOMAIN),
            ),
            _NO_CONTEXT,
        ).domain
        self._domains.VerifyDomain(
            dm.VerifyDomainRequest(organization_id=org, id=domain.id), _NO_CONTEXT
        )
        domain = self._domains.GetDomain(
            dm.GetDomainRequest(organization_id=org, id=domain.id), _NO_CONTEXT
        ).domain
        conn = self._connections.CreateConnection(
            cx.CreateConnectionRequest(
                organization_id=org, connection=cx.CreateConnection(provider=cx.OKTA, type=cx.OIDC)
            ),
            _NO_CONTEXT,
        ).connection
        self._connections.AssignDomainsToConnection(
            cx.AssignDomainsToConnectionRequest(
                organization_id=org, connection_id=conn.id, domain_ids=[domain.id]
            ),
            _NO_CONTEXT,
        )
        self._connections.EnableConnection(
            cx.ToggleConnectionRequest(organization_id=org, id=conn.id), _NO_CONTEXT
        )
        directory = self._directories.CreateDirectory(
            dr.CreateDirectoryRequest(
                organization_id=org,
                directory=dr.CreateDirectory(directory_type=dr.SCIM, directory_provider=dr.OKTA),
            ),
            _NO_CONTEXT,
        ).directory
        self._directories.EnableDirectory(
            dr.ToggleDirectoryRequest(organization_id=org, id=directory.id), _NO_CONTEXT
        )
        engineering = self._state.add_directory_group(org, directory.id, "Engineering")
        sales = self._state.add_directory_group(org, directory.id, "Sales")
        people = [
            ("alice", "Alice", "Anders", [engineering]),
            ("bob", "Bob", "Brown", [engineering, sales]),
            ("carol", "Carol", "Chen", [sales]),
        ]
        user_ids = tuple(
            self._state.add_directory_user(
                org,
                directory.id,
                f"{login}@{name}",
                given_name=given,
                family_name=family,
                group_ids=groups,
            )
            for login, given, family, groups in people
        )
        user = self._state.register_user(
            email=f"alice@{name}",
            organization_id=org,
            connection_id=conn.id,
            given_name="Alice",
            family_name="Anders",
            make_default=True,
        )
        now = time.time()
        expired = self._state.add_session(
            user.user_id,
            org,
            client_id=self.client_id,
            status=SESSION_EXPIRED,
            created_at=now - 3 * 86400.0,
        )
        active = tuple(
            self._state.add_session(
                user.user_id, org, client_id=self.client_id, created_at=now - age
            )
            for age in (7200.0, 60.0)
        )
        token = self._tokens.CreateToken(
            tk.CreateTokenRequest(
                token=tk.CreateToken(
                    organization_id=org,
                    description="seeded API token",
                    custom_claims={"env": "test"},
                )
            ),
            _NO_CONTEXT,
        )
        return SeedData(
            organization_id=org,
            domain=domain,
            domain_id=domain.id,
            connection_id=conn.id,
            directory_id=directory.id,
            directory_user_ids=user_ids,
            directory_group_ids=(engineering, sales),
            user_id=user.user_id,
            user_email=user.email,
            session_ids=(expired, *active),
            active_session_ids=active,
            api_token=token.token,
            api_token_id=token.token_id,
        )
