"""fn_slack's own work for the benchmarks: the steps of the post and archive components, over fn_slack's lib.

The components are thin (inputs → lib → status + result); these functions run the same lib calls in the same
order without the resilient-circuits machinery, with the SOAR table in memory (``bench.soar_table``).
"""

from __future__ import annotations

from typing import TextIO

from bench.soar_table import InMemoryTable
from fn_slack.lib.history_export import load_template, write_history
from fn_slack.lib.inputs import Participants
from fn_slack.lib.message_format import render_message
from fn_slack.lib.post_target import (
    PostRequest,
    invite_participants,
    link_if_new,
    linked_channel,
    resolve_post_target,
)
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_utils import CHANNEL_DIRECTORY, Channel, SlackUtils

SOAR_URL = "https://soar.example.com"


def settings(base_url: str, token: str, max_rate_limit_wait: float = 600) -> SlackSettings:
    return SlackSettings(token=token, api_url=base_url, max_rate_limit_wait=max_rate_limit_wait)


def forget_channels() -> None:
    """Empty fn_slack's process-wide channel-name memory, as in a freshly started app."""
    CHANNEL_DIRECTORY.clear()


def _soar_link(incident_id: int, task_id: int | None = None) -> str:
    return f"{SOAR_URL}/#incidents/{incident_id}" + (f"?taskId={task_id}" if task_id else "")


def post_message(config: SlackSettings, table: InMemoryTable, incident_id: int, text: str, *,
                 channel_name: str | None = None, is_private: bool | None = None,
                 emails: list[str] | None = None) -> dict:
    """What slack_post_message does for one call (its component body, step by step)."""
    request = PostRequest(incident_id=incident_id, task_id=None, channel_id=None, channel_name=channel_name,
                          is_private=is_private, participants=Participants(emails=list(emails or []), malformed=[]),
                          text=text)
    message = render_message(request.text, _soar_link)
    slack = SlackUtils(config)
    target = resolve_post_target(slack, table, request)
    status = list(target.notices)
    status += invite_participants(slack, target.channel, request.participants)
    ts = slack.post_message(target.channel, message.text, attachments=message.attachments,
                            username=config.username, notices=status)
    url = slack.permalink(target.channel, ts)
    linked = link_if_new(table, request, target, url)
    return {"channel_id": target.channel.id, "ts": ts, "url": url, "linked": linked, "status": status}


def export_history(config: SlackSettings, channel: Channel, out: TextIO) -> int:
    """The export step of slack_archive_channel: the whole history, threads and authors, streamed to ``out``."""
    slack = SlackUtils(config)
    template = load_template(config.template_file)
    return write_history(out, slack.iter_threads(channel), slack.author_name, template,
                         extra={"channel": channel.name})


def linked_channel_of(config: SlackSettings, table: InMemoryTable) -> Channel:
    """The incident's linked channel, as the archive component finds it."""
    link = table.find_link(None)
    if link is None:
        raise LookupError(f"incident {table.incident_id} has no linked channel")
    return linked_channel(SlackUtils(config), table, link)
