#!/usr/bin/env python3
"""A buf plugin that runs one of grpcio-tools' built-in generators.

grpcio-tools compiles protoc and the gRPC Python generator into a Python extension; neither is an
executable that buf can call. buf hands this script a CodeGeneratorRequest; the script writes the
request's descriptors to a file, runs ``grpc_tools.protoc --<kind>_out`` on them and hands the
files back as a CodeGeneratorResponse. The generator kind (``python`` or ``grpc_python``) is the
first argument.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    kind = sys.argv[1]
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        descriptors = root / "descriptors.binpb"
        descriptors.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out = root / "out"
        out.mkdir()
        args = [
            "grpc_tools.protoc",
            f"--descriptor_set_in={descriptors}",
            f"--{kind}_out={out}",
            *request.file_to_generate,
        ]
        if protoc.main(args) != 0:
            response.error = f"grpc_tools.protoc --{kind}_out failed"
        else:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    response.file.add(
                        name=path.relative_to(out).as_posix(), content=path.read_text()
                    )
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
