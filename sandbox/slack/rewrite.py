"""How Slack rewrites the text of a posted message before storing it ("your message may mutate")."""

from __future__ import annotations

import re

# A control sequence Slack keeps as sent: a mention, a special mention or a link (optionally labelled).
_CONTROL = re.compile(r"<(?:[@#][A-Z0-9]+|![a-z]+(?:\^[A-Z0-9]+)?|(?:https?://|mailto:)[^<>|\s]+)(?:\|[^<>]*)?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
# A bare URL ends at whitespace, "<" or ">", and so at "&lt;"/"&gt;" (those characters as stored text holds them).
_URL = re.compile(r"https?://(?:(?!&[lg]t;)[^\s<>])+")
_URL_TRAILING = ".,;:!?)]}'\""
# With link_names, bare @here/@channel/@everyone and user-group handles become mentions; "a@b" is no mention.
_BARE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
_SPECIAL = ("here", "channel", "everyone")


def escape(text: str) -> str:
    """Escape &, < and > the way Slack does; entities already escaped stay as they are."""
    out = []
    pos = 0
    for match in _ENTITY.finditer(text):
        out.append(_escape_raw(text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_raw(text[pos:]))
    return "".join(out)


def _escape_raw(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rewrite(text: str, *, link_names: bool, wrap_urls: bool, usergroups_by_handle: dict[str, str]) -> str:
    """The text Slack stores for a posted `text`.

    Control sequences (``<@U..>``, ``<!here>``, ``<https://x|label>``) are kept; elsewhere ``&``, ``<``,
    ``>`` are escaped, bare URLs are wrapped in ``<...>`` (unless ``wrap_urls`` is off, for ``parse=none``)
    and, with ``link_names``, ``@here``/``@channel``/``@everyone`` become ``<!here>``... and user-group
    handles ``<!subteam^S..>``. Individual ``@name`` words are left alone (Slack no longer links them).
    """
    out = []
    pos = 0
    for match in _CONTROL.finditer(text):
        out.append(_plain(text[pos:match.start()], link_names, wrap_urls, usergroups_by_handle))
        out.append(match.group(0))
        pos = match.end()
    out.append(_plain(text[pos:], link_names, wrap_urls, usergroups_by_handle))
    return "".join(out)


def _plain(text: str, link_names: bool, wrap_urls: bool, groups: dict[str, str]) -> str:
    if not text:
        return text
    pieces = []
    pos = 0
    if wrap_urls:
        for match in _URL.finditer(text):
            url = match.group(0).rstrip(_URL_TRAILING)
            end = match.start() + len(url)
            pieces.append(_mentions(escape(text[pos:match.start()]), link_names, groups))
            pieces.append(f"<{escape(url)}>")
            pos = end
    pieces.append(_mentions(escape(text[pos:]), link_names, groups))
    return "".join(pieces)


def _mentions(text: str, link_names: bool, groups: dict[str, str]) -> str:
    if not link_names:
        return text

    def replace(match: re.Match) -> str:
        word = match.group(1)
        core = word.rstrip("._-")
        rest = word[len(core):]
        lowered = core.lower()
        if lowered in _SPECIAL:
            return f"<!{lowered}>{rest}"
        if lowered in groups:
            return f"<!subteam^{groups[lowered]}|@{core}>{rest}"
        return match.group(0)

    return _BARE.sub(replace, text)
