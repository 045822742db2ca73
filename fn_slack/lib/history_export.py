"""Turn a Slack channel's messages into the archive export text, streamed through a Jinja2 template.

The built-in template (``fn_slack/data/templates/history_export.jinja2``) writes the format of the seed guide.
An admin can replace it with ``[fn_slack] template_file``. Two kinds of template are accepted, and which kind
a file is follows from the variables it uses:

**Streamed** (this version's kind, also the built-in one): rendered once for the whole channel, with

``messages``
    an iterable (read once, lazily) of :class:`ExportMessage`, newest parent first, with
    ``number`` (1, 2, ... through parents and replies), ``author`` ("" when unknown), ``time`` (UTC
    "YYYY-MM-DD HH:MM:SS"), ``ts``, ``text``, ``files`` (list of ``(name, url)``), ``reply_count`` and
    ``replies`` (a list of :class:`ExportMessage` in the same shape, oldest first);

and the filter ``tab_indent`` (one tab before every line of a block). These templates are rendered with
``trim_blocks`` (the newline after a ``{% ... %}`` tag is dropped: give block tags lines of their own),
``lstrip_blocks`` and ``keep_trailing_newline``.

**Per message** (written for the original fn_slack 1.x/2.x): rendered once for each message, in export order
(each thread's replies right after their parent), with the original's variables ``is_msg_parent``,
``number``, ``username``, ``msg_time``, ``msg_pretext``, ``msg_text``, ``file_name``, ``file_permalink`` and
``reply_count``, in the environment the original rendered them in (resilient-lib's filters, no
``trim_blocks``). A template that uses one of these variables and not ``messages`` is of this kind.

Both kinds also receive the variables the caller passes in ``extra``; the archive function passes
``channel`` (the channel's name). Neither kind autoescapes (the export is plain text). A variable the kind does
not provide is an error, found when the template is loaded (before the archive touches Slack), and anything
undefined while rendering is an error too, so a typo in a template fails the export instead of silently
dropping text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TextIO

import jinja2
from jinja2 import meta
from resilient_lib import global_jinja_env

from fn_slack.lib import messages
from fn_slack.lib.errors import ConfigError
from fn_slack.lib.text_conventions import TimeFormat, slack_unescape, utc_time

BUILTIN_TEMPLATE = "history_export.jinja2"
_TEMPLATE_PACKAGE = "fn_slack.data.templates"

STREAMED = "streamed"
PER_MESSAGE = "per-message"
# The variables of each kind of template (see the module's documentation).
STREAMED_VARIABLES = ("messages",)
PER_MESSAGE_VARIABLES = ("is_msg_parent", "number", "username", "msg_time", "msg_pretext", "msg_text",
                         "file_name", "file_permalink", "reply_count")
# What the archive function passes in ``extra``, with the value a template is tried with when it is loaded.
ARCHIVE_VARIABLES: Mapping[str, object] = {"channel": "soar-incident-2103"}


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
        """How many replies the message's thread has."""
        return len(self.replies)


def slack_ts_to_utc(ts: str) -> str:
    """UTC "YYYY-MM-DD HH:MM:SS" of a Slack message timestamp such as "1793544114.000100"."""
    try:
        seconds = int(str(ts).split(".", 1)[0])
        return utc_time(seconds, TimeFormat.EXPORT)
    except (ValueError, OverflowError, OSError):
        return ""


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_link_preview(attachment: dict) -> bool:
    # Slack adds attachments for unfurled links; the message's own text is the content then.
    return bool(attachment.get("from_url") or attachment.get("original_url") or attachment.get("is_share"))


def _join(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part.strip())


def _content_and_own_text(msg: dict) -> tuple[list[dict], str]:
    """The message's content attachments, and its own text unless that only repeats one of them."""
    content = [a for a in msg.get("attachments") or () if isinstance(a, dict) and not _is_link_preview(a)]
    own = str(msg.get("text") or "")
    if content:
        own = own.strip("\n")
        # The text of a formatted message often only repeats a title or fallback, for notifications.
        repeats = {str(a.get(key) or "").strip() for a in content for key in ("title", "fallback", "pretext")}
        if own.strip() in repeats:
            own = ""
    return content, own


# A Slack control sequence in message text: <@U..>, <#C..|name>, <!here>, <!subteam^S..|@handle>, <url|label>.
_CONTROL = re.compile(r"<([^<>\n]+)>")
NameOf = Callable[[str], str]


def message_author(message: dict, user_name: NameOf) -> str:
    """The name the export shows for a message's author: a bot message's username, else its user's name
    (``user_name(user_id)``), else its app's name, else "" (a deleted message's tombstone has no author)."""
    if message.get("subtype") == "tombstone":
        return ""
    if message.get("username"):
        return str(message["username"])
    if message.get("user"):
        return user_name(message["user"])
    return str((message.get("bot_profile") or {}).get("name", ""))


def _readable_control(inner: str, user_name: NameOf | None) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = (user_name(target[1:]) if user_name else "") or label.lstrip("@") or target[1:]
        return f"@{name}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        # <!here>, <!subteam^S..|@handle>, and a date token <!date^SECONDS^FORMAT|fallback> as its (UTC) fallback.
        special = target[1:].split("^", 1)[0]
        if special in ("here", "channel", "everyone"):
            return f"@{special}"
        return label or f"@{special}"
    if target.startswith("mailto:"):
        return label or target[len("mailto:"):]
    # A link shows its real target: a label that names another address must not hide where it goes.
    return target if not label or label == target else f"{label} ({target})"


def _clean(text: str, user_name: NameOf | None = None) -> str:
    """Slack's message text as a person reads it: mentions by name, links with their targets, entities undone."""
    text = _CONTROL.sub(lambda m: _readable_control(m.group(1), user_name), _normalise_newlines(text))
    return slack_unescape(text)


_SYSTEM_MESSAGES: dict[str, Callable[[str, dict, Callable[[str], str]], str]] = {
    "channel_join": lambda who, msg, clean: f"{who} joined the channel",
    "channel_leave": lambda who, msg, clean: f"{who} left the channel",
    "channel_topic": lambda who, msg, clean: f"{who} set the channel topic: {clean(str(msg.get('topic') or ''))}",
    "channel_purpose": lambda who, msg, clean:
        f"{who} set the channel description: {clean(str(msg.get('purpose') or ''))}",
    "channel_name": lambda who, msg, clean:
        f'{who} renamed the channel from "{msg.get("old_name", "")}" to "{msg.get("name", "")}"',
    "tombstone": lambda who, msg, clean: "(This message was deleted.)",
}


def _system_text(msg: dict, user_name: NameOf | None) -> str | None:
    """What a message Slack writes itself says, in words (None for a person's or an app's own message)."""
    words = _SYSTEM_MESSAGES.get(str(msg.get("subtype") or ""))
    if words is None:
        return None
    who = (user_name(msg["user"]) if user_name and msg.get("user") else "") or "Someone"
    return words(who, msg, lambda text: _clean(text, user_name))


def _with_edit_mark(msg: dict, text: str) -> str:
    return f"{text} (edited)" if msg.get("edited") and text else text


def message_body(msg: dict, user_name: NameOf | None = None) -> str:
    """The text a message contributes to the export (files are listed separately).

    A message formatted with attachments (as fn_slack posts SOAR data) gives its own text (the analyst's
    words, unless it only repeats an attachment's title or fallback for notifications), then each
    attachment's pretext and text, non-empty parts joined by newlines; any other message gives its ``text``.
    Messages Slack writes itself (joins, topic and name changes, deleted messages) read as words, mentions
    name people (``user_name`` gives a user ID's name), links show their targets, edits are marked.
    """
    system = _system_text(msg, user_name)
    if system is not None:
        return system
    content, own = _content_and_own_text(msg)
    if not content:
        return _with_edit_mark(msg, _clean(own, user_name))
    parts = [own] + [str(a.get(key) or "").strip("\n") for a in content for key in ("pretext", "text")]
    return _with_edit_mark(msg, _clean(_join(parts), user_name))


def message_parts(msg: dict, user_name: NameOf | None = None) -> tuple[str, str]:
    """``(pretext, text)`` of a message: a per-message template's ``msg_pretext`` and ``msg_text``.

    For a message formatted with attachments, the pretext is its own text (as in :func:`message_body`)
    and each attachment's pretext, the text each attachment's text; any other message has no pretext and
    its ``text``. With one attachment, pretext and text joined by a newline are :func:`message_body`.
    """
    system = _system_text(msg, user_name)
    if system is not None:
        return "", system
    content, own = _content_and_own_text(msg)
    if not content:
        return "", _with_edit_mark(msg, _clean(own, user_name))
    pretext = _join([own] + [str(a.get("pretext") or "").strip("\n") for a in content])
    text = _join(str(a.get("text") or "").strip("\n") for a in content)
    return _clean(pretext, user_name), _with_edit_mark(msg, _clean(text, user_name))


FILE_GONE = {"tombstone": "(deleted file)", "hidden_by_limit": "(file hidden by the workspace's plan limits)"}


def message_files(msg: dict) -> list[tuple[str, str]]:
    """(name, permalink) of each file shared in the message; a deleted file or one a plan's limit hides says so
    (it has no name or link any more)."""
    files = []
    for item in msg.get("files") or ():
        if isinstance(item, dict):
            if item.get("mode") in FILE_GONE:
                files.append((FILE_GONE[item["mode"]], ""))
                continue
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


def _streamed_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=False,  # noqa: S701 - the export is a plain text file, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["tab_indent"] = _tab_indent
    return env


def _per_message_environment() -> jinja2.Environment:
    # The original rendered its template with resilient-lib's environment: its filters, no block trimming.
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701 - plain text
    library = global_jinja_env()
    env.filters.update(library.filters)
    env.globals.update(library.globals)
    return env


_ENVIRONMENTS = {STREAMED: _streamed_environment(), PER_MESSAGE: _per_message_environment()}
_KIND_VARIABLES = {STREAMED: STREAMED_VARIABLES, PER_MESSAGE: PER_MESSAGE_VARIABLES}


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in sorted(names))


class ExportTemplate(str):
    """An export template's text that knows its kind and where it came from (checked when it is made).

    It is the template text itself (a ``str``), with ``path`` (None for the built-in template or text given
    directly), ``kind`` (:data:`STREAMED` or :data:`PER_MESSAGE`) and ``template`` (the compiled template).
    Raises ConfigError, naming ``[fn_slack] template_file``, its path and the culprit, for a syntax error,
    a template that mixes both kinds, or a variable that its kind does not provide (``extra_names`` are the
    caller's own variables).
    """

    path: str | None
    kind: str
    template: jinja2.Template

    def __new__(cls, text: str, path: str | None = None,
                extra_names: Iterable[str] = ARCHIVE_VARIABLES) -> ExportTemplate:
        """The checked template of ``text`` (a ConfigError for one that cannot be used)."""
        self = super().__new__(cls, text)
        self.path = path
        where = messages.template_setting(path)
        try:
            ast = _ENVIRONMENTS[STREAMED].parse(text)
        except jinja2.TemplateSyntaxError as err:
            raise ConfigError(messages.template_not_jinja(where, str(err.message), err.lineno)) from None
        used = meta.find_undeclared_variables(ast)
        per_message = used & set(PER_MESSAGE_VARIABLES)
        if per_message and "messages" in used:
            raise ConfigError(messages.template_mixes_kinds(where, _names(per_message)))
        self.kind = PER_MESSAGE if per_message else STREAMED
        environment = _ENVIRONMENTS[self.kind]
        unknown = used - set(_KIND_VARIABLES[self.kind]) - set(extra_names) - set(environment.globals)
        if unknown:
            raise ConfigError(messages.template_unknown_variables(
                where, _names(unknown), len(unknown), _names(set(STREAMED_VARIABLES) | set(extra_names)),
                _names(set(PER_MESSAGE_VARIABLES) | set(extra_names))))
        self.template = environment.from_string(text)
        return self


def _template_line(err: BaseException) -> int | None:
    """The template line an error was raised at (Jinja2 rewrites tracebacks to show template lines)."""
    line = getattr(err, "lineno", None)
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# What a template may fail with while rendering (an undefined variable or attribute, a bad operation or
# filter). Errors of fn_slack itself, such as a Slack call failing while the history is read, pass through.
_RENDER_ERRORS = (jinja2.TemplateError, ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


def _render_error(template: ExportTemplate, err: Exception) -> ConfigError:
    return ConfigError(messages.template_render_failed(messages.template_setting(template.path), _template_line(err),
                                                       err))


class _Discard:
    def write(self, chunk: str) -> int:
        return len(chunk)


def _sample_channel() -> list[tuple[dict, list[dict]]]:
    """A small channel with every kind of message, to try a template with when it is loaded."""
    file = {"name": "report.pdf", "permalink": "https://files.slack.com/files-pri/T0/F0/report.pdf"}
    parent = {"type": "message", "user": "U0A", "text": "Please review", "ts": "1793544114.000100",
              "thread_ts": "1793544114.000100", "reply_count": 2, "files": [file],
              "attachments": [{"pretext": "Please review", "title": "SOAR Incident", "text": "*Incident ID*: 1"}]}
    replies = [{"type": "message", "user": "U0B", "text": "On it", "ts": "1793544120.000100",
                "thread_ts": parent["ts"]},
               {"type": "message", "user": "U0A", "text": "", "ts": "1793544130.000100",
                "thread_ts": parent["ts"], "files": [file, file]}]
    plain = {"type": "message", "user": "U0B", "text": "Done", "ts": "1793544140.000100"}
    return [(plain, []), (parent, replies)]


def load_template(path: str | None) -> ExportTemplate:
    """The export template: the built-in one for None, else the file at ``path``, checked before any export.

    Besides the checks of :class:`ExportTemplate`, the template is tried on a small sample channel, so a
    template that cannot render (an unknown attribute, a bad filter) fails here, before the archive function
    touches Slack, with a ConfigError naming ``[fn_slack] template_file``, the path and the error.
    """
    if path is None:
        text = resources.files(_TEMPLATE_PACKAGE).joinpath(BUILTIN_TEMPLATE).read_text(encoding="utf-8")
        return ExportTemplate(text)
    full_path = os.path.expanduser(path)
    try:
        with open(full_path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigError(messages.template_unreadable(messages.template_setting(path), reason)) from err
    template = ExportTemplate(text, path)
    write_history(_Discard(), _sample_channel(), lambda msg: str(msg.get("user") or ""), template,
                  extra=ARCHIVE_VARIABLES)
    return template


def write_history(out: TextIO, threads: Iterable[tuple[dict, Iterable[dict]]],
                  author_name: Callable[[dict], str], template_text: str | None = None,
                  extra: Mapping[str, object] | None = None) -> int:
    """Write the export of ``threads`` to ``out`` as it is read, and return how many messages it holds.

    ``threads`` yields ``(parent, replies)`` newest parent first, as conversations.history lists them, with
    each thread's replies oldest first (empty for a message without replies). Only one thread's replies are
    held in memory at a time, whichever kind the template is. ``author_name(msg)`` gives the name shown for a
    message's author. ``template_text`` is a template from :func:`load_template`, other template text, or
    None for the built-in template. A template that fails to render raises ConfigError naming
    ``[fn_slack] template_file``.
    """
    extra = dict(extra or {})
    if template_text is None:
        template = load_template(None)
    elif isinstance(template_text, ExportTemplate):
        template = template_text
    else:
        template = ExportTemplate(template_text, extra_names=extra)

    count = 0

    def numbered(msg: dict) -> tuple[int, dict]:
        nonlocal count
        count += 1
        return count, msg

    def export_threads() -> Iterator[tuple[tuple[int, dict], list[tuple[int, dict]]]]:
        for parent, replies in threads:
            if _is_broadcast_copy(parent):
                continue
            first = numbered(parent)
            parent_ts = parent.get("ts")
            # conversations.replies starts with the parent itself; skip it if the caller passed it through.
            yield first, [numbered(reply) for reply in replies if reply.get("ts") != parent_ts]

    def mention_name(user_id: str) -> str:
        return author_name({"user": user_id})

    def entry(number: int, msg: dict) -> ExportMessage:
        return ExportMessage(author=author_name(msg) or "", ts=str(msg.get("ts") or ""),
                             text=message_body(msg, mention_name), files=message_files(msg), number=number)

    def messages() -> Iterator[ExportMessage]:
        for parent, replies in export_threads():
            item = entry(*parent)
            item.replies = [entry(*reply) for reply in replies]
            yield item

    def per_message_variables(number: int, msg: dict, is_parent: bool, reply_count: int) -> dict:
        pretext, text = message_parts(msg, mention_name)
        files = message_files(msg)
        return {**extra, "is_msg_parent": is_parent, "number": number, "username": author_name(msg) or "",
                "msg_time": slack_ts_to_utc(str(msg.get("ts") or "")), "msg_pretext": pretext, "msg_text": text,
                # The original showed a message's one file; a message with several lists each, one a line.
                "file_name": "\n".join(name for name, _ in files),
                "file_permalink": "\n".join(url for _, url in files), "reply_count": reply_count}

    def render(variables: dict) -> None:
        try:
            for chunk in template.template.generate(variables):
                out.write(chunk)
        except _RENDER_ERRORS as err:
            raise _render_error(template, err) from err

    if template.kind == PER_MESSAGE:
        for parent, replies in export_threads():
            render(per_message_variables(*parent, True, len(replies)))
            for reply in replies:
                render(per_message_variables(*reply, False, 0))
    else:
        render({**extra, "messages": messages()})
    return count
