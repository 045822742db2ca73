"""Function slack_post_message: post incident data or plain text to a Slack channel."""

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.results import function_result
from fn_slack.lib.settings import PACKAGE, check_settings_at_startup, load_settings, soar_link_builder

FN_NAME = "slack_post_message"


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_post_message'."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = MessageRequest.from_inputs(fn_inputs)
        rest = self.rest_client()
        flow = MessagePost(load_settings(self), rest, soar_link_builder(self.opts, getattr(rest, "org_id", None)))
        for step in flow.run(request, current_invocation()):
            if isinstance(step, str):
                yield self.status_message(step)
            else:
                yield function_result(step.result(), user_info=step.user_info)
