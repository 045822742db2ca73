"""Command line: serve the SOAR sandbox until interrupted (`python -m sandbox.soar --rest-port 0`)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time

from .sandbox import DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, SoarSandbox
from .state import DOTTED_PATCH, ROW_VERSIONS, ROW_VERSIONS_ENV, UNKNOWN_COLUMNS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.soar", description=__doc__)
    parser.add_argument("--rest-port", type=int, default=0, help="HTTPS port (0 = any free port)")
    parser.add_argument("--stomp-port", type=int, default=0, help="STOMP/TLS port (0 = any free port)")
    parser.add_argument("--ui-port", type=int, default=0,
                        help="port of the web page, plain HTTP on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--api-key-id", default=DEFAULT_API_KEY_ID)
    parser.add_argument("--api-key-secret", default=DEFAULT_API_KEY_SECRET)
    parser.add_argument("--broker", choices=["builtin", "activemq"], default="builtin",
                        help="the STOMP broker: the sandbox's own (default) or Apache ActiveMQ (make activemq)")
    parser.add_argument("--unknown-columns", choices=list(UNKNOWN_COLUMNS), default="refuse",
                        help="a data table row write naming a column the table lacks: refused with HTTP 400 "
                             "(default) or written without that cell")
    parser.add_argument("--dotted-patch", choices=list(DOTTED_PATCH), default="refuse",
                        help="an incident PATCH naming a custom field as properties.<field>: refused with HTTP "
                             "400 (default) or taken as the field's bare name")
    parser.add_argument("--row-versions", choices=list(ROW_VERSIONS), default=None,
                        help="a data table row PUT: a stale version is refused with HTTP 409 and only the cells "
                             "sent change, or the version is ignored and the PUT replaces the row (default: "
                             f"${ROW_VERSIONS_ENV}, else ignored)")
    args = parser.parse_args(argv)
    sandbox = SoarSandbox(api_key_id=args.api_key_id, api_key_secret=args.api_key_secret,
                          rest_port=args.rest_port, stomp_port=args.stomp_port, broker=args.broker,
                          unknown_columns=args.unknown_columns, dotted_patch=args.dotted_patch,
                          row_versions=args.row_versions, ui_port=args.ui_port).start()
    print(sandbox.describe(), flush=True)
    print(f"SOAR sandbox page {sandbox.ui_url}  (incidents, menu items to click: they need fn_slack's "
          "customizations imported with resilient-circuits customize)", flush=True)
    try:
        wait_for_stop_signal()
    finally:
        sandbox.stop()
    return 0


def wait_for_stop_signal() -> None:
    """Block until SIGTERM or Ctrl-C.

    The kernel may hand the signal to any of the server threads, and Python then runs the handler only
    when the main thread next executes bytecode: so the main thread polls a flag instead of blocking in
    a wait that the signal would never interrupt."""
    received: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    with contextlib.suppress(KeyboardInterrupt):
        while not received:
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
