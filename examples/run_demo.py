"""`make demo`: start the embedded mock Scalekit server, run the quickstart against it, stop it.

The server runs as its own process through the same CLI a user would run
(``python -m scalekit_grpc.testing serve --seed``); its first stdout line is JSON with the
addresses, credentials and seed ids, which become the quickstart's environment.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    server = subprocess.Popen(
        [sys.executable, "-m", "scalekit_grpc.testing", "serve", "--seed"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            print("demo: the mock server did not start", file=sys.stderr)
            return 1
        info = json.loads(line)
        print(f"demo: mock Scalekit at {info['env_url']} (gRPC {info['grpc_target']})")
        env = {
            **os.environ,
            "SCALEKIT_ENVIRONMENT_URL": info["env_url"],
            "SCALEKIT_GRPC_TARGET": info["grpc_target"],
            "SCALEKIT_CLIENT_ID": info["client_id"],
            "SCALEKIT_CLIENT_SECRET": info["client_secret"],
            "SCALEKIT_ORGANIZATION_ID": info["seed"]["organization_id"],
            "SCALEKIT_USER_ID": info["seed"]["user_id"],
        }
        return subprocess.call([sys.executable, str(HERE / "quickstart.py")], env=env)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
