"""Text conventions every layer of fn_slack shares (pure, a leaf): Slack's three entities undone; the characters
untrusted text loses both ways (bidi controls, zero-width characters); whether a link's label names another
address than its target; and the UTC times fn_slack writes for people — one function, one named format per
place a time is shown.

Slack escapes exactly three characters in message text (``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` →
``&gt;``, Slack's "Formatting text for app surfaces"); any other entity (``&quot;``, ``&copy;``) is literal
text someone typed, so it is left as it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

# Characters that change how text displays without being seen: bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), bidi marks (U+200E, U+200F, U+061C), zero-width characters (U+200B-U+200D,
# U+2060, U+FEFF) and the soft hyphen (U+00AD). Untrusted text loses them; a zero-width joiner between two
# emoji (a family, a skin tone) is what draws them as one, and stays.
_EMOJI = "\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF"
INVISIBLE_RE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u00ad\u200b\u200c\u2060\ufeff]"
    f"|(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])")
# What a link's label would be read as: a domain (with or without scheme) or an IPv4 address.
_DOMAIN_IN_LABEL_RE = re.compile(r"(?<![\w.-])((?:[\w-]+\.)+[^\W\d_]{2,}|\d{1,3}(?:\.\d{1,3}){3})(?![\w-])")


def slack_unescape(text: str) -> str:
    """Slack's three entities back to the characters they stand for; ``&amp;`` last, so ``&amp;lt;`` stays
    the literal text ``&lt;``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_invisible(value: str) -> str:
    """``value`` without bidi controls, zero-width characters and soft hyphens (see ``INVISIBLE_RE``)."""
    return INVISIBLE_RE.sub("", value)


def link_host(href: str) -> str:
    """The host a link leads to (lower case, no ``www.``): the URL's host, or a mailto address's domain; "" when
    the address cannot be read."""
    try:
        parts = urlsplit(href.strip())
        host = parts.path.rpartition("@")[2] if parts.scheme.lower() == "mailto" else (parts.hostname or "")
    except ValueError:
        return ""
    return _bare_host(host)


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def label_misleads(label: str, href: str) -> bool:
    """Whether a link's label names an address (a URL, domain or IP) other than where the link leads.

    A label naming the target's host or a parent domain of it ("example.com" for https://www.example.com/x)
    is honest; so is a label naming no address at all ("the report")."""
    target = link_host(href)
    for match in _DOMAIN_IN_LABEL_RE.finditer(strip_invisible(label)):
        named = _bare_host(match.group(1))
        if named != target and not target.endswith("." + named):
            return True
    return False


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
