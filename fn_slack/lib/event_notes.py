"""FORMAT the notes the listener writes into SOAR (pure: no I/O): a mirrored message, reply, edit or deletion,
and a question's answer; the reference each note carries so that it is found again; the message's link.

A note's header — who (``people.Person``: real name, e-mail, Slack ID, guest or external), where, when, the
link — is markup fn_slack makes; what the person wrote is always inside a ``<blockquote>`` after it, escaped,
so it can neither close the quote nor pass for a header (a line of it that reads like one keeps its ``*`` as
typed). Everything that came from Slack is escaped and loses bidi controls and zero-width characters: names,
channel and file names as text, the message's mrkdwn through ``mrkdwn_to_html``, and only ``http``/``https``
links for files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fn_slack.lib import messages
from fn_slack.lib.mrkdwn_to_html import mrkdwn_to_html
from fn_slack.lib.people import Person
from fn_slack.lib.slack_events import SlackEvent
from fn_slack.lib.text_conventions import TimeFormat, strip_invisible, utc_time

UserName = Callable[[str], str | None]
# A line of a person's text that reads like a note's header ("*Slack* · *Alice* wrote in ..."): shown as typed.
_HEADER_LIKE = re.compile(r"^[\s*_~`>]*slack[\s*_~`]*[·•|:\-]", re.IGNORECASE)


def _header_like(line: str) -> bool:
    return bool(_HEADER_LIKE.match(strip_invisible(line)))


def _quoted(text: str | None, user_name: UserName, channel_name: UserName | None = None) -> str:
    """A person's text as the note quotes it."""
    return (f"<blockquote>{mrkdwn_to_html(text, users=user_name, channels=channel_name, literal=_header_like)}"
            f"</blockquote>")


def _shown(text: str) -> str:
    """Something Slack named (a person, a channel, a file) as note text: escaped, without invisible characters."""
    return html.escape(strip_invisible(text))


def _reference(text: str) -> str:
    """A note's reference as the note holds it and as it is searched for: a paragraph of its own, which a
    person's text (always escaped) cannot produce, closed right after the reference so that one event's key is
    never found inside another's (a message's key is the start of its edit's)."""
    return f"<p><small>{html.escape(text)}</small></p>"


def marker(key: str) -> str:
    """The reference each mirrored note carries, found again by a process that takes over a dead one's claim."""
    return _reference(f"slack-event {key}")


def question_marker(question_id: str) -> str:
    """The reference an answer's note carries, so the note is written once."""
    return _reference(f"slack-question {question_id}")


def message_link(team_url: str | None, event: SlackEvent) -> str:
    """The Slack link of the event's message (in its thread for a reply), built without a Slack call."""
    return message_url(team_url, event.channel, event.ts, event.thread_ts)


def message_url(team_url: str | None, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """The Slack link of the message ``ts`` in ``channel`` (in its thread when ``thread_ts`` is given)."""
    base = str(team_url or "https://slack.com/")
    base = base if base.endswith("/") else base + "/"
    link = f"{base}archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def slack_link_html(link: str) -> str:
    """The link to the message as the mirror log's row shows it."""
    return f'<a href="{html.escape(link, quote=True)}">Slack</a>'


def _body(event: SlackEvent, when: str, user_name: UserName, channel_name: UserName | None) -> str:
    """What the event says, quoted: the text; for an edit the new and the old text; for a deletion the old."""
    esc = html.escape
    if event.kind == "edit":
        return (f"<p>{esc(messages.mirror_edited('', when))}</p>{_quoted(event.text, user_name, channel_name)}"
                f"<p><i>{messages.MIRROR_BEFORE}</i></p>{_quoted(event.previous_text, user_name, channel_name)}")
    if event.kind == "delete":
        return (f"<p>{esc(messages.mirror_deleted('', when))}</p>"
                f"{_quoted(event.previous_text, user_name, channel_name)}")
    return _quoted(event.text, user_name, channel_name)


def _file_link(name: str, url: str) -> str:
    """A file as a link when its URL is http(s), else its name alone."""
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(url, quote=True)}">{_shown(name)}</a>'
    return _shown(name)


def note_html(event: SlackEvent, author: Person, channel_name: str, link: str, user_name: UserName, *,
              channel_names: UserName | None = None) -> str:
    """The note for one event: fn_slack's header, then what the person wrote, quoted; every part that came
    from Slack is escaped. ``user_name``/``channel_names`` name the IDs the text mentions."""
    when = utc_time(float(event.ts), TimeFormat.NOTE)
    head = messages.mirror_note_header(_shown(author.label), f"<b>#{_shown(channel_name)}</b>", html.escape(when),
                                       html.escape(link, quote=True), messages.MIRROR_KINDS[event.kind])
    files = messages.mirror_files([_file_link(name, url) for name, url in event.files]) if event.files else ""
    body = _body(event, when, user_name, channel_names)
    return f"<div>{head}{body}{files}{marker(event.key)}</div>"


def failed_note_html(event: SlackEvent, author: Person, channel_name: str, link: str) -> str:
    """The note of an event that could not be mirrored: who, where, when and the link to it, nothing of its
    text (what failed to convert); it carries the event's reference like the note it stands for."""
    when = utc_time(float(event.ts), TimeFormat.NOTE)
    head = messages.mirror_failed_note(_shown(author.label), f"<b>#{_shown(channel_name)}</b>", html.escape(when),
                                       html.escape(link, quote=True), messages.MIRROR_KINDS[event.kind])
    return f"<div>{head}{marker(event.key)}</div>"


def answer_note_html(question_id: str, question: str, answer: str, author: Person, at: float, *,
                     typed: bool = True) -> str:
    """The note of a question's answer: who answered (the Person), the question, then the answer quoted; every
    part that came from Slack or SOAR is escaped. A ``typed`` answer (a person's words in Slack) is their mrkdwn as
    HTML; a button's answer is SOAR data, shown as plain text."""
    head = messages.question_answer_note(_shown(author.label), _shown(question),
                                         html.escape(utc_time(at, TimeFormat.NOTE)))
    body = _quoted(answer, lambda _uid: None) if typed else f"<blockquote>{_shown(answer)}</blockquote>"
    return f"<div>{head}{body}{question_marker(question_id)}</div>"


def action_marker(key: str) -> str:
    """The reference an action's note carries, so the action is written once."""
    return _reference(f"slack-action {key}")


def action_note_html(key: str, actor: Person, soar_user: str, what: str, where: str, *, link: str = "",
                     text: str | None = None, author: Person | None = None, detail_html: str = "",
                     user_name: UserName | None = None) -> str:
    """The note of an action from Slack: the Slack person and the SOAR user they acted as, what they did and
    where; then what the person wrote (``text``, quoted as the mirror quotes it, after its ``author`` when that
    is someone else) or a detail fn_slack made (``detail_html``, already escaped). Everything from Slack is
    escaped."""
    head = messages.action_note_header(_shown(actor.label), _shown(soar_user), html.escape(what),
                                       f"<b>#{_shown(where)}</b>", html.escape(link, quote=True))
    byline = messages.action_sent_message(_shown(author.label)) if author is not None else ""
    body = _quoted(text, user_name or (lambda _uid: None)) if text is not None else ""
    return f"<div>{head}{byline}{body}{detail_html}{action_marker(key)}</div>"


__all__ = ["action_marker", "action_note_html", "answer_note_html", "failed_note_html", "marker", "message_link",
           "note_html", "question_marker",
           "slack_link_html"]
