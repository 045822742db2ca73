"""Slack message text (mrkdwn) → SOAR note HTML. Pure: no I/O.

Slack text is untrusted in SOAR: everything a person typed is HTML-escaped, and only the markup made here
(``<b>``, ``<i>``, ``<s>``, ``<code>``, ``<pre>``, ``<blockquote>``, ``<br>``, ``<a href>`` with an http(s) or
mailto address) reaches the note. Slack sends text with ``&``, ``<`` and ``>`` escaped as ``&amp;``, ``&lt;``,
``&gt;`` and marks mentions and links with angle brackets (``<@U123>``, ``<#C123|name>``, ``<!here>``,
``<https://x|label>``), as its "Formatting text for app surfaces" page describes.

What the text shows is what it is: a mention shows the person Slack names by the ID (``<@U…|label>`` never
shows its label), a channel its known name, a link whose label names another address than its target shows
the target (and the label as text after it); bidi controls and zero-width characters are removed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from fn_slack.lib import messages
from fn_slack.lib.text_conventions import label_misleads, slack_unescape, strip_invisible

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
    """A link: its label, or its target when it has no label — or when the label names another address than the
    target (``<https://evil.example|https://bank.example>``), the target with the label as text after it."""
    target = slack_unescape(target)
    label = slack_unescape(label) if label else None
    safe = target.lower().startswith(_SAFE_SCHEMES)
    if label and label_misleads(label, target):
        shown = f'<a href="{_esc(target)}">{_esc(target)}</a>' if safe else _esc(target)
        return shown + _esc(messages.link_label_in_slack(label))
    shown = _esc(label or target)
    return f'<a href="{_esc(target)}">{shown}</a>' if safe else shown


def _token_html(inner: str, user_name: Callable[[str], str | None],  # noqa: PLR0911 - one exit per kind
                channel_name: Callable[[str], str | None]) -> str:
    body, _, label = inner.partition("|")
    if body.startswith("@"):      # the person Slack names by the ID; a label is the writer's and never shown
        uid = slack_unescape(body[1:])
        return f"<b>@{_esc(user_name(uid) or uid)}</b>"
    if body.startswith("#"):      # the channel's known name; else its label, with the ID that says which
        cid = slack_unescape(body[1:])
        known = channel_name(cid)
        if known:
            return f"<b>#{_esc(known)}</b>"
        return f"<b>#{_esc(slack_unescape(label))}</b> ({_esc(cid)})" if label else f"<b>#{_esc(cid)}</b>"
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


def _named(lookup: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """A name lookup whose names lose invisible characters (a name is shown, never trusted to look right)."""
    def name(key: str) -> str | None:
        found = lookup(key)
        return strip_invisible(found) if found else None
    return name


def _inline(escaped: str, parts: _Parts, user_name: Callable[[str], str | None],  # noqa: PLR0913
            channel_name: Callable[[str], str | None], *, markup: bool = True) -> str:
    """One line or paragraph of Slack text (still in Slack's escaping) → HTML; ``markup`` False: the line's
    ``*``, ``_`` and ``~`` stay as typed."""
    # Code spans first: nothing inside them is markup.
    escaped = re.sub(r"`([^`\n]+)`", lambda m: parts.keep(f"<code>{_esc(slack_unescape(m.group(1)))}</code>"),
                     escaped)
    escaped = _TOKEN.sub(lambda m: parts.keep(_token_html(m.group(1), user_name, channel_name)), escaped)
    text = _esc(slack_unescape(escaped))
    for pattern, tag in _INLINE if markup else ():
        text = pattern.sub(lambda m, t=tag: f"<{t}>{m.group(1)}</{t}>", text)
    return text


def mrkdwn_to_html(text: str | None, *, users: Mapping[str, str] | Callable[[str], str | None] | None = None,
                   channels: Mapping[str, str] | Callable[[str], str | None] | None = None,
                   literal: Callable[[str], bool] | None = None) -> str:
    """Slack message text as safe SOAR note HTML. ``users``/``channels`` name the IDs of mentions (a mapping
    or a function); unknown IDs are shown as they are. ``literal``: the lines (as Slack sent them) whose
    ``*``, ``_`` and ``~`` stay as typed, so that they cannot pass for markup fn_slack makes."""
    user_name = _named(users if callable(users) else ((users or {}).get))
    channel_name = _named(channels if callable(channels) else ((channels or {}).get))
    keep = literal or (lambda _line: False)
    parts = _Parts()
    source = strip_invisible(_CONTROL.sub("", text or ""))
    # Code blocks: kept verbatim (escaped), newlines included.
    source = re.sub(r"```\n?(.*?)```", lambda m: parts.keep(f"<pre>{_esc(slack_unescape(m.group(1)))}</pre>"),
                    source, flags=re.DOTALL)
    out: list[str] = []
    quote: list[str] = []
    for line in source.split("\n"):
        if line.startswith("&gt;"):
            rest = line[4:].lstrip(" ")
            quote.append(_inline(rest, parts, user_name, channel_name, markup=not keep(rest)))
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(_inline(line, parts, user_name, channel_name, markup=not keep(line)))
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = ""
    for i, piece in enumerate(out):
        if i and not out[i - 1].endswith("</blockquote>") and not piece.startswith("<blockquote>"):
            joined += "<br>"
        joined += piece
    return parts.restore(joined)


__all__ = ["mrkdwn_to_html"]
