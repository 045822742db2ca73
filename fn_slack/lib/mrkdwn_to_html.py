"""Slack message text (mrkdwn) → SOAR note HTML. Pure: no I/O.

Slack text is untrusted in SOAR: everything a person typed is HTML-escaped, and only the markup made here
(``<b>``, ``<i>``, ``<s>``, ``<code>``, ``<pre>``, ``<blockquote>``, ``<br>``, ``<a href>`` with an http(s) or
mailto address) reaches the note. Slack sends text with ``&``, ``<`` and ``>`` escaped as ``&amp;``, ``&lt;``,
``&gt;`` and marks mentions and links with angle brackets (``<@U123>``, ``<#C123|name>``, ``<!here>``,
``<https://x|label>``), as its "Formatting text for app surfaces" page describes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from fn_slack.lib.text_conventions import slack_unescape

_TOKEN = re.compile(r"<([^<>\s][^<>]*)>")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
# Inline markup on escaped text: the markers must touch a word on the inside and stand free outside.
_INLINE = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
]
_PLACEHOLDER = "\x00{}\x00"
_PLACEHOLDER_RE = re.compile("\x00(\\d+)\x00")
# Control characters other than tab and line breaks: nothing a note can show, and NUL is the placeholders' mark.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


class _Parts:
    """Finished HTML fragments kept out of the way of the inline-markup pass."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def keep(self, fragment: str) -> str:
        self.items.append(fragment)
        return _PLACEHOLDER.format(len(self.items) - 1)

    def restore(self, text: str) -> str:
        return _PLACEHOLDER_RE.sub(lambda m: self.items[int(m.group(1))], text)


def _link(target: str, label: str | None) -> str:
    target = slack_unescape(target)
    shown = _esc(slack_unescape(label) if label else target)
    if target.lower().startswith(_SAFE_SCHEMES):
        return f'<a href="{_esc(target)}">{shown}</a>'
    return shown


def _token_html(inner: str, user_name: Callable[[str], str | None],  # noqa: PLR0911 - one exit per kind
                channel_name: Callable[[str], str | None]) -> str:
    body, _, label = inner.partition("|")
    if body.startswith("@"):
        uid = body[1:]
        name = label or user_name(uid) or uid
        return f"<b>@{_esc(slack_unescape(name))}</b>"
    if body.startswith("#"):
        cid = body[1:]
        name = label or channel_name(cid) or cid
        return f"<b>#{_esc(slack_unescape(name))}</b>"
    if body.startswith("!"):
        word = body[1:].split("^", 1)[0]
        if word in _SPECIAL:
            return f"<b>{_SPECIAL[word]}</b>"
        if word == "subteam":
            return f"<b>{_esc(slack_unescape(label or '@group'))}</b>"
        if word == "date":
            return _esc(slack_unescape(label or ""))
        return _esc(slack_unescape(label or body))
    return _link(body, label or None)


def _inline(escaped: str, parts: _Parts, user_name: Callable[[str], str | None],
            channel_name: Callable[[str], str | None]) -> str:
    """One line or paragraph of Slack text (still in Slack's escaping) → HTML."""
    # Code spans first: nothing inside them is markup.
    escaped = re.sub(r"`([^`\n]+)`", lambda m: parts.keep(f"<code>{_esc(slack_unescape(m.group(1)))}</code>"),
                     escaped)
    escaped = _TOKEN.sub(lambda m: parts.keep(_token_html(m.group(1), user_name, channel_name)), escaped)
    text = _esc(slack_unescape(escaped))
    for pattern, tag in _INLINE:
        text = pattern.sub(lambda m, t=tag: f"<{t}>{m.group(1)}</{t}>", text)
    return text


def mrkdwn_to_html(text: str | None, *, users: Mapping[str, str] | Callable[[str], str | None] | None = None,
                   channels: Mapping[str, str] | Callable[[str], str | None] | None = None) -> str:
    """Slack message text as safe SOAR note HTML. ``users``/``channels`` name the IDs of mentions (a mapping
    or a function); unknown IDs are shown as they are."""
    user_name = users if callable(users) else ((users or {}).get)
    channel_name = channels if callable(channels) else ((channels or {}).get)
    parts = _Parts()
    source = _CONTROL.sub("", text or "")
    # Code blocks: kept verbatim (escaped), newlines included.
    source = re.sub(r"```\n?(.*?)```", lambda m: parts.keep(f"<pre>{_esc(slack_unescape(m.group(1)))}</pre>"),
                    source, flags=re.DOTALL)
    out: list[str] = []
    quote: list[str] = []
    for line in source.split("\n"):
        if line.startswith("&gt;"):
            quote.append(_inline(line[4:].lstrip(" "), parts, user_name, channel_name))
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(_inline(line, parts, user_name, channel_name))
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = ""
    for i, piece in enumerate(out):
        if i and not out[i - 1].endswith("</blockquote>") and not piece.startswith("<blockquote>"):
            joined += "<br>"
        joined += piece
    return parts.restore(joined)


__all__ = ["mrkdwn_to_html"]
