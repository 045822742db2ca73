"""Incident data is untrusted in Slack everywhere: every input field of the functions that reaches Slack, filled
with the whole hostile catalogue (tests/unit/test_message_format.py), through resilient-circuits against the
Slack sandbox. Whatever Slack stored notifies nobody, links nowhere fn_slack did not put a link, and carries no
bidi control; a field that cannot take such a value (a channel name) is refused before any write.

``WALKS`` is the list of (function, field) the test walks: a function that sends SOAR data to Slack adds its
fields there."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fn_slack.lib import slack_uploads
from sandbox.slack import notify
from tests.functions.conftest import INCIDENT
from tests.functions.harness import Outcome, run_function
from tests.functions.harness import config_data as make_config
from tests.unit.test_message_format import HOSTILE, HOSTILE_PLAIN

config_data = make_config()
CATALOGUE = list(dict.fromkeys([*HOSTILE, *HOSTILE_PLAIN]))
TEXT = "\n".join(CATALOGUE)            # a field that takes lines: every entry on its own line
ONE_LINE = " ".join(e.replace("\n", " ") for e in CATALOGUE)   # a field of one line (a name)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Every Slack method that changes the workspace.
SLACK_WRITES = {"conversations.create", "conversations.invite", "conversations.join", "chat.postMessage",
                "files.getUploadURLExternal", "files.completeUploadExternal", "chat.update", "conversations.open"}


@dataclass(frozen=True)
class Walk:
    """One input field of one function that reaches Slack: ``run`` calls the function with ``value`` in it."""

    function: str
    field: str
    run: Callable[[object, object, str], Outcome]
    refused: bool = False     # the field cannot hold such a value: the call fails before any write


def _post(app, _soar, **inputs) -> Outcome:
    inputs.setdefault("incident_id", INCIDENT)
    inputs.setdefault("slack_channel", "general")
    return run_function(app, "slack_post_message", inputs)


def _container(value: str) -> str:
    """A slack_text container (as the example workflows build it) whose labels and values are the catalogue."""
    entries = {"Type of data": {"type": "string", "data": value},
               "Incident name": {"type": "string", "data": value},
               "Description": {"type": "richtext", "data": value},
               "Types": {"type": "string", "data": json.dumps(CATALOGUE)}}
    entries.update({entry[:60]: {"type": "string", "data": "v"} for entry in CATALOGUE})
    return json.dumps(entries)


def _thread(app, soar, value: str) -> Outcome:
    first = _post(app, soar, slack_text="thread start", slack_thread=True)
    assert first.error is None, first.error
    return _post(app, soar, slack_text=value, slack_thread=True)


def _attach(app, soar, *, name: str = "report.txt", text: str | None = None) -> Outcome:
    attachment_id = soar.add_attachment(INCIDENT, name, b"data")
    return run_function(app, "slack_post_attachment", {"incident_id": INCIDENT, "slack_channel": "general",
                                                       "attachment_id": attachment_id, "slack_text": text})


WALKS: list[Walk] = [
    Walk("slack_post_message", "slack_text", lambda app, soar, v: _post(app, soar, slack_text=v)),
    Walk("slack_post_message", "slack_text (container)",
         lambda app, soar, v: _post(app, soar, slack_text=_container(v))),
    Walk("slack_post_message", "slack_text (slack_thread)", _thread),
    Walk("slack_post_message", "slack_text (slack_direct)", lambda app, soar, v: _post(
        app, soar, slack_text=v, slack_direct=True, slack_channel=None,
        slack_participant_emails="alice@example.com, bob@example.com")),
    Walk("slack_post_message", "slack_username",
         lambda app, soar, v: _post(app, soar, slack_text="x", slack_username=v)),
    Walk("slack_post_message", "slack_participant_emails", lambda app, soar, v: _post(
        app, soar, slack_text="x", slack_participant_emails=v.replace("\n", ","))),
    Walk("slack_post_message", "slack_channel", lambda app, soar, v: _post(app, soar, slack_text="x", slack_channel=v),
         refused=True),
    Walk("slack_post_attachment", "slack_text", lambda app, soar, v: _attach(app, soar, text=v)),
    Walk("slack_post_attachment", "the attachment's name", lambda app, soar, v: _attach(app, soar, name=v)),
    Walk("slack_post_attachment", "slack_channel", lambda app, soar, v: run_function(
        app, "slack_post_attachment", {"incident_id": INCIDENT, "slack_channel": v,
                                       "attachment_id": soar.add_attachment(INCIDENT, "a.txt", b"data")}),
         refused=True),
    Walk("slack_archive_channel", "slack_channel", lambda app, soar, v: run_function(
        app, "slack_archive_channel", {"incident_id": INCIDENT, "slack_channel": v}), refused=True),
]


def _stored_texts(slack) -> tuple[list[str], list[str]]:
    """Every text Slack stored for fn_slack's writes, in every channel written to (thread replies too): the
    message texts Slack reads mentions and links in (text, attachments, blocks), and the plain texts it shows
    as typed (the post's shown username, the names and titles of shared files)."""
    channels = {c.params.get("channel") or c.params.get("channel_id") for c in slack.calls
                if c.method in ("chat.postMessage", "files.completeUploadExternal")}
    read: list[str] = []
    plain: list[str] = []
    for channel in filter(None, channels):
        for message in slack.messages(channel):
            for m in [message, *message.get("replies", [])]:
                read += notify.message_texts(m.get("text"), m.get("blocks"), m.get("attachments"))
                plain += [str(m.get("username") or "")]
                plain += [str(f.get(k) or "") for f in m.get("files") or [] for k in ("name", "title")]
    return read, plain


def _linked(text: str) -> list[str]:
    """What Slack reads as a mention, channel, special or labelled link in stored text: ``<!…>``, ``<@…>``,
    ``<#…>`` and ``<address|label>`` (a bare address that Slack links by itself, ``<https://x>``, is not
    fn_slack's doing)."""
    return [seq for seq in re.findall(r"<([^<>]*)>", text)
            if seq[:1] in "!@#" or ("|" in seq and re.match(r"[a-z][a-z0-9+.-]*:", seq, re.IGNORECASE))]


@pytest.fixture(autouse=True)
def short_share_wait(monkeypatch):
    monkeypatch.setattr(slack_uploads, "SHARE_WAIT_SECONDS", 1.0)


@pytest.mark.parametrize("walk", WALKS, ids=lambda w: f"{w.function}:{w.field}")
def test_no_field_of_a_function_lets_incident_data_notify_link_or_disguise_in_slack(walk, circuits_app, slack, soar):
    check_walk(walk, circuits_app, slack, soar)


def check_walk(walk: Walk, circuits_app, slack, soar) -> None:
    """Run the function with the catalogue in the walk's field; check what Slack stored (or the refusal)."""
    value = ONE_LINE if "name" in walk.field or walk.field == "slack_username" else TEXT
    slack.clear_calls()

    outcome = walk.run(circuits_app, soar, value)

    if walk.refused:
        assert outcome.error is not None and walk.field in outcome.error, outcome.error
        assert not [c.method for c in slack.calls if c.method in SLACK_WRITES]
        return
    assert outcome.error is None, outcome.error
    read, plain = _stored_texts(slack)
    assert read, "nothing reached Slack"
    assert [seq for text in read for seq in _linked(text)] == []
    assert not [text for text in read + plain if BIDI.search(text)]
    assert [n for n in slack.notifications if n["broadcast"] or n["users"] or n["usergroups"]] == []
