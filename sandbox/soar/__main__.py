"""Command line: serve the SOAR sandbox until interrupted (`python -m sandbox.soar --rest-port 0`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .sandbox import DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, SoarSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.soar", description=__doc__)
    parser.add_argument("--rest-port", type=int, default=0, help="HTTPS port (0 = any free port)")
    parser.add_argument("--stomp-port", type=int, default=0, help="STOMP/TLS port (0 = any free port)")
    parser.add_argument("--api-key-id", default=DEFAULT_API_KEY_ID)
    parser.add_argument("--api-key-secret", default=DEFAULT_API_KEY_SECRET)
    args = parser.parse_args(argv)
    sandbox = SoarSandbox(api_key_id=args.api_key_id, api_key_secret=args.api_key_secret,
                          rest_port=args.rest_port, stomp_port=args.stomp_port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(sandbox.describe(), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
