"""The path of three operations through fn_slack's modules, measured: a first post with ``slack_thread`` and
``slack_mirror``, a mirrored event, and an archive, each run once against the Slack and SOAR sandboxes.

``python -m bench.module_path`` prints, per operation, the modules in the order control entered them, and:
- ``moves``: how often control passed from one fn_slack module into another by a call (a generator resumed
  counts as a call); the leaves every module uses (LEAVES: the catalogue, errors, settings, Slack's
  vocabulary types, the process memory...) are left out;
- ``re-entered``: calls into a module that control had already left by a call elsewhere (the return into a
  caller is no re-entry);
- ``sideways``: calls from one flow into another flow, or from one declared table of the SOAR edge into
  another (peers, not layers);
- ``table after write``: per data table, the SOAR requests made to it after the operation's last write to
  it (a read back), from the SOAR sandbox's call log.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from types import FrameType, SimpleNamespace

from slack_sdk import WebClient

from fn_slack.lib.channel_archive import ArchiveRequest, ChannelArchive
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.mirror import MirrorService
from fn_slack.lib.settings import SlackSettings
from sandbox.slack import SlackSandbox
from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar import SoarSandbox
from sandbox.soar.scripting import default_export_path

# Modules every part uses, like the vocabulary of a language: entering one is not a move.
LEAVES = {"messages", "errors", "settings", "text_conventions", "locks", "invocation", "inputs", "results",
          "slack_vocabulary", "slack_memory"}
FLOWS = {"message_post", "attachment_post", "channel_post", "channel_archive", "post_threads", "questions",
         "mirror"}
DECLARED_TABLES = {"soar.links", "soar.mirror_log", "soar.question_rows"}
TABLE_PATH = re.compile(r"/table_data/([a-z_]+)")


def _module(frame: FrameType | None) -> str | None:
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    if not name.startswith("fn_slack."):
        return None
    return name.removeprefix("fn_slack.").removeprefix("lib.")


class ModulePath:
    """Records, through sys.setprofile, the fn_slack module control is in after each call and return."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []   # ("call" | "return", module entered)

    def _profile(self, frame: FrameType, event: str, _arg: object) -> None:
        if event == "call":
            target, source = _module(frame), _module(frame.f_back)
        elif event == "return":
            target, source = _module(frame.f_back), _module(frame)
        else:
            return
        if target and source and target != source and target not in LEAVES and source not in LEAVES:
            self.steps.append(("call" if event == "call" else "return", target, source))

    def run(self, action: Callable[[], object]) -> object:
        sys.setprofile(self._profile)
        try:
            return action()
        finally:
            sys.setprofile(None)

    def figures(self) -> dict:
        entered, left, re_entered, sideways, pairs, back = [], set(), 0, 0, set(), set()
        for kind, target, source in self.steps:
            if kind == "call":
                if target in left:
                    re_entered += 1
                    back.add(f"{source}→{target}")
                if not entered or entered[-1] != target:
                    entered.append(target)
                if (source in FLOWS and target in FLOWS) or (source in DECLARED_TABLES and target in DECLARED_TABLES):
                    sideways += 1
                    pairs.add(f"{source}→{target}")
                left.add(source)
            else:
                left.discard(target)
        return {"moves": sum(1 for kind, _, _ in self.steps if kind == "call"), "re-entered": re_entered,
                "re-entered by": sorted(back), "sideways": sideways, "sideways pairs": sorted(pairs),
                "path": " → ".join(m for m in entered)}


def table_reads_after_write(calls: list) -> dict[str, int]:
    """Per data table: the requests made to it after the operation's last write to it."""
    per_table: dict[str, list[str]] = {}
    for call in calls:
        match = TABLE_PATH.search(call.path)
        if match:
            per_table.setdefault(match.group(1), []).append(call.method)
    late = {}
    for table, methods in per_table.items():
        writes = [i for i, method in enumerate(methods) if method in ("POST", "PUT", "DELETE")]
        if writes and len(methods) - 1 - writes[-1]:
            late[table] = len(methods) - 1 - writes[-1]
    return late


def operations(slack: SlackSandbox, soar: SoarSandbox) -> Iterator[tuple[str, Callable[[], object]]]:
    rest = soar.rest_client()
    settings = SlackSettings(token=slack.default_token, api_url=slack.base_url, max_rate_limit_wait=10,
                             app_token=APP_TOKEN, event_claim_seconds=30)
    incident = soar.create_incident("Module path")
    state = {}

    def post() -> None:
        fn_inputs = SimpleNamespace(incident_id=incident["id"], slack_channel="module-path",
                                    slack_is_channel_private=False, slack_text="first", slack_thread=True,
                                    slack_mirror=True)
        flow = MessagePost(settings, rest, lambda i, t=None: f"https://soar.example.com/#incidents/{i}")
        outcome = list(flow.run(MessageRequest.from_inputs(fn_inputs)))[-1]
        state["channel"] = outcome.channel.id

    def event() -> None:
        slack.add_member(state["channel"], "alice")
        person = WebClient(token=slack.user_token("alice"), base_url=slack.base_url)
        posted = person.chat_postMessage(channel=state["channel"], text="a person's reply")
        envelope = {"event": {"type": "message", "channel": state["channel"], "user": posted["message"]["user"],
                              "text": "a person's reply", "ts": posted["ts"], "event_ts": posted["ts"]}}
        MirrorService(settings, rest)._handle("events_api", envelope, {})  # noqa: SLF001 - the listener's entry

    def archive() -> None:
        flow = ChannelArchive(settings, rest)
        list(flow.run(ArchiveRequest(incident_id=incident["id"], task_id=None, channel_id=state["channel"])))

    yield "first post with slack_thread and slack_mirror", post
    yield "mirrored event (a person's message)", event
    yield "archive", archive


def main() -> int:
    results = {}
    with SoarSandbox() as soar:
        soar.state.install(json.loads(default_export_path().read_text(encoding="utf-8")))
        slack = SlackSandbox().start()
        try:
            for name, action in operations(slack, soar):
                before = len(soar.state.calls)
                path = ModulePath()
                path.run(action)
                figures = path.figures()
                figures["table after write"] = table_reads_after_write(soar.state.calls[before:])
                results[name] = figures
        finally:
            slack.stop()
    for name, figures in results.items():
        print(f"{name}: {figures['moves']} moves, {figures['re-entered']} re-entered"
              f" {' '.join(figures['re-entered by'])}, {figures['sideways']} sideways"
              f" {' '.join(figures['sideways pairs'])},"
              f" table after write {figures['table after write'] or 'none'}")
        print(f"  {figures['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
