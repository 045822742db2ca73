"""The kinds of failure fn_slack reports to SOAR, each carrying a message written for the SOAR user."""


class FnSlackError(Exception):
    """Base of every failure fn_slack reports; ``str()`` is the message the SOAR user reads."""


class InputError(FnSlackError):
    """A function input is missing or malformed; the message names the input and the fix."""


class ConfigError(FnSlackError):
    """The ``[fn_slack]`` app.config section is missing a key or has a bad value."""


class SlackError(FnSlackError):
    """Slack refused or failed a call; ``code`` is Slack's error code (e.g. ``is_archived``)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class RateLimitedError(SlackError):
    """Slack kept rate-limiting a call beyond the configured total wait (``max_rate_limit_wait``)."""


class SoarError(FnSlackError):
    """A SOAR REST call needed by the function failed."""


def http_status(err: Exception) -> int | None:
    """The HTTP status of a failed SOAR REST call (resilient's exceptions carry the response), if any."""
    return getattr(getattr(err, "response", None), "status_code", None)
