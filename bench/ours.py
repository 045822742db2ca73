"""fn_slack's own work for the benchmarks: the flow classes the components run, without resilient-circuits.

``post_message`` runs ``MessagePost`` (what slack_post_message runs) with the SOAR table in memory
(``bench.soar_table``); ``export_history`` runs the archive flow's export step.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TextIO

from bench.soar_table import InMemoryTable
from fn_slack.lib.channel_archive import write_export
from fn_slack.lib.channel_post import PostOutcome
from fn_slack.lib.history_export import load_template
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_memory import CHANNEL_DIRECTORY
from fn_slack.lib.slack_vocabulary import Channel

SOAR_URL = "https://soar.example.com"


def settings(base_url: str, token: str, max_rate_limit_wait: float = 600) -> SlackSettings:
    return SlackSettings(token=token, api_url=base_url, max_rate_limit_wait=max_rate_limit_wait)


def forget_channels() -> None:
    """Empty fn_slack's process-wide channel-name memory, as in a freshly started app."""
    CHANNEL_DIRECTORY.clear()


def soar_link(incident_id: int, task_id: int | None = None) -> str:
    return f"{SOAR_URL}/#incidents/{incident_id}" + (f"?taskId={task_id}" if task_id else "")


def post_message(config: SlackSettings, table: InMemoryTable, incident_id: int, text: str, *,
                 channel_name: str | None = None, is_private: bool | None = None,
                 emails: list[str] | None = None) -> dict:
    """What slack_post_message does for one call: its flow, with the inputs a workflow would pass."""
    fn_inputs = SimpleNamespace(incident_id=incident_id, slack_channel=channel_name,
                                slack_is_channel_private=is_private,
                                slack_participant_emails=",".join(emails or []), slack_text=text)
    flow = MessagePost(config, rest_client=None, soar_link=soar_link, tables=lambda _incident: table)
    status: list[str] = []
    outcome = None
    for step in flow.run(MessageRequest.from_inputs(fn_inputs)):
        if isinstance(step, PostOutcome):
            outcome = step
        else:
            status.append(step)
    return {"channel_id": outcome.channel.id, "ts": outcome.ts, "url": outcome.url, "linked": outcome.linked,
            "status": status}


def export_history(config: SlackSettings, channel: Channel, out: TextIO) -> int:
    """The export step of slack_archive_channel: the whole history, threads and authors, streamed to ``out``."""
    return write_export(SlackClient(config), channel, load_template(config.template_file), out)

