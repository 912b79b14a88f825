"""A stateful mock Scalekit server for integration tests: gRPC for the five services, HTTP for
OAuth (token, authorize, JWKS, logout), in-memory state, fault injection and request recording.

Start one in a test::

    from scalekit_grpc.testing import MockScalekitServer

    with MockScalekitServer() as server:
        seed = server.seed()
        client = ScalekitClient(server.env_url, server.client_id, server.client_secret,
                                grpc_target=server.grpc_target)

or use the pytest fixtures ``scalekit_server``, ``scalekit_client`` and
``async_scalekit_client`` (this package's pytest plugin, enabled on install), or run
``python -m scalekit_grpc.testing serve`` for other processes and languages.

The names below are imported on first use, so that loading the pytest plugin (which lives in
this package and is loaded by every pytest run once scalekit-grpc is installed) imports nothing
heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalekit_grpc.testing._faults import RecordedHttpRequest, RecordedRequest
    from scalekit_grpc.testing._state import MockUser
    from scalekit_grpc.testing.server import MockScalekitServer, SeedData

__all__ = [
    "MockScalekitServer",
    "MockUser",
    "RecordedHttpRequest",
    "RecordedRequest",
    "SeedData",
]

_HOMES = {
    "MockScalekitServer": "scalekit_grpc.testing.server",
    "SeedData": "scalekit_grpc.testing.server",
    "MockUser": "scalekit_grpc.testing._state",
    "RecordedRequest": "scalekit_grpc.testing._faults",
    "RecordedHttpRequest": "scalekit_grpc.testing._faults",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
