"""Function slack_post_attachment: upload an incident, task or artifact file to a Slack channel."""

from resilient_circuits import app_function

from fn_slack.components.function_component import SlackFunctionComponent
from fn_slack.lib.attachment_post import AttachmentPost, AttachmentRequest
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_post_attachment"


class FunctionComponent(SlackFunctionComponent):
    """Component that implements function 'slack_post_attachment'."""

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = AttachmentRequest.from_inputs(fn_inputs)
        flow = AttachmentPost(load_settings(self), self.rest_client())
        yield from self._to_soar(flow.run(request, current_invocation()))
