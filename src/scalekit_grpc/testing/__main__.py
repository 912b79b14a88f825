"""``python -m scalekit_grpc.testing serve``: run the mock server in the foreground.

The first and only line on stdout is a JSON object with ``env_url``, ``grpc_target``,
``client_id`` and ``client_secret`` (plus ``seed`` with ``--seed``), so scripts and other
languages can read it; logs go to stderr. Runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from types import FrameType

from scalekit_grpc.testing.server import MockScalekitServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scalekit_grpc.testing", description="Run the mock Scalekit server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server until interrupted")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--grpc-port", type=int, default=0, help="gRPC port (default: a free one)")
    serve.add_argument("--http-port", type=int, default=0, help="HTTP port (default: a free one)")
    serve.add_argument("--client-id", default=None, help="environment client id (default: random)")
    serve.add_argument(
        "--client-secret", default=None, help="environment client secret (default: random)"
    )
    serve.add_argument(
        "--token-lifetime", type=float, default=3600.0, help="access token lifetime in seconds"
    )
    serve.add_argument(
        "--seed", action="store_true", help="create seed data and include its ids in the JSON line"
    )
    serve.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server = MockScalekitServer(
        host=args.host,
        grpc_port=args.grpc_port,
        http_port=args.http_port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_lifetime=args.token_lifetime,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"cannot start the mock server: {exc}", file=sys.stderr)
        return 1
    try:
        line: dict[str, object] = {
            "env_url": server.env_url,
            "grpc_target": server.grpc_target,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
        }
        if args.seed:
            line["seed"] = server.seed().to_dict()
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
        logging.getLogger("scalekit_grpc.testing").info("stopping")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
