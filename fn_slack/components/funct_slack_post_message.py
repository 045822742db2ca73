"""Function slack_post_message: post incident data or plain text to a Slack channel."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.settings import load_settings, soar_link_builder

FN_NAME = "slack_post_message"


def post_message(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then render and post the message."""
    request = MessageRequest.from_inputs(fn_inputs)
    rest = component.rest_client()
    flow = MessagePost(load_settings(component), rest, soar_link_builder(component.opts, getattr(rest, "org_id", None)))
    return flow.run(request, current_invocation())


FunctionComponent = slack_function(FN_NAME, post_message)
