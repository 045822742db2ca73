"""Turn a ``slack_text`` input (plain text or the example workflows' JSON container) into a safe Slack message.

Trust model: the analyst's own words, the container's ``Additional Text``, keep Slack syntax, so ``<@U123>``
mentions and ``#channel`` references work. Everything else is untrusted and escaped so that it can never notify
anyone or smuggle in a link, whatever it contains: every other container value (it comes from a SOAR object:
incident names, descriptions, artifact values...) and any ``slack_text`` that is not the container (plain text,
or JSON that is not the container), since a workflow or playbook that posts plain text usually pastes incident
data into it. A container holding only ``Additional Text`` is the way to post a plain message with mentions.

Mentions are neutralised by putting a zero-width space (U+200B) right after an ``@`` that starts a word
(``@channel`` becomes ``@\u200bchannel``): the text reads the same, but Slack's ``link_names`` no longer sees
a mention. An ``@`` inside a word (``bob@example.com``) is left alone, so e-mail addresses stay intact.

Untrusted text cannot disguise itself either: bidi overrides and zero-width characters that came with it are
removed (before fn_slack adds its own mention breaks), a run of backticks cannot open a code block, a value
of several lines is shown as a quote under its label (so no line of it can pass for another field), and a
link whose label names another address than its target shows its real target.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PageElement, PreformattedString

from fn_slack.lib import messages
from fn_slack.lib.errors import InputError
from fn_slack.lib.text_conventions import INVISIBLE_RE, TimeFormat, label_misleads, strip_invisible, utc_time

MAX_TEXT_CHARS = messages.SLACK_TEXT_LIMIT

ADDITIONAL_TEXT = "Additional Text"
TYPE_OF_DATA = "Type of data"
URL_KEYS = ("Resilient URL", "SOAR URL")
RESERVED_KEYS = (ADDITIONAL_TEXT, TYPE_OF_DATA, *URL_KEYS)

KNOWN_TYPES = messages.CONTAINER_TYPES

ATTACHMENT_COLOR = "#36a64f"

# Invisible character that breaks a mention while leaving the text readable.
MENTION_BREAK = "\u200b"
# An "@" that starts a word and is followed by something Slack could read as a name, group or keyword.
_MENTION_RE = re.compile(r"(?<!\w)@(?=[^\s\u200b])")
_TRUE_WORDS = frozenset({"true", "1", "yes"})
_INCIDENT_REF_RE = re.compile(r"^\s*(\d+)\s*(?:\?\s*task_id\s*=\s*(\d+))?\s*$")

# Bidi controls and zero-width characters: text_conventions.INVISIBLE_RE (untrusted text loses them).
_INVISIBLE_RE = INVISIBLE_RE
# Line breaks Slack may honour besides "\n"; untrusted text gets plain "\n" so its lines can be laid out.
_LINE_BREAK_RE = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
# Two backticks in a row in untrusted text get a zero-width space between them: three make a code block.
_BACKTICKS_RE = re.compile("`(?=`)")
# A run of untrusted text without spaces that holds an address (http(s)://, mailto:, www.): Slack may link it,
# and a "|" in it would then read as the start of a link label ("https://evil.example/x|Approve"), so the "|"
# is percent-encoded (%7C), as a URL needs it anyway.
_ADDRESS_RE = re.compile(r"(?i)https?://|mailto:|www\.")
_SPACE_RUNS_RE = re.compile(r"(\s+)")


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage receives: the top-level ``text`` and optional legacy ``attachments``."""

    text: str
    attachments: list[dict] | None = None
    # The container's parts, for a Block Kit rendering (block_kit.container_blocks): title, SOAR link, and
    # each (escaped label, formatted value) in order. Empty for plain text.
    title: str = ""
    link: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------------------------------------

def _neutralise_mentions(text: str) -> str:
    return _MENTION_RE.sub("@" + MENTION_BREAK, text)


def escape_untrusted(value: str) -> str:
    r"""Make untrusted text display literally in Slack: no mention, no notification, no link, no disguise.

    ``&``, ``<`` and ``>`` become Slack's entities, so ``<!channel>``, ``<@U123>`` or ``<https://x|click>``
    show as typed and text that already holds entities (``&lt;!channel&gt;``) shows those entities literally;
    a ``|`` inside a bare address is percent-encoded, so no linkifier can read a label after it.
    Bidi controls and zero-width characters are removed, every line break becomes ``\n``, backticks never
    stand two in a row (three would open a code block that swallows what follows), and word-initial ``@``
    (``@here``, ``@Channel``, ``@everyone``, ``@team``) gets a zero-width space after it.
    """
    text = _LINE_BREAK_RE.sub("\n", strip_invisible(str(value)))
    text = _encode_pipes_in_addresses(text)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _neutralise_mentions(_BACKTICKS_RE.sub("`" + MENTION_BREAK, escaped))


def _encode_pipes_in_addresses(text: str) -> str:
    """``text`` with every ``|`` percent-encoded in the runs without spaces that hold an address (linear time:
    incident data may be 40,000 characters)."""
    if "|" not in text:
        return text
    return "".join(run.replace("|", "%7C") if "|" in run and _ADDRESS_RE.search(run) else run
                   for run in _SPACE_RUNS_RE.split(text))


def plain_text(text: str) -> str:
    """``slack_text`` that is not the container, made inert: it reads as typed (line breaks kept) but can
    notify nobody, carry no link and open no code block (:func:`escape_untrusted`)."""
    return escape_untrusted(text)


def _one_line(text: str) -> str:
    """Escaped untrusted text for a place that shows one line (a label, a title)."""
    return _SPACES_RE.sub(" ", text.replace("\n", " ")).strip()


# --------------------------------------------------------------------------------------------------------
# HTML (SOAR rich text) -> Slack mrkdwn
# --------------------------------------------------------------------------------------------------------

_DROPPED_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg"})
_BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "dl", "dt", "dd", "hr", "address", "center",
})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_INLINE_MARKERS = {
    "b": "*", "strong": "*",
    "i": "_", "em": "_",
    "s": "~", "strike": "~", "del": "~",
    "code": "`", "tt": "`",
}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_PLACEHOLDER_RE = re.compile("\x00(\\d+)\x00")
_SPACES_RE = re.compile(r"\s+")


class _MrkdwnWriter:
    """Collects converted text line by line; block elements start new lines, ``<br>`` always does."""

    def __init__(self, links: list[str], inline: bool = False) -> None:
        self.lines: list[str] = [""]
        self.links = links
        # An inline writer renders the inside of <b>/<a>...: its leading space matters to the caller.
        self._keep_leading_space = inline
        self.list_stack: list[list] = []  # [kind, next number] per open <ul>/<ol>
        self.in_pre = False

    def text(self, value: str) -> None:
        current = self.lines[-1]
        if not current.strip(" ") and not (self._keep_leading_space and len(self.lines) == 1):
            value = value.lstrip(" ")
        if current.endswith(" ") and value.startswith(" "):
            value = value[1:]
        self.lines[-1] = current + value

    def raw(self, value: str) -> None:
        self.lines[-1] += value

    def soft_break(self) -> None:
        """Start a new line unless already at the start of one (block boundaries never make blank lines)."""
        if self.lines[-1].strip(" "):
            self.lines.append("")

    def hard_break(self) -> None:
        self.lines.append("")

    def add_link(self, link: str) -> None:
        self.links.append(link)
        self.text(f"\x00{len(self.links) - 1}\x00")


def _collapse_lines(lines: list[str]) -> list[str]:
    """Trim trailing spaces, drop leading/trailing blank lines and keep at most one blank line in a row."""
    result: list[str] = []
    for raw_line in lines:
        line = raw_line.rstrip()
        if not line and (not result or not result[-1]):
            continue
        result.append(line)
    while result and not result[-1]:
        result.pop()
    return result


def _render_children(node: Tag, writer: _MrkdwnWriter) -> None:
    for child in node.children:
        _render_node(child, writer)


def _render_inline(node: Tag, writer: _MrkdwnWriter) -> list[str]:
    """Render an element's content on its own and return its lines (for wrapping in markers or links)."""
    inner = _MrkdwnWriter(writer.links, inline=True)
    inner.list_stack = writer.list_stack
    inner.in_pre = writer.in_pre
    _render_children(node, inner)
    return inner.lines


def _wrap(line: str, marker: str) -> str:
    core = line.strip(" ")
    if not core:
        return line
    lead = line[: len(line) - len(line.lstrip(" "))]
    trail = line[len(line.rstrip(" ")):]
    return f"{lead}{marker}{core}{marker}{trail}"


def _safe_url(href: str) -> str | None:
    """The href as it may appear inside ``<...|...>``, or None when it is not an http(s)/mailto link."""
    href = href.strip()
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme not in _LINK_SCHEMES:
        return None
    # Characters that would end or split Slack's <url|text> syntax are percent-encoded; '&' becomes
    # Slack's entity like everywhere else in message text.
    quoted = "".join(quote(ch, safe="") if ch in '|<>"' or ch.isspace() or ord(ch) < 32 or _INVISIBLE_RE.match(ch)
                     else ch for ch in href)
    return quoted.replace("&", "&amp;")


def _render_node(node: PageElement, writer: _MrkdwnWriter) -> None:  # noqa: PLR0912, PLR0915 - one branch per tag
    if isinstance(node, PreformattedString):  # comments, doctypes, CDATA, processing instructions
        return
    if isinstance(node, NavigableString):
        text = str(node).replace("\x00", "")
        if writer.in_pre:
            for i, part in enumerate(text.split("\n")):
                if i:
                    writer.hard_break()
                writer.raw(escape_untrusted(part))
        else:
            writer.text(escape_untrusted(_SPACES_RE.sub(" ", text)))
        return
    if not isinstance(node, Tag):
        return
    name = node.name.lower()
    if name in _DROPPED_TAGS:
        return
    if name == "br":
        writer.hard_break()
    elif name in _INLINE_MARKERS:
        lines = _render_inline(node, writer)
        marker = _INLINE_MARKERS[name]
        for i, line in enumerate(lines):
            if i:
                writer.hard_break()
            writer.text(_wrap(line, marker))
    elif name == "a":
        _render_link(node, writer)
    elif name in ("ul", "ol"):
        writer.soft_break()
        start = node.get("start", "1") if name == "ol" else "1"
        writer.list_stack.append([name, int(start) if str(start).strip().isdigit() else 1])
        _render_children(node, writer)
        writer.list_stack.pop()
        writer.soft_break()
    elif name == "li":
        writer.soft_break()
        depth = max(len(writer.list_stack), 1)
        if writer.list_stack and writer.list_stack[-1][0] == "ol":
            bullet = f"{writer.list_stack[-1][1]}. "
            writer.list_stack[-1][1] += 1
        else:
            bullet = "• "
        writer.raw("    " * (depth - 1) + bullet)
        _render_children(node, writer)
        writer.soft_break()
    elif name in ("td", "th"):
        if node.find_previous_sibling(["td", "th"]) is not None:
            writer.text(" | ")
        _render_children(node, writer)
    elif name == "pre":
        writer.soft_break()
        writer.raw("```")
        writer.hard_break()
        writer.in_pre = True
        _render_children(node, writer)
        writer.in_pre = False
        writer.soft_break()
        writer.raw("```")
        writer.soft_break()
    elif name in _HEADING_TAGS:
        writer.soft_break()
        for i, line in enumerate(_render_inline(node, writer)):
            if i:
                writer.hard_break()
            writer.text(_wrap(line, "*"))
        writer.soft_break()
    elif name in _BLOCK_TAGS:
        writer.soft_break()
        _render_children(node, writer)
        writer.soft_break()
    else:  # span, font, u, img, unknown tags: their text only
        _render_children(node, writer)


def _render_link(node: Tag, writer: _MrkdwnWriter) -> None:
    url = _safe_url(str(node.get("href", "")))
    if url is None:
        _render_children(node, writer)
        return
    label_lines = _render_inline(node, writer)
    # Nested links are not valid HTML; keep only the outer one.
    label = _PLACEHOLDER_RE.sub("", " ".join(line.strip() for line in label_lines if line.strip()))
    label = _SPACES_RE.sub(" ", label.replace("|", "").replace(">", "")).strip()
    if label and label_misleads(node.get_text(" "), str(node.get("href", ""))):
        label = ""   # "<https://evil.example/login>": Slack shows the real target, not a look-alike address
    leading = " " if label_lines and label_lines[0].startswith(" ") else ""
    if leading:
        writer.text(leading)
    writer.add_link(f"<{url}|{label}>" if label else f"<{url}>")
    if label_lines and label_lines[-1].endswith(" ") and label_lines[-1].strip():
        writer.text(" ")


def html_to_mrkdwn(html: str) -> str:
    """Convert SOAR rich text (HTML) into readable Slack mrkdwn; all text in it is treated as untrusted.

    Paragraphs, divs, ``<br>`` and list items go on their own lines (``• `` bullets, numbers for ``<ol>``),
    bold/italic/strike/code become ``*x*``/``_x_``/``~x~``/`` `x` ``, ``<a href>`` with an http(s) or mailto
    URL becomes ``<url|text>`` (other hrefs are dropped, their text kept), entities are decoded, scripts and
    styles are dropped, and every piece of text is escaped with :func:`escape_untrusted`.
    """
    if not html:
        return ""
    soup = BeautifulSoup(html, "html.parser")
    writer = _MrkdwnWriter(links=[])
    if soup.find(True) is None:
        # Plain text typed into a rich text field: keep its line breaks.
        writer.in_pre = True
        for i, line in enumerate(soup.get_text().replace("\x00", "").splitlines()):
            if i:
                writer.hard_break()
            writer.raw(escape_untrusted(_SPACES_RE.sub(" ", line).strip()))
    else:
        _render_children(soup, writer)
    text = "\n".join(_collapse_lines(writer.lines))
    # Mentions split across elements ("@<span>here</span>") only appear once the pieces are joined; links
    # are still placeholders here, so their URLs are never touched.
    text = _neutralise_mentions(text)
    return _PLACEHOLDER_RE.sub(lambda m: writer.links[int(m.group(1))], text)


# --------------------------------------------------------------------------------------------------------
# Container values
# --------------------------------------------------------------------------------------------------------

def slack_date(epoch_ms: int | str) -> str:
    """Slack date token for epoch milliseconds: each reader sees local time, the fallback text is UTC."""
    seconds = int(epoch_ms) // 1000
    fallback = utc_time(seconds, TimeFormat.EXPORT)
    return f"<!date^{seconds}^{{date_num}} {{time_secs}}|{fallback}>"


def _is_empty(data: object) -> bool:
    if data is None:
        return True
    if isinstance(data, str):
        return not data.strip()
    return isinstance(data, list | tuple | dict) and not data


def _as_list(data: object) -> list | None:
    """A list from a real JSON list or from a Python list repr such as ``"['Malware', 'Phishing']"``."""
    if isinstance(data, list | tuple):
        return list(data)
    if isinstance(data, str):
        stripped = data.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                value = ast.literal_eval(stripped)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return None
            if isinstance(value, list | tuple):
                return list(value)
    return None


def _datetime_ms(label: str, data: object) -> int:
    if isinstance(data, bool):
        raise InputError(messages.container_datetime_not_boolean(label, data))
    try:
        if isinstance(data, int):
            value = data
        elif isinstance(data, float):
            value = int(data)
        else:
            text = str(data).strip()
            value = int(text) if re.fullmatch(r"-?\d+", text) else int(float(text))
        datetime.fromtimestamp(value // 1000, tz=UTC)  # range check
    except (ValueError, OverflowError, OSError) as err:
        raise InputError(messages.container_bad_datetime(label, data)) from err
    return value


def format_value(label: str, type_: str, data: object) -> str | None:  # noqa: PLR0911, PLR0912 - one case per type
    """Slack text for one container value, or None when the line should be left out (empty data).

    Everything produced here is escaped as untrusted, except real links in rich text.
    """
    if type_ == "datetime":
        if _is_empty(data) or (not isinstance(data, bool) and str(data).strip() in ("0", "0.0")):
            return None
        return slack_date(_datetime_ms(label, data))
    if _is_empty(data):
        return None
    if type_ == "string":
        items = _as_list(data)
        if items is not None:
            joined = ", ".join(str(item) for item in items if not _is_empty(item))
            return escape_untrusted(joined) if joined else None
        return escape_untrusted(str(data))
    if type_ == "richtext":
        try:
            converted = html_to_mrkdwn(str(data))
        except RecursionError as err:
            raise InputError(messages.container_richtext_too_deep(label)) from err
        return converted or None
    if type_ == "boolean":
        if isinstance(data, bool):
            return "Yes" if data else "No"
        return "Yes" if str(data).strip().lower() in _TRUE_WORDS else "No"
    if type_ == "number":
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise InputError(messages.container_bad_number(label, data))
        if isinstance(data, str):
            try:
                float(data)
            except ValueError as err:
                raise InputError(messages.container_bad_number(label, data)) from err
        return escape_untrusted(str(data).strip())
    if type_ == "incident":
        raise InputError(messages.container_incident_type_misplaced(label, URL_KEYS))
    raise _unknown_type_error(label, type_)


def field_line(label: str, value: str) -> str:
    """``*Label*: value``; a value of several lines goes below its label as a quote, so that none of its
    lines (``*Severity*: Low`` in a description) can pass for a field line of its own."""
    head = f"*{_one_line(escape_untrusted(label))}*:"
    if "\n" not in value:
        return f"{head} {value}"
    return head + "".join(f"\n> {line}" if line.strip() else "\n>" for line in value.split("\n"))


def _unknown_type_error(label: str, type_: object) -> InputError:
    return InputError(messages.container_unknown_type(label, type_))


# --------------------------------------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------------------------------------

def parse_container(slack_text: str) -> dict[str, dict] | None:
    """The slack_text JSON container as ``{label: {"type", "data"}}`` in the given order, or None for plain text.

    A JSON object counts as a container when one of its values is an object with a ``"type"`` key or one of
    its keys is reserved (``Additional Text``, ``Resilient URL``, ``SOAR URL``, ``Type of data``); any other
    text, including other JSON, is plain text. A container with a malformed entry raises InputError, and so
    does text that starts with ``{`` but is not JSON: it is most likely a container the workflow script broke,
    full of incident data that must not be posted unescaped.

    Like the original fn_slack, the JSON is read leniently: a raw newline or tab inside a string (what a
    workflow script gets when it pastes a multi-line value into the container by hand) is that character.
    """
    if not isinstance(slack_text, str) or not slack_text.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(slack_text, strict=False)
    except json.JSONDecodeError as err:
        raise InputError(messages.slack_text_not_json(f"{err.msg}: line {err.lineno} column {err.colno}")) from None
    except (ValueError, RecursionError):
        raise InputError(messages.slack_text_not_json("nested too deeply")) from None
    if not isinstance(parsed, dict) or not parsed:
        return None
    looks_like_container = any(key in RESERVED_KEYS for key in parsed) or any(
        isinstance(value, dict) and "type" in value for value in parsed.values())
    if not looks_like_container:
        return None
    for label, entry in parsed.items():
        if not isinstance(entry, dict):
            raise InputError(messages.container_entry_not_object(label, json.dumps(entry)))
        if "type" not in entry:
            raise InputError(messages.container_entry_without_type(label))
        if entry["type"] not in KNOWN_TYPES:
            raise _unknown_type_error(label, entry["type"])
    return parsed


def _incident_reference(label: str, data: object) -> tuple[int, int | None] | None:
    if _is_empty(data):
        return None
    if isinstance(data, int) and not isinstance(data, bool):
        return data, None
    match = _INCIDENT_REF_RE.match(str(data)) if isinstance(data, str) else None
    if not match:
        raise InputError(messages.container_bad_incident_reference(label, data))
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _check_length(what: str, text: str | None) -> None:
    if text and len(text) > MAX_TEXT_CHARS:
        raise InputError(messages.slack_text_too_long(what, len(text)))


def render_message(slack_text: str, soar_link: Callable[[int, int | None], str] | None) -> SlackMessage:
    """The Slack message for ``slack_text``: plain text made inert (:func:`plain_text`), or the container
    rendered as an attachment.

    ``soar_link(incident_id, task_id)`` builds the URL of the SOAR object named by the container's
    ``Resilient URL`` / ``SOAR URL`` entry (None: no link).

    A container with nothing but ``Additional Text`` is a plain message of the analyst's words, mentions
    kept, without an empty attachment.

    The analyst's Additional Text is the message's top-level ``text``: Slack shows it right above the
    attachment, where a pretext would stand, and the mentions the analyst wrote notify as intended. It is not
    repeated as the attachment's pretext, which Slack would show a second time. Without Additional Text the
    top-level text (needed for notifications) is the escaped "SOAR <Type of data>" title.
    """
    if slack_text is None or not str(slack_text).strip():
        raise InputError(messages.empty_slack_text())
    container = parse_container(slack_text)
    if container is None:
        text = plain_text(slack_text)
        _check_length("text", text)
        return SlackMessage(text=text)

    pretext = ""
    type_of_data = ""
    link: str | None = None
    lines: list[str] = []
    pairs: list[tuple[str, str]] = []
    for label, entry in container.items():
        type_, data = entry["type"], entry.get("data")
        if label == ADDITIONAL_TEXT:
            pretext = "" if _is_empty(data) else str(data).strip()
        elif label == TYPE_OF_DATA:
            type_of_data = "" if _is_empty(data) else str(data).strip()
        elif label in URL_KEYS:
            reference = _incident_reference(label, data)
            if reference is not None and link is None and soar_link is not None:
                link = soar_link(*reference)
        else:
            value = format_value(label, type_, data)
            if value is not None:
                lines.append(field_line(label, value))
                pairs.append((escape_untrusted(label), value))

    if pretext and not lines and not link and not type_of_data:
        _check_length("text", pretext)
        return SlackMessage(text=pretext)
    title = _one_line(escape_untrusted(f"SOAR {type_of_data}".strip()))
    attachment: dict = {
        "title": title,
        "text": "\n".join(lines),
        "color": ATTACHMENT_COLOR,
        "mrkdwn_in": ["text"],
        "fallback": f"{title}: {link}" if link else title,
    }
    if link:
        attachment["title_link"] = link
    text = pretext or title
    _check_length("text", text)
    _check_length("attachment text", attachment["text"])
    return SlackMessage(text=text, attachments=[attachment], title=title, link=link, fields=tuple(pairs))


def render_comment(slack_text: str | None) -> str | None:
    """The comment shown with a shared file (files' ``initial_comment``), under the same trust model as a
    message: plain text made inert; a container gives the analyst's Additional Text (mentions kept), then its
    title and field lines, escaped like the attachment's. None when there is no text."""
    if slack_text is None or not str(slack_text).strip():
        return None
    message = render_message(slack_text, None)
    if not message.attachments:
        return message.text
    parts = [message.text] if message.text != message.title else []
    parts += [f"*{message.title}*", message.attachments[0]["text"]]
    return "\n".join(part for part in parts if part)
