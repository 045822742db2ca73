"""Function slack_archive_channel: save a channel's whole conversation in SOAR, then archive the channel."""

import os
import tempfile

from resilient_circuits import AppFunctionComponent, FunctionResult, app_function

from fn_slack.lib import inputs
from fn_slack.lib.app_support import PACKAGE, check_settings_at_startup, load_settings, save_attachment
from fn_slack.lib.conversations_table import ConversationsTable, incident_lock
from fn_slack.lib.errors import InputError, SlackError, SoarError
from fn_slack.lib.history_export import load_template, write_history
from fn_slack.lib.post_target import linked_channel
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
                link = ConversationsTable(rest, incident_id).find_link(task_id)
                if link is None:
                    raise InputError(f"No Slack channel is linked to this {label}: give slack_channel_id to "
                                     f"archive a channel by its ID.")
                channel = linked_channel(slack, ConversationsTable(rest, incident_id), link)
            if channel.is_archived:
                raise SlackError(f"Slack channel #{channel.name} is already archived.", code="already_archived")

            try:
                slack.post_message(channel, NOTICE, username=settings.username)
            except SlackError as err:
                if err.code == "is_archived":
                    raise SlackError(f"Slack channel #{channel.name} is already archived.", code=err.code) from None
                raise
            yield self.status_message(f"Exporting the history of Slack channel #{channel.name}.")

            name = f"Slack_channel_{channel.name}_history.txt"
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
            yield self.status_message(f"{count} messages of #{channel.name} saved as {name} on the {label}.")

            archived = slack.archive(channel)
        yield self.status_message(f"Slack channel #{channel.name} was archived." if archived else
                                  f"Slack channel #{channel.name} was already archived.")
        yield FunctionResult({
            "channel": channel.name,
            "channel_id": channel.id,
            "attachment_id": attachment.get("id"),
            "attachment_name": attachment.get("name") or name,
            "message_count": count,
        })
