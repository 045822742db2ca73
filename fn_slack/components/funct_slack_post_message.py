"""Function slack_post_message: post incident data or plain text to a Slack channel."""

from resilient_circuits import app_function

from fn_slack.components.function_component import SlackFunctionComponent
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.settings import load_settings, soar_link_builder

FN_NAME = "slack_post_message"


class FunctionComponent(SlackFunctionComponent):
    """Component that implements function 'slack_post_message'."""

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = MessageRequest.from_inputs(fn_inputs)
        rest = self.rest_client()
        flow = MessagePost(load_settings(self), rest, soar_link_builder(self.opts, getattr(rest, "org_id", None)))
        yield from self._to_soar(flow.run(request, current_invocation()))
