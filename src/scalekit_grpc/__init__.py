"""scalekit-grpc: a gRPC-native, typed, sync and asyncio client for the Scalekit API."""

from scalekit_grpc._version import __version__

__all__ = ["__version__"]
