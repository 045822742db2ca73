"""The Slack Socket Mode listener: starts with ``resilient-circuits run`` and mirrors the conversation of
linked channels into SOAR (two-way channels). Off, and nothing else changes, while ``[fn_slack] app_token``
is not set. Not a function: it is loaded through the same ``resilient.circuits.components`` entry point."""

from __future__ import annotations

from circuits import handler
from resilient_circuits import ResilientComponent

from fn_slack.lib.mirror import MirrorService


class SlackSocketListener(ResilientComponent):
    """A circuits component without functions: it holds the process's Socket Mode connection."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts)
        # Whatever goes wrong here is logged by the service and never stops the functions from loading.
        self.service = MirrorService.from_opts(opts, self.rest_client)
        if self.service is not None:
            self.service.start()

    @handler("unregistered")
    def _unregistered(self, component: object, manager: object) -> None:
        if component is self:
            self._close()

    @handler("stopped")
    def _stopped(self, *args: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None
