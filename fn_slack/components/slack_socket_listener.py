"""The Slack Socket Mode listener: starts with ``resilient-circuits run`` and mirrors the conversation of
linked channels into SOAR (two-way channels). Off, and nothing else changes, while ``[fn_slack] app_token``
is not set."""

from __future__ import annotations

import logging

from circuits import handler
from resilient_circuits import ResilientComponent
from resilient_lib import RequestsCommon

from fn_slack.lib import messages
from fn_slack.lib.errors import ConfigError
from fn_slack.lib.mirror import MirrorService
from fn_slack.lib.settings import PACKAGE, SlackSettings


class SlackSocketListener(ResilientComponent):
    """A circuits component without functions: it holds the process's Socket Mode connection."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts)
        self.service: MirrorService | None = None
        options = opts.get(PACKAGE, {}) or {}
        try:
            rc = RequestsCommon(opts, options)
            settings = SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())
        except ConfigError as err:
            if options.get("app_token"):
                self.log.error(messages.listener_cannot_start(err))
            return
        if not settings.app_token:
            self.log.info(messages.listener_off())
            return
        self.service = MirrorService(settings, self.rest_client(), self.log)
        self.service.start()

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(PACKAGE)

    @handler("unregistered")
    def _unregistered(self, component: object, manager: object) -> None:
        if component is self and self.service is not None:
            self.service.close()
            self.service = None

    @handler("stopped")
    def _stopped(self, *args: object) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None
