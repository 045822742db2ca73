"""FLOW slack_ask_question and its answers.

Asking (the function, ``QuestionAsk.run``): the question goes to a channel — the same channel decision,
creation, invitations and link as slack_post_message — or, with ``slack_question_direct``, to the people of
``slack_participant_emails`` in a direct message (a group DM for several). It is a Block Kit message with one
button per option; the buttons' block carries the incident, the task and the question's id, so an answer
needs no search in SOAR. A row in ``slack_questions_db`` records the question; the function returns at once
with the question's id.

Answering (the listener, ``QuestionAnswers``): a click (``block_actions`` over Socket Mode) or, when the
question allows it, a reply in the question's thread. Only the people asked (or, when nobody was named,
anyone in the conversation) may answer; the first answer wins (a row update with the row's version, which
SOAR grants once); the answer becomes a note and the question message shows it. A click after the question
expired, or after someone else answered, is told so in Slack, to the clicker alone.
"""

from __future__ import annotations

import html
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fn_slack.lib import inputs, messages
from fn_slack.lib.block_kit import (
    ANSWER_ACTION_PREFIX,
    MAX_BUTTON_TEXT,
    MAX_OPTIONS,
    QuestionRef,
    answered_blocks,
    expired_blocks,
    question_blocks,
    question_ref_of,
)
from fn_slack.lib.channel_post import ChannelPost, PostRequest
from fn_slack.lib.errors import InputError
from fn_slack.lib.mrkdwn_to_html import mrkdwn_to_html
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_utils import Channel, SlackUtils
from fn_slack.lib.soar.incidents import Notes
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.question_rows import ANSWERED, EXPIRED, Question, QuestionsTable
from fn_slack.lib.text_conventions import TimeFormat, utc_time

LOG = logging.getLogger(__name__)
MAX_QUESTION = 2900


def _options(value: object) -> list[str]:
    """Answer options: one per line, or separated by ``|`` on one line; blanks and repeats dropped."""
    text = inputs.text_input(value) or ""
    parts = text.splitlines() if "\n" in text.strip() else text.split("|")
    seen: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return seen


@dataclass(frozen=True)
class AskRequest:
    """slack_ask_question's inputs."""

    post: PostRequest
    question: str
    options: list[str]
    free_text: bool
    direct: bool
    expiry_minutes: float | None

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> AskRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        def get(name: str) -> object:
            return getattr(fn_inputs, name, None)

        post = PostRequest.from_inputs(fn_inputs)
        question = inputs.text_input(get("slack_question"))
        if not question:
            raise InputError(messages.question_missing())
        if len(question) > MAX_QUESTION:
            raise InputError(messages.question_too_long(MAX_QUESTION))
        free_text = bool(inputs.flag(get("slack_question_free_text"), "slack_question_free_text"))
        options = _options(get("slack_question_options"))
        if not options and not free_text:
            raise InputError(messages.question_needs_options())
        if len(options) > MAX_OPTIONS:
            raise InputError(messages.question_too_many_options(MAX_OPTIONS))
        if any(len(o) > MAX_BUTTON_TEXT for o in options):
            raise InputError(messages.question_option_too_long(MAX_BUTTON_TEXT))
        direct = bool(inputs.flag(get("slack_question_direct"), "slack_question_direct"))
        if direct and not post.participants.emails:
            raise InputError(messages.question_direct_needs_people())
        expiry = get("slack_question_expiry_minutes")
        minutes = None
        if expiry not in (None, ""):
            try:
                minutes = float(expiry)
            except (TypeError, ValueError):
                raise InputError(messages.question_bad_expiry(expiry)) from None
            if minutes < 1:
                raise InputError(messages.question_bad_expiry(expiry))
        return cls(post=post, question=question, options=options, free_text=free_text, direct=direct,
                   expiry_minutes=minutes)


@dataclass(frozen=True)
class AskOutcome:
    """The function's result."""

    question_id: str
    channel: Channel
    ts: str
    url: str
    expires_ms: int
    allowed: list[str]

    def result(self) -> dict:
        """The ``content`` of the FunctionResult: the question, where it was asked and until when."""
        return {"question_id": self.question_id, "channel": self.channel.name, "channel_id": self.channel.id,
                "ts": self.ts, "url": self.url, "expires": self.expires_ms, "allowed_user_ids": self.allowed,
                "status": "open"}


class QuestionAsk:
    """Asks one question; ``run`` yields status messages, then the ``AskOutcome``."""

    def __init__(self, settings: SlackSettings, rest_client: object, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.rest = rest_client
        self.clock = clock

    def run(self, request: AskRequest) -> Iterator[str | AskOutcome]:
        """Ask the question in Slack and record it in SOAR; yields status messages, then the outcome."""
        post = request.post
        slack = SlackUtils(self.settings)
        question_id = uuid.uuid4().hex[:16]
        ref = QuestionRef(post.incident_id, post.task_id, question_id)
        minutes = request.expiry_minutes or self.settings.question_expiry_minutes
        expires = self.clock() + minutes * 60
        found, unknown = slack.lookup_user_ids(post.participants.emails) if post.participants.emails else ({}, [])
        allowed = [found[e] for e in post.participants.emails if e in found]
        blocks = question_blocks(ref, request.question, request.options, who=allowed, expires=expires,
                                 free_text=request.free_text)
        fallback = request.question[:300]
        if request.direct and unknown:
            raise InputError(messages.question_people_unknown(unknown))
        QuestionsTable.check_ready(self.rest)   # the answer needs the table: refuse before anything is posted
        if request.direct:
            channel = slack.open_conversation(allowed)
            ts = slack.post_message(channel, fallback, blocks=blocks, mrkdwn=True)
            url = slack.permalink(channel, ts)
        else:
            with ChannelPost(slack, ConversationsTable(self.rest, post.incident_id), post).enter() as target:
                yield from target.notices
                ts = slack.post_message(target.channel, fallback, blocks=blocks, mrkdwn=True)
                url = slack.permalink(target.channel, ts)
                linked = target.finish(url, ts)
            yield from linked.notices
            channel = linked.channel
        QuestionsTable(self.rest, post.incident_id, clock=self.clock).add(
            question_id=question_id, question=request.question, options=request.options, channel_id=channel.id,
            ts=ts, allowed=allowed, expires_ms=int(expires * 1000), free_text=request.free_text,
            link=f'<a href="{html.escape(url, quote=True)}">Question in Slack</a>')
        yield messages.question_asked(question_id, channel.name, len(allowed))
        yield AskOutcome(question_id, channel, ts, url, int(expires * 1000), allowed)


# ---------------------------------------------------------------------------------------------- answers
class Reply:
    """How fn_slack answers the person who answered: replace the question message, or tell them alone."""

    def replace(self, text: str, blocks: list[dict]) -> None:
        raise NotImplementedError

    def tell(self, text: str) -> None:
        raise NotImplementedError


class ResponseUrlReply(Reply):
    """Through a click's response URL."""

    def __init__(self, respond: Callable[[str, dict], bool], url: str | None) -> None:
        self.respond = respond
        self.url = url

    def replace(self, text: str, blocks: list[dict]) -> None:
        if self.url:
            self.respond(self.url, {"replace_original": True, "text": text, "blocks": blocks})

    def tell(self, text: str) -> None:
        if self.url:
            self.respond(self.url, {"response_type": "ephemeral", "replace_original": False, "text": text})


class WebApiReply(Reply):
    """For a thread reply: chat.update of the question and chat.postEphemeral to the person."""

    def __init__(self, slack: SlackUtils, channel_id: str, ts: str, user_id: str) -> None:
        self.slack, self.channel_id, self.ts, self.user_id = slack, channel_id, ts, user_id

    def replace(self, text: str, blocks: list[dict]) -> None:
        self.slack.call("chat.update", json={"channel": self.channel_id, "ts": self.ts, "text": text,
                                             "blocks": blocks})

    def tell(self, text: str) -> None:
        self.slack.call("chat.postEphemeral", json={"channel": self.channel_id, "user": self.user_id,
                                                    "text": text, "thread_ts": self.ts})


def question_marker(question_id: str) -> str:
    """The reference an answer's note carries, so the note is written once."""
    return f"slack-question {question_id}"


class QuestionAnswers:
    """Answers arriving through the listener."""

    def __init__(self, settings: SlackSettings, rest_client: object, respond: Callable[[str, dict], bool], *,
                 user_name: Callable[[str], str], bot_user: Callable[[], str | None],
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.rest = rest_client
        self.respond = respond
        self.user_name = user_name
        self.bot_user = bot_user
        self.clock = clock

    def on_interactive(self, payload: dict) -> str:
        """A ``block_actions`` payload: a click on one of fn_slack's question buttons."""
        if payload.get("type") != "block_actions":
            return "ignored"
        user = str((payload.get("user") or {}).get("id") or "")
        for action in payload.get("actions") or []:
            ref = QuestionRef.from_block_id(action.get("block_id"))
            if ref is None or not str(action.get("action_id") or "").startswith(ANSWER_ACTION_PREFIX):
                continue
            action_ts = str(action.get("action_ts") or self.clock())
            reply = ResponseUrlReply(self.respond, payload.get("response_url"))
            return self._answer(ref, user, str(action.get("value") or ""), float(action_ts), f"{user}:{action_ts}",
                                reply, typed=False)
        return "ignored"

    def on_thread_reply(self, event: dict) -> str:
        """A message event: when it replies in the thread of a question that takes free text, an answer."""
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        bot = self.bot_user()
        if not thread_ts or thread_ts == ts or event.get("parent_user_id") != bot or not event.get("user") \
                or event.get("bot_id") or event.get("subtype") not in (None, "", "thread_broadcast"):
            return "ignored"
        slack = SlackUtils(self.settings)
        parent = slack.thread_parent(str(event["channel"]), str(thread_ts))
        ref = question_ref_of(parent or {})
        if ref is None:
            return "ignored"
        user = str(event["user"])
        reply = WebApiReply(slack, str(event["channel"]), str(thread_ts), user)
        return self._answer(ref, user, str(event.get("text") or ""), float(ts), f"{user}:{ts}", reply, typed=True)

    def _answer(self, ref: QuestionRef, user: str, answer: str, at: float, key: str,  # noqa: PLR0911, PLR0913, PLR0917
                reply: Reply, *, typed: bool) -> str:
        table = QuestionsTable(self.rest, ref.incident_id, clock=self.clock,
                               lease_seconds=self.settings.event_claim_seconds)
        for _ in range(5):
            question = table.find(ref.question_id)
            if question is None:
                reply.tell(messages.question_unknown())
                return "unknown"
            if typed and not question.free_text:
                return "ignored"
            if question.status == ANSWERED:
                if question.answer_key == key:  # this very answer, delivered again
                    self._finish_duplicate(ref, question, user, at)
                    return "duplicate"
                reply.tell(messages.question_already_answered(question.answered_by, question.answer))
                return "already_answered"
            if question.status == EXPIRED or at * 1000 > question.expires_ms:
                if question.status != EXPIRED and not table.record_expiry(question):
                    continue
                reply.replace(messages.question_expired_text(question.question),
                              expired_blocks(question.question, question.expires_ms / 1000))
                reply.tell(messages.question_expired(utc_time(question.expires_ms / 1000, TimeFormat.NOTE)))
                return "expired"
            if question.allowed and user not in question.allowed:
                reply.tell(messages.question_not_yours(question.allowed))
                return "not_allowed"
            if not typed and answer not in question.options:
                reply.tell(messages.question_unknown_option())
                return "ignored"
            name = self.user_name(user)
            if not table.record_answer(question, answer=answer, by=name, key=key, at_ms=int(at * 1000)):
                continue  # another click or process changed the row first: read it again
            self._note_once(ref, question, answer, user, at)
            reply.replace(messages.question_answered_text(question.question, answer),
                          answered_blocks(question.question, answer, user, at))
            return "answered"
        raise RuntimeError(f"the row of question {ref.question_id} kept changing")

    def _finish_duplicate(self, ref: QuestionRef, question: Question, user: str, at: float) -> None:
        """The same answer delivered again: the process that recorded it writes the note; only when that note
        is still missing after event_claim_seconds (that process died) is it written here."""
        notes = Notes(self.rest)
        marker = question_marker(question.question_id)
        deadline = self.clock() + self.settings.event_claim_seconds
        while notes.find(ref.incident_id, ref.task_id, marker) is None:
            if self.clock() >= deadline:
                self._note_once(ref, question, question.answer, user, at)
                return
            time.sleep(0.25)

    def _note_once(self, ref: QuestionRef, question: Question, answer: str, user: str, at: float) -> None:
        notes = Notes(self.rest)
        marker = question_marker(question.question_id)
        if notes.find(ref.incident_id, ref.task_id, marker) is not None:
            return
        esc = html.escape
        head = messages.question_answer_note(esc(self.user_name(user)), esc(question.question),
                                             esc(utc_time(at, TimeFormat.NOTE)))
        body = (f"<div>{head}<blockquote>{mrkdwn_to_html(answer)}</blockquote>"
                f"<p><small>{esc(marker)}</small></p></div>")
        notes.add(ref.incident_id, ref.task_id, body, marker=marker)


__all__ = ["AskOutcome", "AskRequest", "QuestionAnswers", "QuestionAsk", "question_marker"]
