"""What the sandbox's pages share: their address prefix, escaping and links to channels and files."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

PREFIX = "/_sandbox"
NOBODY = "nobody"  # the person picker's choice of no one: the pages only read

_SLACK_ENTITY_RE = re.compile(r"&(amp|lt|gt);")
_SLACK_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def esc(value: Any) -> str:
    """HTML-escape any value for element content and quoted attributes."""
    return html.escape(str(value), quote=True)


def slack_escape(text: str) -> str:
    """What a person types, as Slack's own clients send it: &, < and > as Slack's three entities, so that typed
    angle brackets stay text and never become a link, a mention or a broadcast (Slack: "Formatting text for app
    surfaces", escaping text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_unescape(text: str) -> str:
    """Slack's three entities (&amp; &lt; &gt;) back to the characters they display as."""
    return _SLACK_ENTITY_RE.sub(lambda m: _SLACK_ENTITIES[m.group(1)], text)


def channel_href(channel_id: str) -> str:
    return f"{PREFIX}/channels/{quote(channel_id, safe='')}"


def file_href(file_id: str) -> str:
    return f"{PREFIX}/files/{quote(file_id, safe='')}"


__all__ = ["NOBODY", "PREFIX", "channel_href", "esc", "file_href", "slack_unescape"]
