"""Function slack_post_attachment: upload an incident, task or artifact file to a Slack channel."""

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib import inputs
from fn_slack.lib.app_support import (
    MALWARE_SAMPLE,
    PACKAGE,
    check_settings_at_startup,
    describe_file,
    download,
    load_settings,
)
from fn_slack.lib.conversations_table import ConversationsTable
from fn_slack.lib.errors import InputError
from fn_slack.lib.message_format import MAX_TEXT_CHARS
from fn_slack.lib.post_target import PostRequest, link_if_new, post_result, post_target
from fn_slack.lib.results import function_result
from fn_slack.lib.slack_utils import SlackUtils

FN_NAME = "slack_post_attachment"


def _megabytes(size: int) -> str:
    """A size as people read it: 812 bytes, 3.4 KB, 12.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_post_attachment'."""

    def __init__(self, opts):
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs):
        request = PostRequest.from_inputs(fn_inputs)
        artifact_id = inputs.record_id("artifact_id", getattr(fn_inputs, "artifact_id", None))
        attachment_id = inputs.record_id("attachment_id", getattr(fn_inputs, "attachment_id", None))
        if request.text and len(request.text) > MAX_TEXT_CHARS:
            raise InputError(f"slack_text has {len(request.text):,} characters; Slack allows at most "
                             f"{MAX_TEXT_CHARS:,} in a file comment: shorten it.")
        settings = load_settings(self)
        rest = self.rest_client()

        soar_file, path = describe_file(rest, request.incident_id, request.task_id, artifact_id, attachment_id)
        if (soar_file.artifact_type or "").strip().lower() == MALWARE_SAMPLE and not settings.allow_malware_samples:
            raise InputError(f"Artifact {artifact_id} is a Malware Sample: fn_slack does not upload malware "
                             f"samples to Slack unless [fn_slack] allow_malware_samples = true.")
        if soar_file.size is not None and soar_file.size > settings.max_upload_bytes:
            raise InputError(f"{soar_file.name} is {_megabytes(soar_file.size)}, over the upload limit of "
                             f"{_megabytes(settings.max_upload_bytes)} ([fn_slack] max_upload_mb, at most Slack's "
                             f"1 GB): nothing was uploaded.")

        slack = SlackUtils(settings)
        table = ConversationsTable(rest, request.incident_id)
        with post_target(slack, table, request) as target:
            for notice in target.notices:
                yield self.status_message(notice)

            data = download(rest, path)
            if len(data) > settings.max_upload_bytes:
                raise InputError(f"{soar_file.name} is {_megabytes(len(data))}, over the upload limit of "
                                 f"{_megabytes(settings.max_upload_bytes)}: nothing was uploaded.")
            title = f"Incident ID {request.incident_id} {soar_file.kind} Attachment: {soar_file.name}"
            uploaded = slack.upload_file(target.channel, data, soar_file.name, title, request.text)
            del data
            if not uploaded.share_ts:
                yield self.status_message("Slack had not shown the file in the channel yet; the result links "
                                          "to the file itself.")
            linked = link_if_new(table, request, target, uploaded.permalink)

        yield self.status_message(f"{soar_file.name} was uploaded to Slack channel #{target.channel.name}.")
        result = post_result(request, target, uploaded.permalink, uploaded.share_ts or "", linked)
        result.update({"file_id": uploaded.id, "file_name": uploaded.name})
        yield function_result(result, user_info=[])
