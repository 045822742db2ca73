"""Function slack_archive_channel: save a channel's whole conversation in SOAR, then archive the channel."""

from resilient_circuits import app_function

from fn_slack.components.function_component import SlackFunctionComponent
from fn_slack.lib.channel_archive import ArchiveRequest, ChannelArchive
from fn_slack.lib.invocation import current_invocation
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_archive_channel"


class FunctionComponent(SlackFunctionComponent):
    """Component that implements function 'slack_archive_channel'."""

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = ArchiveRequest.from_inputs(fn_inputs)
        flow = ChannelArchive(load_settings(self), self.rest_client())
        yield from self._to_soar(flow.run(request, current_invocation()))
