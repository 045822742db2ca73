"""Command line: run the Slack sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import SlackSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--workspace", help="workspace JSON file (see sandbox/slack/README.md)")
    parser.add_argument("--latency-ms", type=float, default=0, help="added latency per API call")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Slack's per-method tiers")
    parser.add_argument("--time-scale", type=float, default=1.0, help="scale rate-limit windows (0.01 = 100x)")
    parser.add_argument("--non-marketplace", action="store_true",
                        help="history/replies at 15 per page and 1 request per (scaled) minute")
    parser.add_argument("--share-delay", type=float, default=0.0,
                        help="seconds between completeUploadExternal and the file share in the channel")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sandbox = SlackSandbox(args.workspace, port=args.port, latency_ms=args.latency_ms,
                           rate_limits=args.rate_limits, time_scale=args.time_scale,
                           non_marketplace=args.non_marketplace, share_delay=args.share_delay).start()
    print(f"Slack sandbox listening on {sandbox.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
