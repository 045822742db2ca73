"""Text conventions every layer of fn_slack shares (pure, a leaf): Slack's three entities undone, and the UTC
times fn_slack writes for people — one function, one named format per place a time is shown.

Slack escapes exactly three characters in message text (``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` →
``&gt;``, Slack's "Formatting text for app surfaces"); any other entity (``&quot;``, ``&copy;``) is literal
text someone typed, so it is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


def slack_unescape(text: str) -> str:
    """Slack's three entities back to the characters they stand for; ``&amp;`` last, so ``&amp;lt;`` stays
    the literal text ``&lt;``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class TimeFormat(StrEnum):
    """The ways fn_slack writes a UTC time, each named for where it is read."""

    EXPORT = "%Y-%m-%d %H:%M:%S"
    """A line of the archive's export, and the fallback text of a Slack date token."""
    NOTE = "%Y-%m-%d %H:%M:%S UTC"
    """A mirrored note, a question's answer note and the reply to a late answer."""
    QUESTION = "%Y-%m-%d %H:%M UTC"
    """The question's blocks in Slack: its deadline, its answer, its expiry."""


def utc_time(epoch_seconds: float, time_format: TimeFormat) -> str:
    """``epoch_seconds`` (fractions dropped) as a UTC time in ``time_format``; ValueError, OverflowError or
    OSError for a time out of range."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime(time_format)
