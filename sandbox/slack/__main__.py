"""Command line: run the Slack sandbox until SIGTERM or SIGINT. Its page, http://127.0.0.1:PORT/_sandbox/, shows the
channels as Slack does; pick a person there to post, reply, edit, delete and click buttons as them."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .realism import Realism, make_realism
from .server import SlackSandbox


def _share_delay(value: str) -> float:
    return float("inf") if value.strip().lower() == "never" else float(value)


def _switch(item: str) -> tuple[str, object]:
    """"name=value" for a realism switch, the value typed like the switch's default."""
    name, sep, raw = item.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or name not in Realism.__dataclass_fields__:
        raise ValueError(f"--realism wants SWITCH=VALUE with a known switch, not {item!r}")
    if name == "history_days":
        return name, None if raw.lower() in ("", "none") else float(raw)
    if isinstance(getattr(Realism(), name), bool):
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"{name} wants true or false, not {raw!r}")
        return name, raw.lower() in ("true", "1", "yes", "on")
    return name, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--workspace", help="workspace JSON file (see sandbox/slack/README.md)")
    parser.add_argument("--latency-ms", type=float, default=0, help="added latency per API call")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Slack's per-method tiers")
    parser.add_argument("--time-scale", type=float, default=1.0, help="scale rate-limit windows (0.01 = 100x)")
    parser.add_argument("--non-marketplace", action="store_true",
                        help="history/replies at 15 per page and 1 request per (scaled) minute")
    parser.add_argument("--share-delay", type=_share_delay, default=0.0,
                        help="seconds between completeUploadExternal and the file share in the channel "
                             "('never': no share appears)")
    parser.add_argument("--tidy", action="store_true",
                        help="start from the tidy behaviour instead of Slack's (see README, Realism)")
    parser.add_argument("--realism", action="append", default=[], metavar="SWITCH=VALUE",
                        help="set one realism switch, e.g. join_messages=false or history_days=90 (repeatable)")
    parser.add_argument("--upload-tls", action="store_true",
                        help="serve the upload host over HTTPS with a fresh self-signed certificate")
    parser.add_argument("--post-limit-answer", choices=("http_429", "ok_false"), default="http_429",
                        help="how chat.postMessage's per-channel pace refuses (with --rate-limits)")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    try:
        realism = make_realism("tidy" if args.tidy else "real").changed(
            **dict(_switch(item) for item in args.realism))
    except ValueError as err:
        parser.error(str(err))

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sandbox = SlackSandbox(args.workspace, port=args.port, latency_ms=args.latency_ms,
                           rate_limits=args.rate_limits, time_scale=args.time_scale,
                           non_marketplace=args.non_marketplace, share_delay=args.share_delay,
                           realism=realism, upload_tls=args.upload_tls,
                           post_limit_answer=args.post_limit_answer).start()
    print(f"Slack sandbox listening on {sandbox.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
