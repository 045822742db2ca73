"""Function slack_archive_channel: save a channel's whole conversation in SOAR, then archive the channel."""

import os
import tempfile

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib import inputs
from fn_slack.lib.app_support import (
    PACKAGE,
    check_settings_at_startup,
    find_saved_attachment,
    load_settings,
    save_attachment,
)
from fn_slack.lib.conversations_table import ConversationsTable, incident_lock
from fn_slack.lib.errors import InputError, SlackError, SoarError
from fn_slack.lib.history_export import load_template, write_history
from fn_slack.lib.post_target import linked_channel
from fn_slack.lib.results import function_result
from fn_slack.lib.slack_utils import SlackUtils

FN_NAME = "slack_archive_channel"
NOTICE = "This channel has been set to be archived from SOAR."


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_archive_channel'."""

    def __init__(self, opts):
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs):
        incident_id = inputs.record_id("incident_id", getattr(fn_inputs, "incident_id", None), required=True)
        task_id = inputs.record_id("task_id", getattr(fn_inputs, "task_id", None))
        channel_id = inputs.channel_id(getattr(fn_inputs, "slack_channel_id", None))
        settings = load_settings(self)
        template = load_template(settings.template_file)
        rest = self.rest_client()
        label = "task" if task_id else "incident"

        slack = SlackUtils(settings)
        with incident_lock(incident_id):
            if channel_id:
                channel = slack.channel_info(channel_id)
            else:
                table = ConversationsTable(rest, incident_id)
                link = table.find_link(task_id)
                if link is None:
                    raise InputError(f"No Slack channel is linked to this {label}: give slack_channel_id to "
                                     f"archive a channel by its ID.")
                channel = linked_channel(slack, table, link)
            if channel.is_archived:
                raise _already_archived(channel)

            notice_ts = self._post_notice(slack, channel, settings.username)
            yield self.status_message(f"Exporting the history of Slack channel #{channel.name}.")

            name = f"Slack_channel_{channel.name}_history.txt"
            # A rerun after a crash between saving and archiving finds its export and does not save it twice.
            # (Clock skew between Slack and SOAR can only make it save again, never skip an unsaved export.)
            attachment = find_saved_attachment(rest, incident_id, task_id, name, int(float(notice_ts) * 1000))
            if attachment is not None:
                count = None
                yield self.status_message(f"{name} was already saved on the {label} by an earlier run.")
            else:
                attachment, count = _export_and_save(slack, channel, template, rest=rest, incident_id=incident_id,
                                                     task_id=task_id, name=name)
                yield self.status_message(f"{count} messages of #{channel.name} saved as {name} on the {label}.")

            archived = slack.archive(channel)
        yield self.status_message(f"Slack channel #{channel.name} was archived." if archived else
                                  f"Slack channel #{channel.name} was already archived.")
        yield function_result({
            "channel": channel.name,
            "channel_id": channel.id,
            "attachment_id": attachment.get("id"),
            "attachment_name": attachment.get("name") or name,
            "message_count": count,
        })

    @staticmethod
    def _post_notice(slack: SlackUtils, channel, username: str) -> str:
        """Post the archive notice (once: a rerun reuses its own notice if nothing came after it)."""
        newest = slack.newest_message(channel)
        if newest and newest.get("text") == NOTICE and newest.get("bot_id"):
            return newest["ts"]
        try:
            return slack.post_message(channel, NOTICE, username=username)
        except SlackError as err:
            if err.code == "is_archived":
                raise _already_archived(channel) from None
            raise


def _already_archived(channel) -> SlackError:
    return SlackError(f"Slack channel #{channel.name} is already archived.", code="already_archived")


def _export_and_save(slack: SlackUtils, channel, template: str, *, rest, incident_id: int, task_id: int | None,
                     name: str) -> tuple[dict, int]:
    """Stream the history to a temporary file and save it in SOAR; the channel stays as it is if this fails."""
    handle, path = tempfile.mkstemp(prefix="fn_slack_", suffix=".txt")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            count = write_history(out, slack.iter_threads(channel), slack.author_name, template,
                                  extra={"channel": channel.name})
        try:
            attachment = save_attachment(rest, incident_id, task_id, path, name)
        except SoarError as err:
            raise SoarError(f"{err}. Slack channel #{channel.name} was NOT archived, so nothing is "
                            f"lost: run the action again.") from None
    finally:
        os.unlink(path)
    return attachment, count
