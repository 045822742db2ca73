"""Function slack_post_attachment: upload an incident, task or artifact file to a Slack channel."""

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib.attachment_post import AttachmentPost, AttachmentRequest
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.results import function_result
from fn_slack.lib.settings import PACKAGE, check_settings_at_startup, load_settings

FN_NAME = "slack_post_attachment"


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_post_attachment'."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = AttachmentRequest.from_inputs(fn_inputs)
        for step in AttachmentPost(load_settings(self), self.rest_client()).run(request, current_invocation()):
            if isinstance(step, str):
                yield self.status_message(step)
            else:
                yield function_result(step.result(), user_info=step.user_info)
