"""A local stand-in for Slack's Web API that slack_sdk talks to over real HTTP (not shipped with fn_slack)."""

from .limits import Faults
from .server import Call, SlackSandbox
from .workspace import DEFAULT_BOT_SCOPES, DEFAULT_TOKEN, WorkspaceError

__all__ = ["DEFAULT_BOT_SCOPES", "DEFAULT_TOKEN", "Call", "Faults", "SlackSandbox", "WorkspaceError"]
