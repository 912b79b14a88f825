"""Benchmarks of scalekit-grpc: what the client costs on top of gRPC and PyJWT.

Run ``python -m benchmarks`` (full) or ``python -m benchmarks --quick`` from the repository root;
see ``benchmarks/README.md`` for how to read the table.
"""
