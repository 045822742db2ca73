"""Function slack_archive_channel: save a channel's whole conversation in SOAR, then archive the channel."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.channel_archive import ArchiveRequest, ChannelArchive
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_archive_channel"


def archive_channel(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then export, save and archive the channel."""
    request = ArchiveRequest.from_inputs(fn_inputs)
    return ChannelArchive(load_settings(component), component.rest_client()).run(request, current_invocation())


FunctionComponent = slack_function(FN_NAME, archive_channel)
