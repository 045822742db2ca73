"""The README's screenshots show what fn_slack really posts: tools/screenshots.py seeds its Slack sandbox with
messages and files, and each must look exactly like what the slack_post_message / slack_post_attachment
functions post for the same slack_text, through resilient-circuits (behavior §3.2-§3.4)."""

from __future__ import annotations

import re

import pytest

from fn_slack.lib.slack_memory import CHANNEL_DIRECTORY, TOKEN_USERS, USER_IDS
from sandbox.slack import SlackSandbox
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tools import screenshots

config_data = make_config()

# The two runs build SOAR links from different [resilient] hosts; the rest of each link must agree.
_SOAR_HOST = re.compile(r"https://[^/\s|>]+/#")


def _shape(message: dict) -> dict:
    """What a reader sees of a message: its author, text, attachments and files."""
    files = [{"name": f.get("name"), "title": f.get("title")} for f in message.get("files") or []]
    attachments = [{key: _SOAR_HOST.sub("https://SOAR/#", value) if isinstance(value, str) else value
                    for key, value in attachment.items()} for attachment in message.get("attachments") or []]
    return {"author": message.get("username") or message.get("bot_username"), "text": message.get("text"),
            "attachments": attachments, "files": files}


def _message(sandbox: SlackSandbox, channel_id: str, ts: str) -> dict:
    [found] = [m for m in sandbox.messages(channel_id) if m["ts"] == ts]
    return found


@pytest.fixture(scope="module")
def seeded() -> tuple[list[screenshots.SeededPost], dict[str, dict]]:
    """The screenshot tool's seeding, run on a sandbox of its own: what it posted and how Slack holds it."""
    posted: list[screenshots.SeededPost] = []
    try:
        with SlackSandbox(screenshots.WORKSPACE) as sandbox:
            screenshots.seed(sandbox, posted)
            messages = {post.ts: _message(sandbox, post.channel_id, post.ts) for post in posted}
    finally:
        # fn_slack's process-wide caches must not carry this workspace's channels and users into other tests.
        CHANNEL_DIRECTORY.clear()
        USER_IDS.clear()
        TOKEN_USERS.clear()
    return posted, messages


class TestScreenshotSeeding:
    def test_seeding_posts_incident_task_and_artifact_messages_and_a_file(self, seeded):
        posted, _ = seeded
        assert len([p for p in posted if p.file_name is None]) >= 4
        assert [p.file_name for p in posted if p.file_name] == ["edr-timeline.csv"]

    def test_every_seeded_message_is_what_slack_post_message_posts(self, circuits_app, slack, soar, seeded):
        posted, messages = seeded
        general = slack.channel("general")["id"]
        for post in (p for p in posted if p.file_name is None):
            outcome = run_function(circuits_app, "slack_post_message",
                                   {"incident_id": INCIDENT, "slack_channel": "general", "slack_text": post.slack_text})
            assert outcome.error is None, outcome.error
            real = _message(slack, general, outcome.content["ts"])
            assert _shape(messages[post.ts]) == _shape(real), post.slack_text

    def test_every_seeded_file_is_what_slack_post_attachment_uploads(self, circuits_app, slack, soar, seeded):
        posted, messages = seeded
        general = slack.channel("general")["id"]
        for post in (p for p in posted if p.file_name):
            artifact_id = soar.add_artifact(INCIDENT, "Log File", post.file_name, file_name=post.file_name,
                                            data=post.file_data)["id"]
            outcome = run_function(circuits_app, "slack_post_attachment",
                                   {"incident_id": INCIDENT, "artifact_id": artifact_id, "slack_channel": "general",
                                    "slack_text": post.slack_text}, timeout=60)
            assert outcome.error is None, outcome.error
            [real] = [m for m in slack.messages(general) if m.get("files")]
            assert _shape(messages[post.ts]) == _shape(real)
