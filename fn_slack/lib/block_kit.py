"""Block Kit messages fn_slack builds (pure: no I/O): the question with its buttons and what it becomes when
answered or expired.

Limits followed (Slack's Block Kit reference): a section's text at most 3,000 characters, a button's text at
most 75 and its value at most 2,000, an ``actions`` block at most 25 elements, ``block_id`` at most 255
characters, a message at most 50 blocks. Text that came from SOAR is made inert for Slack so it cannot mention
people or make links of its own: mrkdwn through the caller's ``escape`` (fn_slack passes
``message_format.escape_untrusted``, the escaping of posts; Slack's three escapes when none is given), a
button's plain-text label by :func:`inert_label`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.text_conventions import TimeFormat, slack_unescape, utc_time

QUESTION_BLOCK_PREFIX = "fn_slack_q"
ANSWER_ACTION_PREFIX = "fn_slack_answer_"
IOC_BLOCK_ID = "fn_slack_iocs"
IOC_ACTION_PREFIX = "fn_slack_ioc_"   # the buttons that add an IOC as an artifact (iocs.offer_blocks)
MAX_OPTIONS = 10
MAX_BUTTON_TEXT = 75
MAX_SECTION_TEXT = 3000


ZERO_WIDTH_SPACE = "\u200b"
# In plain text: every "<" (Slack's syntax opens with one: <!channel>, <@U1>, <#C1>, <https://…|label>, and a
# character Slack may drop can stand between it and the rest) and an "@" that starts a word (@here, @channel).
_LIVE_IN_PLAIN_RE = re.compile(r"<|(?<![\w@])@(?=[^\s\u200b])")


def plain_text_of(escaped: str) -> str:
    """Text escaped for mrkdwn (message_format) as a ``plain_text`` object shows it: as typed, yet no ``<`` of
    it can start a mention or a link (a zero-width space after each)."""
    return slack_unescape(escaped).replace("<", "<" + ZERO_WIDTH_SPACE)


def slack_escape(text: str) -> str:
    """Slack's three escapes: what SOAR wrote shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert_label(text: str) -> str:
    """A button's label (``plain_text``, which Slack shows as sent, entities included): a zero-width space after
    every ``<`` and every word-initial ``@``, so that it reads as written and can
    be read as no mention and no link whichever way a client treats it."""
    return _LIVE_IN_PLAIN_RE.sub(lambda match: match.group(0) + ZERO_WIDTH_SPACE, text)


@dataclass(frozen=True)
class QuestionRef:
    """What a button's block carries back: the incident (and task) and the question's id."""

    incident_id: int
    task_id: int | None
    question_id: str

    def block_id(self) -> str:
        """The ``block_id`` of the question's buttons, which Slack sends back with a click."""
        return f"{QUESTION_BLOCK_PREFIX}:{self.incident_id}:{self.task_id or 0}:{self.question_id}"

    @classmethod
    def from_block_id(cls, block_id: str | None) -> QuestionRef | None:
        """The question a ``block_id`` names; None for a block fn_slack did not make."""
        parts = str(block_id or "").split(":")
        if len(parts) != 4 or parts[0] != QUESTION_BLOCK_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        return cls(int(parts[1]), int(parts[2]) or None, parts[3])


def question_ref_of(message: dict) -> QuestionRef | None:
    """The question a message of fn_slack asks, read from its blocks; None for any other message."""
    for block in message.get("blocks") or []:
        ref = QuestionRef.from_block_id(block.get("block_id")) if isinstance(block, dict) else None
        if ref is not None:
            return ref
    return None


MAX_FIELDS_PER_SECTION = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150


def _as_field_value(value: str) -> str:
    """A value under its label; one of several lines is shown as a quote, so that no line of it
    (``*Severity*`` over ``Low`` in a description) can pass for a field of its own."""
    if "\n" not in value:
        return value
    return "\n".join(f"> {line}" if line.strip() else ">" for line in value.split("\n"))


def container_blocks(title: str, fields: tuple[tuple[str, str], ...] | list[tuple[str, str]], link: str | None,
                     pretext: str | None = None) -> list[dict]:
    """A SOAR container as Block Kit: a header with the title, sections of fields (label over value, ten to a
    section; a value of several lines quoted under its label), a value too long for a field as a section of its
    own, and a context line linking to SOAR.
    Labels and values come already escaped/formatted for mrkdwn (message_format); the header is plain text."""
    blocks: list[dict] = []
    if pretext:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": pretext[:MAX_SECTION_TEXT]}})
    if title:
        header = plain_text_of(title)[:MAX_HEADER_TEXT]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
    pending: list[dict] = []

    def flush() -> None:
        if pending:
            blocks.append({"type": "section", "fields": list(pending)})
            pending.clear()

    for label, value in fields:
        text = f"*{label}*\n{_as_field_value(value)}"
        if len(text) > MAX_FIELD_TEXT:
            flush()
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}})
            continue
        pending.append({"type": "mrkdwn", "text": text})
        if len(pending) == MAX_FIELDS_PER_SECTION:
            flush()
    flush()
    if link:
        to_soar = f"<{link}|{messages.OPEN_IN_SOAR}>"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": to_soar}]})
    return blocks[:50]


Escape = Callable[[str], str]


def question_blocks(ref: QuestionRef, question: str, options: list[str], *, who: list[str], expires: float,
                    free_text: bool, header: str | None = None, escape: Escape = slack_escape) -> list[dict]:
    """The question message: the question (made inert by ``escape``), the buttons (each label inert, each value
    the option as asked: the answer a click sends back), and who may answer until when (``who``: the Slack user
    IDs asked, mentioned; none: any member of the channel)."""
    blocks: list[dict] = []
    if header:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": inert_label(header)[:150]}})
    question_section: dict = {"type": "section",
                              "text": {"type": "mrkdwn", "text": escape(question)[:MAX_SECTION_TEXT]}}
    blocks.append(question_section)
    if options:
        blocks.append({"type": "actions", "block_id": ref.block_id(), "elements": [
            {"type": "button", "action_id": f"{ANSWER_ACTION_PREFIX}{i}", "value": option[:2000],
             "text": {"type": "plain_text", "text": inert_label(option)[:MAX_BUTTON_TEXT]}}
            for i, option in enumerate(options)]})
    else:
        # Slack refuses an actions block without elements: a question answered only in words carries its
        # reference on the question's section instead.
        question_section["block_id"] = ref.block_id()
    context = messages.question_who_may_answer([f"<@{uid}>" for uid in who],
                                               utc_time(expires, TimeFormat.QUESTION), free_text)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def answered_blocks(question: str, answer: str, user_id: str, when: float, *,
                    escape: Escape = slack_escape) -> list[dict]:
    """The question once answered: the buttons give way to the answer (question and answer made inert)."""
    at = utc_time(when, TimeFormat.QUESTION)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(question)[:MAX_SECTION_TEXT]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            messages.question_answered_line(escape(answer[:MAX_BUTTON_TEXT * 4]), f"<@{user_id}>", at)}]},
    ]


def expired_blocks(question: str, expired_at: float, *, escape: Escape = slack_escape) -> list[dict]:
    """The question after its time ran out."""
    at = utc_time(expired_at, TimeFormat.QUESTION)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(question)[:MAX_SECTION_TEXT]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            messages.question_expired_line(at)}]},
    ]


__all__ = ["ANSWER_ACTION_PREFIX", "IOC_ACTION_PREFIX", "IOC_BLOCK_ID", "MAX_BUTTON_TEXT",
           "MAX_OPTIONS", "QuestionRef", "answered_blocks",
           "container_blocks", "expired_blocks", "inert_label", "question_blocks", "question_ref_of", "slack_escape"]
