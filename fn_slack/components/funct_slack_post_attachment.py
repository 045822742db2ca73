"""Function slack_post_attachment: upload an incident, task or artifact file to a Slack channel."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.attachment_post import AttachmentPost, AttachmentRequest
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_post_attachment"


def post_attachment(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then upload the file to its channel."""
    request = AttachmentRequest.from_inputs(fn_inputs)
    return AttachmentPost(load_settings(component), component.rest_client()).run(request, current_invocation())


FunctionComponent = slack_function(FN_NAME, post_attachment)
