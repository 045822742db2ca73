"""Function slack_sync_channel: the incident's linked channel shows the incident as it is (topic, bookmark,
pinned summary), one Slack write per part that changed."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.channel_sync import ChannelSync, SyncRequest
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.settings import load_settings, soar_link_builder

FN_NAME = "slack_sync_channel"


def sync_channel(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then bring the channel in step with the incident."""
    request = SyncRequest.from_inputs(fn_inputs)
    rest = component.rest_client()
    flow = ChannelSync(load_settings(component), rest, soar_link_builder(component.opts, getattr(rest, "org_id", None)))
    return flow.run(request, current_invocation())


FunctionComponent = slack_function(FN_NAME, sync_channel)
