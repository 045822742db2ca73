"""The kinds of failure fn_slack reports to SOAR, each carrying a message written for the SOAR user.

Which type is raised says who decided: ``InputError``/``ConfigError`` — fn_slack, before or without asking
anyone; ``SlackError`` — Slack answered and refused (its error code and response are kept);
``SlackUnreachableError`` — Slack did not answer usably (timeout, dropped connection, HTTP 5xx or a body that
is not Slack's JSON), so a write may or may not have taken effect; ``ChannelStateError`` — the channel Slack
describes cannot be used for the action; ``SoarError`` — a SOAR REST call failed; ``UnverifiedRowError`` — a row
in SOAR was changed outside fn_slack.
"""

from __future__ import annotations


class FnSlackError(Exception):
    """Base of every failure fn_slack reports; ``str()`` is the message the SOAR user reads."""


class InputError(FnSlackError):
    """A function input is missing or malformed; the message names the input and the fix."""


class ConfigError(FnSlackError):
    """The ``[fn_slack]`` app.config section is missing a key or has a bad value."""


class SlackError(FnSlackError):
    """Slack refused a call: ``code`` is Slack's own error code (e.g. ``is_archived``), ``response`` its answer."""

    def __init__(self, message: str, code: str, response: object = None, method: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.response = response
        self.method = method


class RateLimitedError(SlackError):
    """Slack kept rate-limiting a call beyond the configured total wait (``max_rate_limit_wait``)."""


class SlackUnreachableError(FnSlackError):
    """No usable answer from Slack: timeout, dropped connection, HTTP 5xx or a non-JSON (e.g. proxy) page.

    ``status`` is the HTTP status when there was one. A write that ends this way may have taken effect.
    ``in_flight`` says whether Slack may still be carrying the request out: True when nothing answered (a
    timeout, a dropped connection) or something in front of Slack did (a proxy's page); False when Slack's
    API itself answered with its JSON error (its work on the request is over) or the request never left this
    machine (connection refused, name not resolved, TLS refused)."""

    def __init__(self, message: str, method: str, status: int | None = None, *, in_flight: bool = True) -> None:
        super().__init__(message)
        self.method = method
        self.status = status
        self.in_flight = in_flight


class WriteUncertainError(FnSlackError):
    """A write whose answer was lost, and nobody can tell whether it took effect (Slack answered none of the looks
    for it until it could no longer take effect, or the write cannot be recognised for certain).

    fn_slack does not send it again (that could make it appear twice); the message tells the SOAR user
    where to look before running the action again."""

    def __init__(self, message: str, method: str) -> None:
        super().__init__(message)
        self.method = method


class ChannelStateError(FnSlackError):
    """The channel cannot be used for the action (archived, gone, invisible to the app); ``reason`` says which."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SoarError(FnSlackError):
    """A SOAR REST call needed by the function failed."""


class UnverifiedRowError(FnSlackError):
    """A data-table row fn_slack would decide on does not hold what fn_slack sealed (no seal, a seal that does not
    fit, or cells changed outside fn_slack): nothing is done with it; the message names the row and what changed."""
