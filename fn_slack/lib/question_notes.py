"""FORMAT the notes that record a refused answer to a question and a question whose row was changed outside
fn_slack (pure: no I/O), and the reference each carries so that it is written once.

Everything that came from Slack or SOAR is escaped as plain text: the person's name, the answer they gave (a
button's value is SOAR data, a typed answer is what a person wrote), the question, and each changed cell.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from fn_slack.lib import messages
from fn_slack.lib.text_conventions import strip_invisible


def _shown(text: str) -> str:
    """Text from Slack or SOAR as note text: escaped, without bidi or zero-width characters."""
    return html.escape(strip_invisible(text))


def _reference(text: str) -> str:
    """A note's reference, a paragraph of its own that escaped text cannot produce (as the other notes')."""
    return f"<p><small>{html.escape(text)}</small></p>"


def refused_key(question_id: str, user_id: str, reason: str) -> str:
    """The claims-log key of the note of one person's answers refused for one reason: written once."""
    return f"question/{question_id}/refused/{user_id}/{reason}"


def altered_key(question_id: str) -> str:
    """The claims-log key of the note of a question whose row was changed outside fn_slack: written once."""
    return f"question/{question_id}/altered"


def note_reference(key: str) -> str:
    """The reference the note of ``key`` carries, found again by a process that takes over a dead one's claim."""
    return _reference(f"slack-question-record {key}")


def refused_note_html(question_id: str, question: str, *, who: str, user_id: str, answer: str, reason: str) -> str:
    """The note of a refused answer: who (the person as users.info names them: real name, e-mail, Slack user ID),
    what they answered, to which question, why."""
    why = messages.QUESTION_REFUSALS[reason]
    body = messages.question_refused_note(_shown(who), _shown(question), _shown(answer), html.escape(why))
    return f"<div>{body}{note_reference(refused_key(question_id, user_id, reason))}</div>"


def altered_note_html(question_id: str, question: str, state: str,
                      changes: Sequence[tuple[str, str, str]]) -> str:
    """The note of a question whose row no longer holds what fn_slack wrote: each changed column with its sealed
    value and its value now."""
    listed = [messages.question_altered_change(_shown(column), _shown(sealed), _shown(now))
              for column, sealed, now in changes]
    body = messages.question_altered_note(_shown(question), state, listed)
    return f"<div>{body}{note_reference(altered_key(question_id))}</div>"


__all__ = ["altered_key", "altered_note_html", "note_reference", "refused_key", "refused_note_html"]
