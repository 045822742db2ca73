"""Turn a Slack channel's messages into the archive export text, streamed through a Jinja2 template.

The built-in template (``fn_slack/data/templates/history_export.jinja2``) writes the format of the seed guide.
An admin can replace it with ``template_file``; a template receives:

``messages``
    an iterable (read once, lazily) of :class:`ExportMessage`, newest parent first, with
    ``number`` (1, 2, ... through parents and replies), ``author`` ("" when unknown), ``time`` (UTC
    "YYYY-MM-DD HH:MM:SS"), ``ts``, ``text``, ``files`` (list of ``(name, url)``), ``reply_count`` and
    ``replies`` (a list of :class:`ExportMessage` in the same shape, oldest first).
any variables given in ``extra``
    whatever the caller adds (for example the channel name).

and the filter ``tab_indent`` (one tab before every line of a block). Templates are rendered without
autoescaping, with ``trim_blocks`` (the newline after a ``{% ... %}`` tag is dropped: give block tags lines of
their own), ``lstrip_blocks`` and ``keep_trailing_newline``; an undefined variable is an error, so a typo in a
template fails the export instead of silently dropping text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TextIO

import jinja2

from fn_slack.lib.errors import ConfigError

BUILTIN_TEMPLATE = "history_export.jinja2"
_TEMPLATE_PACKAGE = "fn_slack.data.templates"


@dataclass
class ExportMessage:
    """One message as the export template sees it."""

    author: str
    ts: str
    text: str
    files: list[tuple[str, str]]
    number: int = 0
    replies: list[ExportMessage] = field(default_factory=list)

    @property
    def time(self) -> str:
        """UTC "YYYY-MM-DD HH:MM:SS" of the Slack timestamp ("" when Slack sent none)."""
        return slack_ts_to_utc(self.ts)

    @property
    def reply_count(self) -> int:
        return len(self.replies)


def slack_ts_to_utc(ts: str) -> str:
    """UTC "YYYY-MM-DD HH:MM:SS" of a Slack message timestamp such as "1793544114.000100"."""
    try:
        seconds = int(str(ts).split(".", 1)[0])
        return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return ""


# A date token <!date^SECONDS^FORMAT|fallback> reads as its fallback (UTC) text in a plain-text export.
_DATE_TOKEN = re.compile(r"<!date\^[0-9]+\^[^|>]*\|([^>]*)>")


def _slack_unescape(text: str) -> str:
    # Slack sends &, < and > as entities in message text; the export is plain text for people to read.
    text = _DATE_TOKEN.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_link_preview(attachment: dict) -> bool:
    # Slack adds attachments for unfurled links; the message's own text is the content then.
    return bool(attachment.get("from_url") or attachment.get("original_url") or attachment.get("is_share"))


def message_body(msg: dict) -> str:
    """The text a message contributes to the export (files are listed separately).

    A message formatted with attachments (as fn_slack posts SOAR data) gives its own text (the analyst's
    words, unless it only repeats an attachment's title or fallback for notifications), then each
    attachment's pretext and text, non-empty parts joined by newlines; any other message gives its ``text``.
    """
    content = [a for a in msg.get("attachments") or () if isinstance(a, dict) and not _is_link_preview(a)]
    if content:
        own = str(msg.get("text") or "").strip("\n")
        repeats = {str(a.get(key) or "").strip() for a in content for key in ("title", "fallback", "pretext")}
        parts = [own] if own.strip() not in repeats else []
        parts += [str(a.get(key) or "").strip("\n") for a in content for key in ("pretext", "text")]
        body = "\n".join(part for part in parts if part.strip())
    else:
        body = str(msg.get("text") or "")
    return _slack_unescape(_normalise_newlines(body))


def message_files(msg: dict) -> list[tuple[str, str]]:
    """(name, permalink) of each file shared in the message; deleted files keep whatever Slack still says."""
    files = []
    for item in msg.get("files") or ():
        if isinstance(item, dict):
            name = item.get("name") or item.get("title") or ""
            url = item.get("permalink") or item.get("url_private") or ""
            files.append((str(name), str(url)))
    return files


def _is_broadcast_copy(msg: dict) -> bool:
    # A reply "also sent to the channel" shows in history too; it is exported once, inside its thread.
    return msg.get("subtype") == "thread_broadcast" and msg.get("thread_ts") not in (None, msg.get("ts"))


def _tab_indent(text: str) -> str:
    """Prefix every line with a tab, blank lines included (a block's final newline stays as it is)."""
    lines = str(text).split("\n")
    last = len(lines) - 1
    return "\n".join("\t" + line if line or i < last else line for i, line in enumerate(lines))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        autoescape=False,  # noqa: S701 - the export is a plain text file, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


_ENV = _environment()
_ENV.filters["tab_indent"] = _tab_indent


def load_template(path: str | None) -> str:
    """The export template's text: the built-in one for None, else the file at ``path`` (checked for syntax)."""
    if path is None:
        return resources.files(_TEMPLATE_PACKAGE).joinpath(BUILTIN_TEMPLATE).read_text(encoding="utf-8")
    full_path = os.path.expanduser(path)
    try:
        with open(full_path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigError(f"template_file '{path}' cannot be read: {reason}.") from err
    try:
        _ENV.parse(text)
    except jinja2.TemplateSyntaxError as err:
        raise ConfigError(
            f"template_file '{path}' is not a valid Jinja2 template: {err.message} (line {err.lineno}).") from err
    return text


def write_history(out: TextIO, threads: Iterable[tuple[dict, Iterable[dict]]],
                  author_name: Callable[[dict], str], template_text: str | None = None,
                  extra: Mapping[str, object] | None = None) -> int:
    """Write the export of ``threads`` to ``out`` as it is read, and return how many messages it holds.

    ``threads`` yields ``(parent, replies)`` newest parent first, as conversations.history lists them, with
    each thread's replies oldest first (empty for a message without replies). Only one thread's replies are
    held in memory at a time. ``author_name(msg)`` gives the name shown for a message's author.
    """
    text = load_template(None) if template_text is None else template_text
    try:
        template = _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as err:
        raise ConfigError(
            f"template_file is not a valid Jinja2 template: {err.message} (line {err.lineno}).") from err

    count = 0

    def entry(msg: dict) -> ExportMessage:
        nonlocal count
        count += 1
        return ExportMessage(author=author_name(msg) or "", ts=str(msg.get("ts") or ""),
                             text=message_body(msg), files=message_files(msg), number=count)

    def messages() -> Iterator[ExportMessage]:
        for parent, replies in threads:
            if _is_broadcast_copy(parent):
                continue
            item = entry(parent)
            parent_ts = parent.get("ts")
            # conversations.replies starts with the parent itself; skip it if the caller passed it through.
            item.replies = [entry(reply) for reply in replies if reply.get("ts") != parent_ts]
            yield item

    try:
        variables = {**(extra or {}), "messages": messages()}
        for chunk in template.generate(variables):
            out.write(chunk)
    except jinja2.TemplateError as err:
        raise ConfigError(f"template_file could not render the channel export: {err}.") from err
    return count
