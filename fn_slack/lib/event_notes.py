"""FORMAT the notes the listener writes into SOAR (pure: no I/O): a mirrored message, reply, edit or deletion,
and a question's answer; the reference each note carries so that it is found again; the message's link.

Everything that came from Slack is escaped: names and channel names as text, the message's mrkdwn through
``mrkdwn_to_html``, and only ``http``/``https`` links for files.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from fn_slack.lib import messages
from fn_slack.lib.mrkdwn_to_html import mrkdwn_to_html
from fn_slack.lib.slack_events import SlackEvent
from fn_slack.lib.text_conventions import TimeFormat, utc_time

UserName = Callable[[str], str | None]


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
    base = str(team_url or "https://slack.com/")
    base = base if base.endswith("/") else base + "/"
    link = f"{base}archives/{event.channel}/p{event.ts.replace('.', '')}"
    if event.thread_ts:
        link += f"?thread_ts={event.thread_ts}&cid={event.channel}"
    return link


def slack_link_html(link: str) -> str:
    """The link to the message as the mirror log's row shows it."""
    return f'<a href="{html.escape(link, quote=True)}">Slack</a>'


def _body(event: SlackEvent, author: str, when: str, user_name: UserName) -> str:
    """What the event says: the text; for an edit the new and the old text; for a deletion the old text."""
    esc = html.escape
    if event.kind == "edit":
        return (f"<p>{esc(messages.mirror_edited(author, when))}</p><div>{mrkdwn_to_html(event.text, users=user_name)}"
                f"</div><p><i>{messages.MIRROR_BEFORE}</i></p><blockquote>"
                f"{mrkdwn_to_html(event.previous_text, users=user_name)}</blockquote>")
    if event.kind == "delete":
        return (f"<p>{esc(messages.mirror_deleted(author, when))}</p><blockquote>"
                f"{mrkdwn_to_html(event.previous_text, users=user_name)}</blockquote>")
    return f"<div>{mrkdwn_to_html(event.text, users=user_name)}</div>"


def _file_link(name: str, url: str) -> str:
    """A file as a link when its URL is http(s), else its name alone."""
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(name)}</a>'
    return html.escape(name)


def note_html(event: SlackEvent, author: str, channel_name: str, link: str, user_name: UserName) -> str:
    """The note for one event; every part that came from Slack is escaped."""
    esc = html.escape
    when = utc_time(float(event.ts), TimeFormat.NOTE)
    head = messages.mirror_note_header(esc(author), f"<b>#{esc(channel_name)}</b>", esc(when), esc(link, quote=True),
                                       messages.MIRROR_KINDS[event.kind])
    files = messages.mirror_files([_file_link(name, url) for name, url in event.files]) if event.files else ""
    body = _body(event, author, when, user_name)
    return f"<div>{head}{body}{files}{marker(event.key)}</div>"


def failed_note_html(event: SlackEvent, author: str, channel_name: str, link: str) -> str:
    """The note of an event that could not be mirrored: who, where, when and the link to it, nothing of its
    text (what failed to convert); it carries the event's reference like the note it stands for."""
    esc = html.escape
    when = utc_time(float(event.ts), TimeFormat.NOTE)
    head = messages.mirror_failed_note(esc(author), f"<b>#{esc(channel_name)}</b>", esc(when), esc(link, quote=True),
                                       messages.MIRROR_KINDS[event.kind])
    return f"<div>{head}{marker(event.key)}</div>"


def answer_note_html(question_id: str, question: str, answer: str, author: str, at: float, *,
                     typed: bool = True) -> str:
    """The note of a question's answer; every part that came from Slack or SOAR is escaped. A ``typed`` answer
    (a person's words in Slack) is their mrkdwn as HTML; a button's answer is SOAR data, shown as plain text."""
    esc = html.escape
    head = messages.question_answer_note(esc(author), esc(question), esc(utc_time(at, TimeFormat.NOTE)))
    body = mrkdwn_to_html(answer) if typed else esc(answer)
    return (f"<div>{head}<blockquote>{body}</blockquote>"
            f"{question_marker(question_id)}</div>")


__all__ = ["answer_note_html", "failed_note_html", "marker", "message_link", "note_html", "question_marker",
           "slack_link_html"]
