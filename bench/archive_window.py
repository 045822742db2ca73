"""How long the archive's remaining window is: ``python -m bench.archive_window [--runs N]``.

Slack takes the app's bot out of a channel it archives, so ``slack_archive_channel`` makes sure nothing is
lost with a final read of the history immediately before ``conversations.archive``, and reads nothing after
it. A message written between the moment that final read saw the channel and the moment the archive took
effect is in Slack but not in the saved export. This script runs the archive flow (``ChannelArchive``, as the
component runs it) against the Slack sandbox and measures that window from the sandbox's own clock:

    window = when the channel_archive message was written (the archive taking effect)
             - when the final read's first history page was read (its arrival plus the sandbox's latency,
               which the sandbox waits before it reads)

The first page holds the newest messages and every thread parent whose ``latest_reply`` shows a new reply in
a recent thread; the window for a reply in an old thread, on a later page, is shorter, so this is the
longest. SOAR is an in-memory attachment store here: saving is not part of the window.
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

from fn_slack.lib.channel_archive import ArchiveOutcome, ArchiveRequest, ChannelArchive
from fn_slack.lib.settings import SlackSettings
from sandbox.slack import SlackSandbox


class AttachmentStore:
    """The two SOAR calls the archive makes on an incident's attachments, in memory."""

    def __init__(self) -> None:
        self.entries: list[dict] = []

    def get(self, uri: str, skip_retry: list[int] | None = None) -> dict:
        return {"entities": list(self.entries)}

    def post_attachment(self, uri: str, path: str, filename: str, mimetype: str) -> dict:
        entry = {"id": len(self.entries) + 1, "name": filename, "created": int(time.time() * 1000)}
        self.entries.append(entry)
        return entry


def archive_once(sb: SlackSandbox, messages: int, threads: int) -> float:
    """Archive one seeded channel; returns the window in milliseconds."""
    channel_id = sb.add_channel(f"window-{time.time_ns()}", members=["bot", "alice", "bob"])
    if messages:
        sb.seed_history(channel_id, messages, threads=threads)
    sb.clear_calls()
    settings = SlackSettings(token=sb.default_token, api_url=sb.base_url)
    request = ArchiveRequest.from_inputs(SimpleNamespace(incident_id=1, slack_channel_id=channel_id))
    steps = list(ChannelArchive(settings, AttachmentStore()).run(request))
    assert isinstance(steps[-1], ArchiveOutcome), steps
    calls = sb.calls
    archive_at = max(i for i, c in enumerate(calls) if c.method == "conversations.archive")
    final_read = next(c for c in reversed(calls[:archive_at]) if c.method == "conversations.history"
                      and not c.params.get("cursor"))
    archived = next(m for m in sb.messages(channel_id, system=True) if m.get("subtype") == "channel_archive")
    seen = final_read.time + sb.latency_ms / 1000.0
    return (float(archived["ts"]) - seen) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print("latency/call  channel                         window ms: median   max")
    with SlackSandbox() as sb:
        for latency in (0, 20):
            for messages, threads in ((10, 2), (2000, 50)):
                sb.reset()
                sb.latency_ms = latency
                windows = [archive_once(sb, messages, threads) for _ in range(args.runs)]
                print(f"{latency:>7} ms    {messages:>5} messages, {threads:>3} threads   "
                      f"{statistics.median(windows):>16.1f} {max(windows):>6.1f}")


if __name__ == "__main__":
    main()
