"""Function slack_post_message: post incident data or plain text to a Slack channel."""

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib import inputs
from fn_slack.lib.app_support import PACKAGE, check_settings_at_startup, load_settings, soar_link_builder
from fn_slack.lib.conversations_table import ConversationsTable
from fn_slack.lib.errors import InputError
from fn_slack.lib.message_format import render_message
from fn_slack.lib.post_target import PostRequest, link_if_new, post_result, post_target
from fn_slack.lib.results import function_result
from fn_slack.lib.slack_utils import SlackUtils

FN_NAME = "slack_post_message"


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_post_message'."""

    def __init__(self, opts):
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs):
        request = PostRequest.from_inputs(fn_inputs)
        if not request.text:
            raise InputError("slack_text is empty: give the message to post.")
        mrkdwn = inputs.flag(getattr(fn_inputs, "slack_mrkdwn", None), "slack_mrkdwn")
        as_user = inputs.flag(getattr(fn_inputs, "slack_as_user", None), "slack_as_user")
        username = inputs.text_input(getattr(fn_inputs, "slack_username", None))
        settings = load_settings(self)
        rest = self.rest_client()
        message = render_message(request.text, soar_link_builder(self.opts, getattr(rest, "org_id", None)))

        slack = SlackUtils(settings)
        table = ConversationsTable(rest, request.incident_id)
        with post_target(slack, table, request) as target:
            for notice in target.notices:
                yield self.status_message(notice)

            notices: list[str] = []
            ts = slack.post_message(target.channel, message.text, attachments=message.attachments,
                                    username=None if as_user else (username or settings.username),
                                    as_user=bool(as_user), mrkdwn=mrkdwn is not False, notices=notices)
            for notice in notices:
                yield self.status_message(notice)
            url = slack.permalink(target.channel, ts)
            linked = link_if_new(table, request, target, url)

        yield self.status_message(f"Message posted to Slack channel #{target.channel.name}."
                                  + (f" #{target.channel.name} is now linked to this {request.object_label}."
                                     if linked else ""))
        yield function_result(post_result(request, target, url, ts, linked), user_info=[])
