"""HTML pages under /_sandbox/ that show the sandbox's channels and messages the way Slack displays them, with
forms to act as a person of the workspace (drawn by html_forms.py, handled by html_actions.py)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .html_common import PREFIX, channel_href, esc, file_href, slack_unescape
from .html_forms import Forms, notice_banner, person_picker
from .html_modal import Modal

if TYPE_CHECKING:
    from .html_actions import Viewer
    from .server import SlackSandbox

HTML_TYPE = "text/html; charset=utf-8"
# The pages show hostile incident data: even if an escaping bug slipped through, the browser runs no script,
# loads nothing from elsewhere and submits forms only to the sandbox itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links to elsewhere get no referrer; the page's own forms keep their Origin (under no-referrer a browser
    # sends "Origin: null", which the forms' check refuses).
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
SIDEBAR_MAX_CHANNELS = 200

# Slack's named attachment colours.
NAMED_COLORS = {"good": "#2eb886", "warning": "#daa038", "danger": "#a30200"}
DEFAULT_ATTACHMENT_COLOR = "#dddddd"
_HEX_COLOR_RE = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_SAFE_URL_RE = re.compile(r"^(https?://|mailto:)[^\s\"'<>`]+$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

# Placeholders for already-rendered HTML while the surrounding text is escaped and formatted. They are
# private-use characters; the same characters in message text are replaced first so nobody can forge one.
_PH_OPEN, _PH_CLOSE = "\ue000", "\ue001"
_PH_RE = re.compile(_PH_OPEN + r"(\d+)" + _PH_CLOSE)
_CODE_BLOCK_RE = re.compile(r"```\n?(.*?)```", re.DOTALL)
_CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")
_TOKEN_RE = re.compile(r"<([^<>\n]*)>")
# A URL typed without <...>; it ends at white space, a token, or Slack's escaped < or >.
_BARE_URL_RE = re.compile(r"\bhttps?://(?:(?!&[lg]t;)[^\s<>\ue000\ue001])+", re.IGNORECASE)
# A line starting with ">" (sent raw or as Slack's &gt;) is a block quote; the line break is part of the block.
_QUOTE_RE = re.compile(r"^&gt; ?(.*)(?:\n|$)", re.MULTILINE)
_DATE_TOKEN_RE = re.compile(r"\{(\w+)\}")


def _emphasis(marker: str) -> re.Pattern[str]:
    """Slack's rule: the marker opens after a non-alphanumeric (or the start), is followed by a non-space,
    closes after a non-space and is not followed by an alphanumeric; no line breaks inside."""
    m = re.escape(marker)
    return re.compile(rf"(?<![^\W_]){m}(?=[^\s{m}])([^{m}\n]*?[^\s{m}]){m}(?![^\W_])")


_EMPHASIS = ((_emphasis("*"), "b"), (_emphasis("_"), "i"), (_emphasis("~"), "s"))
# Emoji shortcodes Slack draws as emoji: the ones fn_slack writes and a few common ones; others stay as typed.
EMOJI = {"white_check_mark": "\u2705", "heavy_check_mark": "\u2714\ufe0f", "x": "\u274c", "hourglass": "\u231b",
         "hourglass_flowing_sand": "\u23f3", "warning": "\u26a0\ufe0f", "rotating_light": "\U0001f6a8",
         "question": "\u2753", "exclamation": "\u2757", "no_entry": "\u26d4", "lock": "\U0001f512",
         "eyes": "\U0001f440", "thumbsup": "\U0001f44d", "+1": "\U0001f44d", "thumbsdown": "\U0001f44e",
         "-1": "\U0001f44e", "fire": "\U0001f525", "memo": "\U0001f4dd", "link": "\U0001f517"}
_EMOJI_RE = re.compile(r":([a-z0-9_+-]{1,40}):")


def emoji(escaped: str) -> str:
    """Known :shortcodes: in already escaped text as the emoji Slack shows."""
    return _EMOJI_RE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)
_BROADCASTS = ("here", "channel", "everyone")


# --------------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------------

class Directory:
    """Names for the ids that messages carry: users, channels and user groups of one workspace snapshot."""

    def __init__(self, state: dict) -> None:
        self.users = {u["id"]: u for u in state.get("users", [])}
        self.channels = {c["id"]: c for c in state.get("channels", [])}
        self.usergroups = {g["id"]: g for g in state.get("usergroups", [])}

    def user_name(self, user_id: str) -> str | None:
        """What Slack shows for a person: display name, else real name, else user name."""
        user = self.users.get(user_id)
        if user is None:
            return None
        profile = user.get("profile", {})
        return profile.get("display_name") or user.get("real_name") or user.get("name") or user_id

    def channel_name(self, channel_id: str) -> str | None:
        ch = self.channels.get(channel_id)
        return ch["name"] if ch else None

    def usergroup_handle(self, group_id: str) -> str | None:
        group = self.usergroups.get(group_id)
        return group["handle"] if group else None


# --------------------------------------------------------------------------------------------------------
# mrkdwn -> HTML
# --------------------------------------------------------------------------------------------------------

def safe_url(url: str) -> str | None:
    """The URL if a browser may follow it from this page (http, https, mailto), else None."""
    url = url.strip()
    return url if _SAFE_URL_RE.match(url) else None


def safe_color(color: Any) -> str:
    """A CSS colour for an attachment's bar: Slack's named colours or hex (with or without '#')."""
    text = str(color or "").strip()
    if text.lower() in NAMED_COLORS:
        return NAMED_COLORS[text.lower()]
    match = _HEX_COLOR_RE.match(text)
    return f"#{match.group(1).lower()}" if match else DEFAULT_ATTACHMENT_COLOR


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3_600),
                       ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "in a few seconds" if future else "a few seconds ago"


def _pretty(moment: datetime, now: datetime, plain: str) -> str:
    delta = (moment.date() - now.date()).days
    return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(delta, plain)


def format_slack_date(seconds: int, fmt: str, now: datetime | None = None) -> str | None:
    """Render a <!date> token's format string in UTC; None when the time is out of range."""
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    now = now or datetime.now(tz=UTC)
    date = f"{moment:%B} {_ordinal(moment.day)}, {moment.year}"
    date_short = f"{moment:%b} {moment.day}, {moment.year}"
    date_long = f"{moment:%A}, {date}"
    values = {
        "date_num": f"{moment:%Y-%m-%d}", "date": date, "date_short": date_short, "date_long": date_long,
        "date_pretty": _pretty(moment, now, date), "date_short_pretty": _pretty(moment, now, date_short),
        "date_long_pretty": _pretty(moment, now, date_long), "time": f"{moment:%H:%M}",
        "time_secs": f"{moment:%H:%M:%S}", "ago": _ago(moment, now),
    }
    rendered = _DATE_TOKEN_RE.sub(lambda m: values.get(m.group(1), m.group(0)), fmt)
    if "{time" in fmt:
        rendered += " UTC"
    return rendered


class MrkdwnRenderer:
    """Slack mrkdwn to HTML: text is escaped first; only recognised markup and tokens become tags."""

    def __init__(self, directory: Directory, now: datetime | None = None) -> None:
        self.directory = directory
        self.now = now

    def render(self, text: Any, *, formatting: bool = True) -> str:
        """HTML for a mrkdwn string; with formatting=False only links, mentions and dates are converted."""
        if text is None:
            return ""
        text = str(text).replace(_PH_OPEN, "\ufffd").replace(_PH_CLOSE, "\ufffd")
        pieces: list[str] = []

        def stash(fragment: str) -> str:
            pieces.append(fragment)
            return f"{_PH_OPEN}{len(pieces) - 1}{_PH_CLOSE}"

        if formatting:
            text = _CODE_BLOCK_RE.sub(lambda m: stash(f'<pre class="pre">{self._tokens_only(m.group(1))}</pre>'),
                                      text)
            text = _CODE_SPAN_RE.sub(lambda m: stash(f'<code>{self._tokens_only(m.group(1))}</code>'), text)
        text = _TOKEN_RE.sub(lambda m: stash(self.token(m.group(1))), text)
        text = _BARE_URL_RE.sub(lambda m: stash(self._bare_url(m.group(0))), text)
        out = emoji(esc(slack_unescape(text)))
        if formatting:
            for pattern, tag in _EMPHASIS:
                out = pattern.sub(rf"<{tag}>\1</{tag}>", out)
            out = _QUOTE_RE.sub(r'<span class="quote">\1</span>', out)
        return _PH_RE.sub(lambda m: pieces[int(m.group(1))], out)

    def plain(self, text: Any) -> str:
        """Text Slack shows as typed (entities decoded), escaped for HTML."""
        return esc(slack_unescape(str(text))) if text is not None else ""

    @staticmethod
    def _bare_url(raw: str) -> str:
        # Slack links URLs typed without <...>; it leaves closing punctuation outside the link.
        url = raw.rstrip(".,;:!?)'\"")
        rest = raw[len(url):]
        target = slack_unescape(url)
        link = safe_url(target)
        shown = esc(target)
        if link:
            shown = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{shown}</a>'
        return shown + esc(slack_unescape(rest))

    def _tokens_only(self, text: str) -> str:
        parts = []
        last = 0
        for match in _TOKEN_RE.finditer(text):
            parts.append(esc(slack_unescape(text[last:match.start()])))
            parts.append(self.token(match.group(1)))
            last = match.end()
        parts.append(esc(slack_unescape(text[last:])))
        return "".join(parts)

    def token(self, inner: str) -> str:
        """HTML for the inside of one <...> control sequence; unknown ones show literally."""
        target, _, label = inner.partition("|")
        label = slack_unescape(label)
        if target.startswith("@"):
            uid = target[1:]
            name = self.directory.user_name(uid) or label.lstrip("@") or uid
            return f'<span class="mention">@{esc(name)}</span>'
        if target.startswith("#"):
            cid = target[1:]
            name = self.directory.channel_name(cid) or label.lstrip("#") or cid
            if cid in self.directory.channels:
                return f'<a class="mention" href="{esc(channel_href(cid))}">#{esc(name)}</a>'
            return f'<span class="mention">#{esc(name)}</span>'
        if target.startswith("!"):
            return self._special(target[1:], label, inner)
        url = slack_unescape(target)
        if _SCHEME_RE.match(url):
            safe = safe_url(url)
            shown = label or url
            if safe is None:
                return esc(shown)
            return f'<a href="{esc(safe)}" rel="noopener noreferrer" target="_blank">{esc(shown)}</a>'
        return esc(f"<{slack_unescape(inner)}>")

    def _special(self, command: str, label: str, inner: str) -> str:
        if command in _BROADCASTS:
            return f'<span class="mention broadcast">@{esc(command)}</span>'
        if command.startswith("subteam^"):
            gid = command.split("^", 1)[1]
            handle = self.directory.usergroup_handle(gid) or label.lstrip("@") or gid
            return f'<span class="mention">@{esc(handle)}</span>'
        if command.startswith("date^"):
            return self._date(command, label)
        if label:
            return esc(label)
        return esc(f"<{slack_unescape(inner)}>")

    def _date(self, command: str, fallback: str) -> str:
        parts = command.split("^")
        rendered = None
        if len(parts) >= 3 and re.fullmatch(r"-?\d{1,12}", parts[1]):
            rendered = format_slack_date(int(parts[1]), slack_unescape(parts[2]), self.now)
        if rendered is None:
            return esc(fallback)
        seconds = int(parts[1])
        iso = datetime.fromtimestamp(seconds, tz=UTC).isoformat()
        body = f'<time class="date" datetime="{esc(iso)}" title="{esc(fallback)}">{esc(rendered)}</time>'
        link = safe_url(slack_unescape(parts[3])) if len(parts) >= 4 else None
        if link:
            body = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{body}</a>'
        return body


# --------------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------------

def _human_size(size: Any) -> str:
    try:
        value = float(size)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _ts_datetime(ts: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _clock(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f'<time datetime="{esc(moment.isoformat())}" title="{esc(f"{moment:%Y-%m-%d %H:%M:%S} UTC")}">' \
           f'{moment:%H:%M}</time>'


def _day_label(moment: datetime) -> str:
    return f"{moment:%A}, {moment:%B} {_ordinal(moment.day)}, {moment.year}"


def _avatar(name: str, is_app: bool) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    palette = ("#4a154b", "#1264a3", "#2bac76", "#e01e5a", "#ecb22e", "#36c5f0", "#7c3085", "#b35900")
    color = "#611f69" if is_app else palette[digest[0] % len(palette)]
    initial = (name.strip()[:1] or "?").upper()
    return f'<div class="avatar" style="background:{color}">{esc(initial)}</div>'


def _mark(ch: dict) -> str:
    """'#' before a public channel's name; a padlock (drawn in CSS: emoji fonts may be missing) before a private one;
    nothing before a direct message's people."""
    if ch.get("is_im") or ch.get("is_mpim"):
        return '<span class="hash"></span>'
    return '<span class="lock" title="private"></span>' if ch.get("is_private") else '<span class="hash">#</span>'


def _badges(ch: dict) -> str:
    out = []
    if ch.get("is_im") or ch.get("is_mpim"):
        out.append(f'<span class="badge private">{"group DM" if ch.get("is_mpim") else "direct message"}</span>')
    elif ch.get("is_private"):
        out.append('<span class="badge private">private</span>')
    else:
        out.append('<span class="badge public">public</span>')
    if ch.get("is_general"):
        out.append('<span class="badge general">general</span>')
    if ch.get("is_archived"):
        out.append('<span class="badge archived">archived</span>')
    return "".join(out)


# Messages Slack offers no thread for.
_NO_THREAD_SUBTYPES = frozenset({"tombstone", "channel_join", "channel_leave", "channel_topic", "channel_purpose",
                                 "channel_name", "channel_archive", "channel_unarchive"})


def _message_count(ch: dict) -> tuple[int, int]:
    messages = ch.get("messages", [])
    return len(messages), sum(len(m.get("replies", [])) for m in messages)


class ChannelPage:
    """Renders one channel's messages, threads, attachments and files."""

    def __init__(self, state: dict, channel: dict, now: datetime | None = None, viewer: Viewer | None = None) -> None:
        self.state = state
        self.channel = channel
        self.directory = Directory(state)
        self.md = MrkdwnRenderer(self.directory, now)
        self.viewer = viewer
        # Forms only for a chosen person; nobody (and the plain read-only rendering) sees none.
        self.forms = Forms(viewer, channel["id"]) if viewer is not None and viewer.person else None

    def author(self, msg: dict) -> tuple[str, bool]:
        """(name shown, is an app) for a message."""
        if msg.get("username"):
            return str(msg["username"]), True
        uid = msg.get("user", "")
        user = self.directory.users.get(uid)
        if msg.get("bot_id") or (user and user.get("is_bot")):
            name = (msg.get("bot_profile") or {}).get("name") or (user or {}).get("real_name") or uid
            return str(name or "app"), True
        return self.directory.user_name(uid) or str(uid or "unknown"), False

    def render(self) -> str:
        ch = self.channel
        messages = ch.get("messages", [])
        body = [self._header()]
        if not messages:
            body.append('<p class="empty">No messages yet.</p>')
        last_day = None
        for msg in messages:
            moment = _ts_datetime(msg.get("ts"))
            if moment is not None and moment.date() != last_day:
                last_day = moment.date()
                body.append(f'<div class="day"><span>{esc(_day_label(moment))}</span></div>')
            body.append(self.message(msg))
        if ch.get("is_archived"):
            body.append('<div class="archived-note">This channel has been archived. It is read-only.</div>')
        if self.viewer is not None:
            body.extend(self.ephemeral(e) for e in self.viewer.ephemerals)
            if self.forms is not None:
                dm = ch.get("is_im") or ch.get("is_mpim")
                body.append(self.forms.compose(("" if dm else "#") + ch["name"]))
            else:
                body.append('<p class="hint">Choose a person at the top left to post, reply, edit, delete and '
                            'click buttons as them.</p>')
        return "".join(body)

    def ephemeral(self, eph: dict) -> str:
        """A message only the current person sees (chat.postEphemeral or a click's response URL), as Slack
        shows it at the bottom of the channel: from the app, marked "Only visible to you"."""
        name = str(self.state.get("bot", {}).get("name") or "app")
        moment = _ts_datetime(eph.get("ts"))
        content = self.blocks(eph["blocks"]) if eph.get("blocks") else \
            f'<div class="text">{self.md.render(eph.get("text", ""))}</div>'
        return (f'<div class="eph" data-ephemeral data-ts="{esc(eph.get("ts", ""))}">{_avatar(name, True)}'
                f'<div class="msg-body"><div class="msg-head"><span class="author">{esc(name)}</span>'
                f'<span class="badge app">APP</span><span class="time">{_clock(moment)}</span>'
                f'<span class="note">Only visible to you</span></div>{content}</div></div>')

    def _header(self) -> str:
        ch = self.channel
        members = [self.directory.user_name(m) or m for m in ch.get("members", [])]
        top, replies = _message_count(ch)
        parts = [f'<header class="channel-head"><h1>{_mark(ch)}'
                 f'{esc(ch["name"])}</h1>{_badges(ch)}']
        if ch.get("topic"):
            parts.append(f'<div class="topic">{self.md.render(ch["topic"])}</div>')
        if ch.get("purpose"):
            parts.append(f'<div class="purpose">{self.md.render(ch["purpose"])}</div>')
        if ch.get("bookmarks"):
            marks = "".join(f'<a class="bookmark" href="{esc(m.get("link", ""))}" rel="noopener noreferrer">'
                            f'🔖 {esc(m.get("title", ""))}</a> ' for m in ch["bookmarks"])
            parts.append(f'<div class="meta bookmarks" role="navigation" aria-label="Bookmarks">{marks}</div>')
        member_list = ", ".join(esc(m) for m in members) or "nobody"
        parts.append(f'<div class="meta">{len(members)} member{"s" if len(members) != 1 else ""}: {member_list}'
                     f' · {top} message{"s" if top != 1 else ""}, {replies} repl{"ies" if replies != 1 else "y"}'
                     f' · <code>{esc(ch["id"])}</code></div></header>')
        return "".join(parts)

    def message(self, msg: dict, *, parent: str | None = None) -> str:
        """One message with its thread (a reply when ``parent`` names its thread's ts)."""
        reply = parent is not None
        name, is_app = self.author(msg)
        ts = str(msg.get("ts", ""))
        moment = _ts_datetime(ts)
        app = '<span class="badge app">APP</span>' if is_app else ""
        thread = f' data-thread-ts="{esc(parent)}"' if reply else ""
        parts = [f'<div class="msg{" reply" if reply else ""}" id="m{esc(ts.replace(".", ""))}" data-ts="{esc(ts)}"'
                 f'{thread}>', _avatar(name, is_app), '<div class="msg-body">',
                 f'<div class="msg-head"><span class="author">{esc(name)}</span>{app}'
                 f'<span class="time">{_clock(moment)}</span>']
        if msg.get("subtype") == "thread_broadcast":
            parts.append('<span class="note">also sent to the channel</span>')
        if msg.get("pinned_to"):
            parts.append('<span class="note pinned" data-pinned>📌 Pinned</span>')
        parts.append("</div>")
        if msg.get("blocks"):
            parts.append(self.blocks(msg["blocks"], ts=ts))
        elif msg.get("text"):
            parts.append(f'<div class="text">{self.md.render(msg["text"])}</div>')
        for attachment in msg.get("attachments") or []:
            if isinstance(attachment, dict):
                parts.append(self.attachment(attachment))
        for file in msg.get("files") or []:
            if isinstance(file, dict):
                parts.append(self.file(file))
        replies = msg.get("replies") or []
        if not reply and replies:
            last = _ts_datetime(replies[-1].get("ts"))
            count = len(replies)
            parts.append(f'<div class="thread-summary">{count} repl{"ies" if count != 1 else "y"}'
                         f'<span class="last">Last reply {_clock(last)}</span></div>')
            parts.append('<div class="thread">')
            parts.extend(self.message(r, parent=ts) for r in replies)
            parts.append("</div>")
        if self.forms is not None:
            if self._own(msg):
                parts.append(self.forms.edit_and_delete(ts, str(msg.get("text") or "")))
            if not reply and msg.get("subtype") not in _NO_THREAD_SUBTYPES:
                parts.append(self.forms.reply(ts))
            if msg.get("subtype") != "tombstone":
                parts.append(self.forms.message_menu(ts))
        parts.append("</div></div>")
        return "".join(parts)

    def _own(self, msg: dict) -> bool:
        """A message the current person wrote themselves (what Slack offers to edit and delete)."""
        return (self.viewer is not None and msg.get("user") == self.viewer.person_id and not msg.get("bot_id")
                and msg.get("subtype") in (None, "thread_broadcast"))

    def attachment(self, att: dict) -> str:
        mrkdwn_in = att.get("mrkdwn_in")
        mrkdwn_fields = set(mrkdwn_in) if isinstance(mrkdwn_in, list) else {"pretext", "text", "fields"}

        def text_of(field: str, value: Any) -> str:
            return self.md.render(value, formatting=field in mrkdwn_fields)

        parts = []
        if att.get("pretext"):
            parts.append(f'<div class="text pretext">{text_of("pretext", att["pretext"])}</div>')
        inner = []
        if att.get("author_name"):
            inner.append(f'<div class="att-author">{self.md.plain(att["author_name"])}</div>')
        if att.get("title"):
            title = self.md.plain(att["title"])
            link = safe_url(slack_unescape(str(att.get("title_link") or "")))
            if link:
                title = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{title}</a>'
            inner.append(f'<div class="att-title">{title}</div>')
        if att.get("text"):
            inner.append(f'<div class="text">{text_of("text", att["text"])}</div>')
        fields = [f for f in att.get("fields") or [] if isinstance(f, dict)]
        if fields:
            cells = []
            for field in fields:
                cls = "field short" if field.get("short") else "field"
                cells.append(f'<div class="{cls}"><div class="field-title">{self.md.plain(field.get("title", ""))}'
                             f'</div><div class="text">{text_of("fields", field.get("value", ""))}</div></div>')
            inner.append(f'<div class="fields">{"".join(cells)}</div>')
        if not inner and not parts and att.get("fallback"):
            inner.append(f'<div class="text">{self.md.plain(att["fallback"])}</div>')
        footer = []
        if att.get("footer"):
            footer.append(self.md.render(att["footer"], formatting=False))
        if att.get("ts"):
            footer.append(_clock(_ts_datetime(att["ts"])))
        if footer:
            inner.append(f'<div class="att-footer">{" | ".join(footer)}</div>')
        if inner:
            parts.append(f'<div class="attachment" style="border-left-color:{safe_color(att.get("color"))}">'
                         f'{"".join(inner)}</div>')
        return "".join(parts)

    def file(self, file: dict) -> str:
        name = str(file.get("name") or "file")
        title = str(file.get("title") or name)
        kind = str(file.get("pretty_type") or file.get("filetype") or "File")
        link = safe_url(str(file.get("permalink") or ""))
        title_html = esc(title)
        if link:
            title_html = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{title_html}</a>'
        download = ""
        if file.get("id"):
            download = f' · <a href="{esc(file_href(str(file["id"])))}">download</a>'
        ext = (name.rsplit(".", 1)[-1] if "." in name else kind)[:4].upper()
        return (f'<div class="file"><div class="file-icon">{esc(ext)}</div><div>'
                f'<div class="file-title">{title_html}</div>'
                f'<div class="file-meta">{esc(name)} · {esc(_human_size(file.get("size")))} · {esc(kind)}'
                f'{download}</div></div></div>')

    def blocks(self, blocks: list, ts: str | None = None) -> str:
        """The common Block Kit blocks; Slack shows blocks instead of the text when both are present. Buttons
        click as the current person when the message is in the channel (``ts``) and a person is chosen."""
        out = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "divider":
                out.append("<hr>")
            elif kind == "header":
                out.append(f'<div class="block-header">{self._text_object(block.get("text"))}</div>')
            elif kind == "section":
                if block.get("text"):
                    out.append(f'<div class="text">{self._text_object(block.get("text"))}</div>')
                fields = [f'<div class="field short"><div class="text">{self._text_object(f)}</div></div>'
                          for f in block.get("fields") or []]
                if fields:
                    out.append(f'<div class="fields">{"".join(fields)}</div>')
            elif kind == "context":
                items = [self._text_object(e) for e in block.get("elements") or []
                         if isinstance(e, dict) and e.get("type") in ("mrkdwn", "plain_text")]
                out.append(f'<div class="context">{" ".join(items)}</div>')
            elif kind == "actions":
                out.append(self.actions(block, ts))
            else:
                out.append(f'<div class="context">[{esc(kind)} block]</div>')
        return "".join(out)

    def actions(self, block: dict, ts: str | None) -> str:
        """An actions block: its buttons (other elements as their type), in a form that clicks as the person."""
        items = []
        for element in block.get("elements") or []:
            if not isinstance(element, dict):
                continue
            if element.get("type") != "button":
                items.append(f'<span class="element">[{esc(element.get("type", "element"))}]</span>')
                continue
            style = element.get("style") if element.get("style") in ("primary", "danger") else "default"
            label = self._text_object(element.get("text"))
            action_id = esc(element.get("action_id", ""))
            if self.forms is None or ts is None:
                items.append(f'<button type="button" class="btn {style}" data-action-id="{action_id}" disabled>'
                             f'{label}</button>')
            else:
                items.append(f'<button type="submit" name="action_id" value="{action_id}" class="btn {style}" '
                             f'data-action-id="{action_id}">{label}</button>')
        buttons = "".join(items)
        if self.forms is None or ts is None:
            return f'<div class="actions">{buttons}</div>'
        return self.forms.click(ts, buttons)

    def text_object(self, obj: Any) -> str:
        """A Block Kit text object (plain_text or mrkdwn) as HTML."""
        return self._text_object(obj)

    def _text_object(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        if obj.get("type") == "mrkdwn":
            return self.md.render(obj.get("text", ""))
        shown = esc(obj.get("text", ""))
        return emoji(shown) if obj.get("emoji", True) else shown


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.46 "Lato","Helvetica Neue",Helvetica,"Liberation Sans","DejaVu Sans",Arial,sans-serif;
color:#1d1c1d;background:#fff;display:flex;min-height:100vh}
a{color:#1264a3;text-decoration:none}a:hover{text-decoration:underline}
nav{width:240px;flex:none;background:#3f0e40;color:#cfc3cf;padding:12px 0}
nav .team{color:#fff;font-weight:900;font-size:18px;padding:4px 16px 12px;border-bottom:1px solid #5d2c5d}
nav .team a{color:#fff}
nav h2{font-size:13px;font-weight:400;margin:14px 16px 4px;color:#cfc3cf}
nav a.ch{display:block;padding:2px 16px 2px 26px;color:#cfc3cf;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
nav a.ch.current{background:#1164a3;color:#fff}nav a.ch.archived:not(.current){opacity:.55}
nav .hash{display:inline-block;width:1em}nav .lock{margin-right:.4em}
nav .more{padding:2px 16px 2px 26px;font-size:13px}
main{flex:1;min-width:0;padding:0 0 24px}
.channel-head,.page-head{padding:14px 20px 10px;border-bottom:1px solid #ddd}
h1{display:inline;font-size:20px;font-weight:900;margin:0 8px 0 0}
.topic,.purpose,.meta{color:#616061;font-size:13px;margin-top:3px}
.lock{display:inline-block;position:relative;width:.6em;height:.48em;background:currentColor;border-radius:1px;
margin:0 .3em 0 .1em;vertical-align:-.02em}
.lock::before{content:"";position:absolute;left:.1em;top:-.36em;width:.4em;height:.38em;border:.1em solid currentColor;
border-bottom:none;border-radius:.25em .25em 0 0;box-sizing:border-box}
.badge{display:inline-block;font-size:11px;font-weight:700;border-radius:3px;padding:0 5px;margin-left:4px;
vertical-align:2px;border:1px solid #ccc;color:#616061;background:#f8f8f8}
.badge.private{background:#fff4e0;border-color:#ecb22e;color:#7a5200}
.badge.archived{background:#fde8ec;border-color:#e01e5a;color:#a30f43}
.badge.general{background:#e8f5fa;border-color:#36c5f0;color:#0b5875}
.badge.app{background:#e8e8e8;border-color:#e8e8e8;color:#616061;font-size:10px;padding:0 3px}
.day{text-align:center;margin:16px 0 4px;border-top:1px solid #ddd;height:0}
.day span{position:relative;top:-12px;background:#fff;border:1px solid #ddd;border-radius:12px;padding:2px 14px;
font-size:13px;font-weight:700}
.msg{display:flex;padding:8px 20px}.msg:hover{background:#f8f8f8}
.avatar{width:36px;height:36px;border-radius:4px;flex:none;color:#fff;font-weight:900;font-size:17px;
text-align:center;line-height:36px;margin-right:8px}
.msg-body{flex:1;min-width:0}
.author{font-weight:900}.time{color:#616061;font-size:12px;margin-left:8px}
.note{color:#616061;font-size:12px;margin-left:8px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
code{font:12px/1.5 Monaco,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;color:#e01e5a;
background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:1px 3px}
.pre{font:12px/1.5 Monaco,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;background:#f8f8f8;
border:1px solid #ddd;border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.quote{display:block;border-left:4px solid #ddd;padding-left:10px;color:#454245}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.mention.broadcast{background:#fef3d3;color:#1d1c1d}
time.date{border-bottom:1px dotted #999}
.pretext{margin-top:2px}
.attachment{border-left:4px solid #ddd;border-radius:2px;padding:2px 0 2px 12px;margin:6px 0;max-width:760px}
.att-title{font-weight:700}.att-author{font-weight:700;font-size:13px}
.att-footer{color:#616061;font-size:12px;margin-top:4px}
.fields{display:flex;flex-wrap:wrap;margin-top:4px}.field{width:100%;margin-bottom:6px}
.field.short{width:50%;padding-right:12px}.field-title{font-weight:700;font-size:14px}
.block-header{font-weight:900;font-size:18px}.context{color:#616061;font-size:12px}
.file{display:flex;align-items:center;border:1px solid #ddd;border-radius:8px;padding:8px 12px;margin:6px 0;
max-width:460px;background:#fff}
.file-icon{width:36px;height:36px;border-radius:4px;background:#1264a3;color:#fff;font-size:10px;font-weight:900;
text-align:center;line-height:36px;margin-right:10px;flex:none}
.file-title{font-weight:700}.file-meta{color:#616061;font-size:12px}
.thread-summary{font-size:13px;font-weight:700;color:#1264a3;margin-top:4px}
.thread-summary .last{font-weight:400;color:#616061;margin-left:8px}
.thread{border-left:2px solid #e0e0e0;margin:6px 0 0 0}
.thread .msg{padding:6px 12px}
.archived-note{margin:16px 20px;padding:10px 14px;background:#f8f8f8;border:1px solid #ddd;border-radius:6px;
color:#616061;font-size:14px}
.empty{color:#616061;padding:0 20px}
table{border-collapse:collapse;margin:12px 20px;font-size:14px}
th,td{text-align:left;padding:6px 14px 6px 0;border-bottom:1px solid #eee;vertical-align:top}
th{font-size:12px;color:#616061;font-weight:700}
td.num{text-align:right}
.links{padding:0 20px;color:#616061;font-size:13px}
nav .you{padding:10px 16px 2px;font-size:13px;color:#cfc3cf}nav .you [data-current-person]{color:#fff;font-weight:700}
nav .you .handle{font-weight:400;color:#cfc3cf}
nav form.person{display:flex;gap:6px;padding:4px 16px 10px;border-bottom:1px solid #5d2c5d}
nav form.person select{flex:1;min-width:0;font:inherit;font-size:13px;border-radius:4px;border:1px solid #5d2c5d;
padding:2px 4px}
nav form.person button{font:inherit;font-size:12px;border-radius:4px;border:1px solid #cfc3cf;background:#3f0e40;
color:#fff;padding:2px 8px;cursor:pointer}
.error{margin:12px 20px 0;padding:10px 14px;background:#fde8ec;border:1px solid #e01e5a;border-radius:6px;
color:#86102f;font-size:14px}
.info{margin:12px 20px 0;padding:10px 14px;background:#e8f5fa;border:1px solid #36c5f0;border-radius:6px;
font-size:14px}
.hint{color:#616061;font-size:13px;margin:16px 20px}
form{margin:0}
textarea{font:inherit;font-size:14px;border:1px solid #bbb;border-radius:6px;padding:6px 8px;resize:vertical;
flex:1;min-width:0}
form button,.btn{font:inherit;font-size:13px;font-weight:700;border-radius:4px;border:1px solid #bbb;
background:#fff;color:#1d1c1d;padding:3px 12px;cursor:pointer}
.btn.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn.danger,button.danger{color:#e01e5a;border-color:#e01e5a}
.btn[disabled]{opacity:.6;cursor:default}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}.element{color:#616061;font-size:12px}
.compose{display:flex;gap:8px;align-items:flex-end;margin:16px 20px 0;border:1px solid #bbb;border-radius:8px;
padding:8px}.compose textarea{border:none}
.compose .send{background:#007a5a;border-color:#007a5a;color:#fff}
.reply-form,.edit-form{display:flex;gap:6px;align-items:flex-start;margin-top:4px;max-width:760px}
.reply-form textarea,.edit-form textarea{font-size:13px;padding:3px 6px}
.reply-form button,.edit-form button,.delete-form button{font-size:12px;font-weight:400;padding:2px 8px}
.own{display:flex;gap:6px;align-items:flex-start;opacity:.8}.own .edit-form{flex:1}
.eph{display:flex;padding:8px 20px;background:#f4f8fb;border-left:4px solid #1264a3;margin:8px 0}
.msg{position:relative}
.msg-menu{position:absolute;top:4px;right:20px;z-index:2}
.msg-menu>summary,.shortcuts-menu>summary{list-style:none;cursor:pointer;border:1px solid #ddd;border-radius:6px;
background:#fff;padding:0 8px;font-weight:700;color:#616061}
.msg-menu>summary::-webkit-details-marker,.shortcuts-menu>summary::-webkit-details-marker{display:none}
form.menu{position:absolute;right:0;min-width:260px;background:#fff;border:1px solid #ddd;border-radius:8px;
box-shadow:0 4px 12px rgba(0,0,0,.15);padding:6px 0;display:flex;flex-direction:column;z-index:3}
.shortcuts-menu form.menu{left:0;right:auto;bottom:34px}
form.menu button{border:none;border-radius:0;text-align:left;font-weight:400;font-size:14px;padding:6px 16px;
display:flex;justify-content:space-between;gap:16px}
form.menu button:hover{background:#1264a3;color:#fff}
.menu-head{font-size:12px;font-weight:700;color:#616061;padding:2px 16px 4px}
.menu-empty{font-size:13px;color:#616061;padding:4px 16px}
.app-name{color:#616061;font-size:12px}
.composer{display:flex;gap:8px;align-items:flex-end;margin:16px 20px 0}.composer .compose{flex:1;margin:0}
.shortcuts-menu{position:relative;padding-bottom:10px}
.modal-backdrop{position:fixed;inset:0;background:rgba(29,28,29,.55);display:flex;align-items:flex-start;
justify-content:center;padding-top:60px;z-index:10}
.modal{background:#fff;border-radius:8px;width:520px;max-width:94vw;max-height:84vh;overflow:auto;
box-shadow:0 18px 48px rgba(0,0,0,.35)}
.modal-head{padding:16px 24px;border-bottom:1px solid #eee}.modal-head h2{margin:0;font-size:20px}
.modal-body{padding:12px 24px}.modal-body .text{margin:6px 0}
.input-block{margin:12px 0}.input-block label{display:block;font-weight:700;margin-bottom:6px}
.optional{font-weight:400;color:#616061}
.input-block input,.input-block select,.input-block textarea{width:100%;font:inherit;font-size:15px;
border:1px solid #bbb;border-radius:4px;padding:6px 8px}
.input-block [aria-invalid]{border-color:#e01e5a}
.input-error{color:#e01e5a;font-size:13px;margin-top:4px}.hint-text{color:#616061;font-size:13px;margin-top:4px}
.modal-foot{display:flex;justify-content:flex-end;gap:8px;padding:12px 24px;border-top:1px solid #eee}
"""


def direct_messages(state: dict, viewer: Viewer | None) -> list[dict]:
    """The app's DMs and group DMs the viewer is in (all of them for nobody), each named as Slack names it for
    the viewer: the other people in it, the app by its name."""
    directory = Directory(state)
    me = viewer.person_id if viewer is not None else None
    shown = []
    for dm in state.get("direct_messages", []):
        if me is not None and me not in dm.get("members", []):
            continue
        others = [m for m in dm.get("members", []) if m != me] or [me]
        names = [directory.user_name(m) or m for m in others]
        shown.append({**dm, "name": ", ".join(str(n) for n in names)})
    return shown


def _page(state: dict, title: str, content: str, *, current: str | None = None, viewer: Viewer | None = None,
          here: str = f"{PREFIX}/") -> str:
    team = state.get("team", {})
    channels = state.get("channels", [])
    links = []
    for ch in channels[:SIDEBAR_MAX_CHANNELS]:
        cls = "ch" + (" current" if ch["id"] == current else "") + (" archived" if ch.get("is_archived") else "")
        links.append(f'<a class="{cls}" href="{esc(channel_href(ch["id"]))}">{_mark(ch)}{esc(ch["name"])}</a>')
    if len(channels) > SIDEBAR_MAX_CHANNELS:
        links.append(f'<div class="more"><a href="{PREFIX}/">{len(channels) - SIDEBAR_MAX_CHANNELS} more…</a></div>')
    dms = direct_messages(state, viewer)[:SIDEBAR_MAX_CHANNELS]
    if dms:
        links.append("<h2>Direct messages</h2>")
        for dm in dms:
            cls = "ch dm" + (" current" if dm["id"] == current else "")
            links.append(f'<a class="{cls}" href="{esc(channel_href(dm["id"]))}">{esc(dm["name"])}</a>')
    picker = person_picker(viewer, here) if viewer is not None else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"robots\" content=\"noindex\"><title>{esc(title)}</title><style>{_CSS}</style></head>"
            f"<body><nav><div class=\"team\"><a href=\"{PREFIX}/\">{esc(team.get('name', ''))}</a></div>"
            f"{picker}<h2>Channels</h2>{''.join(links)}</nav><main>{content}</main></body></html>\n")


def render_index(state: dict, viewer: Viewer | None = None) -> str:
    """The index page: the team and every channel with its badges, member and message counts."""
    team = state.get("team", {})
    rows = []
    for ch in state.get("channels", []):
        top, replies = _message_count(ch)
        rows.append(f'<tr><td><a href="{esc(channel_href(ch["id"]))}">{_mark(ch)}'
                    f'{esc(ch["name"])}</a></td><td>{_badges(ch)}</td>'
                    f'<td class="num">{len(ch.get("members", []))}</td><td class="num">{top}</td>'
                    f'<td class="num">{replies}</td><td><code>{esc(ch["id"])}</code></td></tr>')
    content = (f'<header class="page-head"><h1>{esc(team.get("name", ""))}</h1>'
               f'<div class="meta">Slack sandbox workspace <code>{esc(team.get("id", ""))}</code> · '
               f'{esc(team.get("url", ""))} · {len(state.get("users", []))} users · '
               f'{len(state.get("channels", []))} channels</div></header>'
               '<table><thead><tr><th>Channel</th><th></th><th>Members</th><th>Messages</th><th>Replies</th>'
               f'<th>ID</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
               f'<p class="links">JSON: <a href="{PREFIX}/state">state</a> · <a href="{PREFIX}/calls">call log</a></p>')
    return _page(state, f"{team.get('name', '')} · Slack sandbox", content, viewer=viewer)


def render_channel(state: dict, channel_id: str, now: datetime | None = None,
                   viewer: Viewer | None = None) -> str | None:
    """The channel page as Slack shows it, or None when the workspace has no channel with this id. With a
    viewer: the person picker, the notice of a refused action, their ephemeral messages and their forms."""
    channel = next((c for c in state.get("channels", []) if c["id"] == channel_id), None)
    if channel is None:  # a direct message, named for the viewer (nobody reads them all)
        channel = next((c for c in direct_messages(state, None) if c["id"] == channel_id), None)
        if viewer is not None and viewer.person_id and channel is not None:
            channel = next((c for c in direct_messages(state, viewer) if c["id"] == channel_id), channel)
    if channel is None:
        return None
    page = ChannelPage(state, channel, now, viewer)
    content = page.render()
    if viewer is not None and viewer.notice is not None:
        content = notice_banner(viewer.notice, channel_id) + content
    if viewer is not None and viewer.person is not None and viewer.views:
        content += _modal(page, viewer, channel_id)
    team = state.get("team", {}).get("name", "")
    mark = "" if channel.get("is_im") or channel.get("is_mpim") else "#"
    return _page(state, f"{mark}{channel['name']} · {team} · Slack sandbox", content, current=channel_id, viewer=viewer,
                 here=channel_href(channel_id))


def _modal(page: ChannelPage, viewer: Viewer, channel_id: str) -> str:
    """The person's newest open modal, over the page; after a refused submit, with the values they typed and
    the errors under the inputs."""
    entry = viewer.views[-1]
    notice = viewer.notice or {}
    kept = notice.get("view_id") == entry["id"]
    modal = Modal(viewer.csrf, viewer.person["name"] if viewer.person else None, channel_id,
                  page.blocks, page.text_object)
    return modal.render(entry, notice.get("draft") if kept else None, notice.get("view_errors") if kept else None)


# --------------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------------

def _html_response(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, content_type=HTML_TYPE)
    response.headers.update(SECURITY_HEADERS)
    return response


def _not_found(state: dict, what: str, viewer: Viewer | None = None) -> Response:
    content = (f'<header class="page-head"><h1>Not found</h1><div class="meta">{esc(what)}</div></header>'
               f'<p class="links"><a href="{PREFIX}/">All channels</a></p>')
    return _html_response(_page(state, "Not found · Slack sandbox", content, viewer=viewer), status=404)


def respond(sandbox: SlackSandbox, request: Request) -> Response:
    """Answer a GET under /_sandbox (other than the JSON endpoints and the actions): index, channel page or
    file download, as the person chosen by ``?as=`` (kept in a cookie) or the cookie."""
    path = request.path
    if request.method not in ("GET", "HEAD"):
        response = Response("Method Not Allowed: the sandbox's pages are read with GET; their forms post to "
                            f"{PREFIX}/actions/", status=405, mimetype="text/plain")
        response.headers["Allow"] = "GET, HEAD"
        return response
    if path == PREFIX:
        return Response(status=308, headers={"Location": f"{PREFIX}/"})
    channels, files = f"{PREFIX}/channels/", f"{PREFIX}/files/"
    channel_id = path[len(channels):] if path.startswith(channels) else None
    viewer, keep = sandbox.page_actions.viewer(request, channel_id)
    state = sandbox.state_json()
    # What follows the prefix is the whole id: ids from a workspace file may hold any character, '/' included.
    if path == f"{PREFIX}/":
        response = _html_response(render_index(state, viewer))
    elif channel_id is not None:
        response = _channel_response(state, channel_id, viewer)
    elif path.startswith(files):
        response = _file_response(sandbox, state, path[len(files):])
    else:
        response = _not_found(state, f"No sandbox page at {path}", viewer)
    if keep is not None:
        sandbox.page_actions.keep_person(response, keep)
    return response


def _channel_response(state: dict, channel_id: str, viewer: Viewer) -> Response:
    page = render_channel(state, channel_id, viewer=viewer)
    if page is None:
        # A name (or #name) typed into the address bar leads to the channel's canonical id page.
        named = next((c for c in state.get("channels", []) if c["name"] == channel_id.lstrip("#")), None)
        if named is not None:
            return Response(status=302, headers={"Location": channel_href(named["id"])})
        return _not_found(state, f"No channel with id {channel_id}", viewer)
    return _html_response(page)


def _file_response(sandbox: SlackSandbox, state: dict, file_id: str) -> Response:
    file = sandbox.file(file_id)
    if file is None or file.get("data") is None:
        return _not_found(state, f"No uploaded file with id {file_id}")
    # Always a download, never rendered: uploaded files are as hostile as the messages.
    response = Response(file["data"], status=200, content_type="application/octet-stream")
    response.headers.update(SECURITY_HEADERS)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", str(file.get("name") or "file"))
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


__all__ = ["Directory", "MrkdwnRenderer", "format_slack_date", "render_channel", "render_index", "respond",
           "safe_color", "safe_url", "slack_unescape"]
