"""FLOW slack_ask_question and its answers.

Asking (the function, ``QuestionAsk.run``): the question goes to a channel — the same channel decision,
creation, invitations and link as slack_post_message — or, with ``slack_question_direct``, to the people of
``slack_participant_emails`` in a direct message (a group DM for several). It is a Block Kit message with one
button per option; the buttons' block carries the incident, the task and the question's id, so an answer
needs no search in SOAR. A row in ``slack_questions_db`` records the question; the function returns at once
with the question's id.

Who may answer is decided when asking and fails closed: every e-mail of ``slack_participant_emails`` must be a
Slack member (else nothing is posted), and without e-mails ``slack_question_anyone`` must say that any member of
the question's channel may answer.

Answering (the listener, ``QuestionAnswers``): a click (``block_actions`` over Socket Mode) or, when the
question allows it, a reply in the question's thread. The question's row is read and its seal checked (a row
changed outside fn_slack is acted on in no way: the answer is refused, a note says what changed); then, in
order, the answer must come from the question's own channel and message, from a person asked (or, for
``anyone``, a current member of the channel), before the expiry, and be one of the options. The first answer
that passes wins (its outcome claimed in slack_messages_db, the oldest claim wins, see soar.question_rows); the
answer becomes a note and the question message shows it. Every refused answer is told to the person alone in
Slack, logged, and recorded in a note once per question, person and reason (``Refusals``).

A click is acknowledged to Slack before its work starts (socket_listener) and Slack never delivers it again, so
fn_slack retries the work itself (``retry.ClickRetries``: a few attempts over about a minute). Every attempt is
safe to repeat: the outcome claim admits one answer, a retry finds its own answer recorded and only completes it,
and the answer's note is written under a claim of its own (soar.claimed_notes). When the last attempt fails,
the clicker is told in Slack that the answer was not recorded and what to do, and the error is logged.
"""

from __future__ import annotations

import html
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fn_slack.lib import inputs, messages
from fn_slack.lib.block_kit import (
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
from fn_slack.lib.event_notes import answer_note_html, question_marker
from fn_slack.lib.message_format import escape_untrusted
from fn_slack.lib.people import Person
from fn_slack.lib.question_notes import altered_key, altered_note_html, note_reference, refused_key, refused_note_html
from fn_slack.lib.retry import ClickRetries
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_events import QuestionClick, QuestionReply
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.soar.claimed_notes import ClaimedNote, NotePlace, Timing
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.mirror_log import FAILED, NOTED, MirrorLog
from fn_slack.lib.soar.question_rows import ANSWERED, EXPIRED, Question, QuestionsTable, note_key
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.text_conventions import TimeFormat, strip_invisible, utc_time

LOG = logging.getLogger(__name__)
MAX_QUESTION = 2900


def _options(value: object) -> list[str]:
    """Answer options: one per line, or separated by ``|`` on one line; blanks and repeats dropped, and the
    characters that change how text displays without being seen (bidi and zero-width controls) removed."""
    text = strip_invisible(inputs.text_input(value) or "")
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
    anyone: bool = False   # any member of the question's channel may answer (no one named, or more than them)

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> AskRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        def get(name: str) -> object:
            return getattr(fn_inputs, name, None)

        post = PostRequest.from_inputs(fn_inputs)
        question = _question(get("slack_question"))
        free_text = bool(inputs.flag(get("slack_question_free_text"), "slack_question_free_text"))
        options = _checked_options(get("slack_question_options"), free_text=free_text)
        direct = bool(inputs.flag(get("slack_question_direct"), "slack_question_direct"))
        anyone = bool(inputs.flag(get("slack_question_anyone"), "slack_question_anyone"))
        expiry_minutes = _expiry_minutes(get("slack_question_expiry_minutes"))
        _check_who_may_answer(direct=direct, anyone=anyone, named=bool(post.participants.emails))
        return cls(post=post, question=question, options=options, free_text=free_text, direct=direct,
                   expiry_minutes=expiry_minutes, anyone=anyone)


def _check_who_may_answer(*, direct: bool, anyone: bool, named: bool) -> None:
    """Somebody must be allowed to answer, by name (slack_participant_emails) or as any member of the question's
    channel (slack_question_anyone); a direct question is answered by the people named only."""
    if direct and anyone:
        raise InputError(messages.question_anyone_direct())
    if direct and not named:
        raise InputError(messages.question_direct_needs_people())
    if not anyone and not named:
        raise InputError(messages.question_nobody_may_answer())


def _question(value: object) -> str:
    """slack_question: required, at most MAX_QUESTION characters."""
    question = inputs.text_input(value)
    if not question:
        raise InputError(messages.question_missing())
    if len(question) > MAX_QUESTION:
        raise InputError(messages.question_too_long(MAX_QUESTION))
    return question


def _checked_options(value: object, *, free_text: bool) -> list[str]:
    """slack_question_options: required unless free text is allowed; at most MAX_OPTIONS buttons' worth."""
    options = _options(value)
    if not options and not free_text:
        raise InputError(messages.question_needs_options())
    if len(options) > MAX_OPTIONS:
        raise InputError(messages.question_too_many_options(MAX_OPTIONS))
    if any(len(o) > MAX_BUTTON_TEXT for o in options):
        raise InputError(messages.question_option_too_long(MAX_BUTTON_TEXT))
    return options


def _expiry_minutes(expiry: object) -> float | None:
    """slack_question_expiry_minutes: empty for none, else a number of minutes, at least 1."""
    if expiry in (None, ""):
        return None
    try:
        minutes = float(expiry)
    except (TypeError, ValueError):
        raise InputError(messages.question_bad_expiry(expiry)) from None
    if minutes < 1:
        raise InputError(messages.question_bad_expiry(expiry))
    return minutes


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
        slack = SlackClient(self.settings)
        question_id = uuid.uuid4().hex[:16]
        ref = QuestionRef(post.incident_id, post.task_id, question_id)
        minutes = request.expiry_minutes or self.settings.question_expiry_minutes
        expires = self.clock() + minutes * 60
        emails = post.participants.emails
        found, unknown = slack.lookup_user_ids(emails) if emails else ({}, [])
        if unknown:   # fail closed: a person named but not found would leave the question to others
            raise InputError(messages.question_people_unknown(unknown))
        people = list(dict.fromkeys(found[e] for e in emails))
        allowed = [] if request.anyone else people
        blocks = question_blocks(ref, request.question, request.options, who=allowed, expires=expires,
                                 free_text=request.free_text, escape=escape_untrusted)
        fallback = escape_untrusted(request.question[:300])   # the notification text: SOAR data, made inert
        QuestionsTable.check_ready(self.rest)   # the answer needs the table: refuse before anything is posted
        if request.direct:
            channel = slack.open_conversation(people)
            ts = slack.post_message(channel, fallback, blocks=blocks, mrkdwn=True).ts
            url = slack.permalink(channel, ts)
        else:
            table = ConversationsTable(self.rest, post.incident_id, Sealer(self.settings.seal_secret))
            with ChannelPost(slack, table, post).enter() as target:
                yield from target.notices
                ts = slack.post_message(target.channel, fallback, blocks=blocks, mrkdwn=True).ts
                url = slack.permalink(target.channel, ts)
                linked = target.finish(url, ts)
            yield from linked.notices
            channel = linked.channel
        QuestionsTable(self.rest, post.incident_id, sealer=Sealer(self.settings.seal_secret), clock=self.clock).add(
            question_id=question_id, question=request.question, options=request.options, channel_id=channel.id,
            ts=ts, allowed=allowed, expires_ms=int(expires * 1000), free_text=request.free_text,
            anyone=request.anyone, link=f'<a href="{html.escape(url, quote=True)}">Question in Slack</a>')
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

    def __init__(self, slack: SlackClient, channel_id: str, ts: str, user_id: str) -> None:
        self.slack, self.channel_id, self.ts, self.user_id = slack, channel_id, ts, user_id

    def replace(self, text: str, blocks: list[dict]) -> None:
        self.slack.update_message(self.channel_id, self.ts, text, blocks)

    def tell(self, text: str) -> None:
        self.slack.post_ephemeral(self.channel_id, self.user_id, text, thread_ts=self.ts)


@dataclass(frozen=True)
class _Answer:
    """One answer as it arrived: a click (``typed`` False) or a thread reply (``typed`` True), and where: the
    channel and the message clicked, or the channel and the thread replied in."""

    ref: QuestionRef
    user: str
    text: str
    at: float
    key: str
    reply: Reply
    typed: bool
    channel_id: str
    message_ts: str
    told: set[str] = field(default_factory=set, compare=False)   # refusals already told (a click's retries)


RETRY = "retry"
"""The question's row changed while an answer was judged: read it again."""


def _recorded_at(question: Question, default: float) -> float:
    """When the recorded answer was given: the time in its key (``<user>:<ts>``), else ``default``."""
    try:
        return float(question.answer_key.split(":", 1)[1])
    except (IndexError, ValueError):
        return default


def _sleep_until_stopped(seconds: float) -> bool:
    """Sleep; True would mean "the process is stopping" (never, standing alone)."""
    time.sleep(seconds)
    return False


class Refusals:
    """An answer that does not count: told to the person alone in Slack (once per answer, whatever the retries),
    logged, and recorded in a note on the question's incident or task once per question, person and reason (the
    same person refused again for the same reason adds no note)."""

    def __init__(self, settings: SlackSettings, rest_client: object, person: Callable[[str], Person],
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self.rest = rest_client
        self.person = person
        self.clock = clock

    @staticmethod
    def tell_once(answer: _Answer, what: str, text: str) -> None:
        """Tell the person ``text`` unless this answer's earlier attempt told them ``what`` already."""
        if what not in answer.told:
            answer.reply.tell(text)
            answer.told.add(what)

    def refuse(self, question: Question, answer: _Answer, reason: str, text: str) -> str:
        """Refuse the answer for ``reason`` (a key of ``messages.QUESTION_REFUSALS``): told ``text``, logged, noted."""
        self.tell_once(answer, reason, text)
        LOG.warning(messages.question_refused_log(question.question_id, answer.ref.incident_id, answer.user,
                                                  messages.QUESTION_REFUSALS[reason]))
        who = self.person(answer.user).label
        self._note(answer.ref, refused_key(question.question_id, answer.user, reason), who,
                   lambda: refused_note_html(question.question_id, question.question, who=who, user_id=answer.user,
                                             answer=answer.text, reason=reason))
        return reason.replace("-", "_")

    def altered(self, question: Question, answer: _Answer) -> str:
        """A question whose row no longer holds what fn_slack wrote: nothing of it is acted on. The answer is
        refused (the person told to ask the incident's owner), an error logged, and one note per question names
        each changed cell: the value sealed → the value now. The row is left as it is."""
        self.tell_once(answer, "altered", messages.question_record_altered())
        verdict = question.verdict
        LOG.error(messages.question_altered_log(question.question_id, answer.ref.incident_id, verdict.state,
                                                [change.column for change in verdict.changes]))
        changes = [(change.column, change.sealed, change.now) for change in verdict.changes]
        self._note(answer.ref, altered_key(question.question_id), "",
                   lambda: altered_note_html(question.question_id, question.question, verdict.state, changes))
        return "altered"

    def _note(self, ref: QuestionRef, key: str, author: str, body: Callable[[], str]) -> None:
        """The note of ``key``, written once under its claim; a refusal already noted (the same person clicking
        again) is seen with one read of the claims log, and nothing is claimed for it."""
        first = MirrorLog(self.rest, ref.incident_id, clock=self.clock).standing(key).first
        if first is not None and first.state in (NOTED, FAILED):
            return
        place = NotePlace(ref.incident_id, ref.task_id, key, note_reference(key), author)
        ClaimedNote(self.rest, place, Timing(self.settings.event_claim_seconds, clock=self.clock)).write(body)


class QuestionAnswers:
    """Answers arriving through the listener (read by slack_events): the first that passes every check wins."""

    def __init__(self, settings: SlackSettings, rest_client: object, respond: Callable[[str, dict], bool], *,
                 user_name: Callable[[str], str], person: Callable[[str], Person] = Person.unverified,
                 clock: Callable[[], float] = time.time, retries: ClickRetries | None = None,
                 pause: Callable[[float], bool] = _sleep_until_stopped) -> None:
        self.settings = settings
        self.rest = rest_client
        self.respond = respond
        self.user_name = user_name
        self.person = person
        """Who answered, as the answer's note names them (the listener's: users.info's real name and e-mail)."""
        self.clock = clock
        self.retries = retries or ClickRetries()
        self.pause = pause
        """Waits between a click's attempts; True when the process is stopping (no more attempts)."""
        self.sealer = Sealer(settings.seal_secret)
        self.refusals = Refusals(settings, rest_client, person, clock)

    def on_click(self, click: QuestionClick) -> str:
        """A click on one of fn_slack's question buttons (already acknowledged to Slack, which never sends it
        again): its work is retried here, and when every attempt failed the clicker is told."""
        action_ts = str(click.action_ts or self.clock())
        reply = ResponseUrlReply(self.respond, click.response_url)
        answer = _Answer(click.ref, click.user, click.value, float(action_ts), f"{click.user}:{action_ts}", reply,
                         typed=False, channel_id=click.channel_id, message_ts=click.message_ts)
        pauses = self.retries.pauses()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._answer(answer)
            except Exception as err:  # noqa: BLE001 - any failure is retried, then told to the person
                pause = next(pauses, None)
                if pause is None or self.pause(pause):
                    return self._not_recorded(answer, attempt, err)
                LOG.warning(messages.question_click_retried(click.ref.question_id, attempt, pause, err))

    @staticmethod
    def _not_recorded(answer: _Answer, attempts: int, err: Exception) -> str:
        """The click's last attempt failed: logged, and the clicker told (only they see it) what to do, unless
        they were already told why their answer was refused (then only the refusal's note is missing)."""
        LOG.error(messages.question_click_not_recorded(answer.ref.question_id, answer.ref.incident_id, attempts, err))
        if not answer.told:
            answer.reply.tell(messages.question_answer_not_recorded(escape_untrusted(answer.text)))
        return "failed"

    def on_reply(self, thread_reply: QuestionReply) -> str:
        """A reply in the thread of a message of fn_slack's bot: when that message is a question that takes
        free text, an answer."""
        slack = SlackClient(self.settings)
        parent = slack.thread_parent(thread_reply.channel, thread_reply.thread_ts)
        ref = question_ref_of(parent or {})
        if ref is None:
            return "ignored"
        user, ts = thread_reply.user, thread_reply.ts
        reply = WebApiReply(slack, thread_reply.channel, thread_reply.thread_ts, user)
        return self._answer(_Answer(ref, user, thread_reply.text, float(ts), f"{user}:{ts}", reply, typed=True,
                                    channel_id=thread_reply.channel, message_ts=thread_reply.thread_ts))

    def _answer(self, answer: _Answer) -> str:
        """Judge the answer against the question's row and record it (the first outcome claimed wins, see
        soar.question_rows); read the row again when another answer or the expiry was decided first."""
        table = QuestionsTable(self.rest, answer.ref.incident_id, sealer=self.sealer, clock=self.clock,
                               lease_seconds=self.settings.event_claim_seconds)
        for _ in range(5):
            question = table.find(answer.ref.question_id)
            outcome = self._judge(table, question, answer)
            if outcome == RETRY:
                continue
            if outcome is not None:
                return outcome
            name = self.user_name(answer.user)
            if not table.record_answer(question, answer=answer.text, by=name, key=answer.key,
                                       at_ms=int(answer.at * 1000)):
                continue  # another click or process changed the row first: read it again
            self._note_once(answer.ref, question, answer.text, answer.user, answer.at, typed=answer.typed)
            self._show_answer(question, answer, answer.text, answer.at)
            return "answered"
        raise RuntimeError(f"the row of question {answer.ref.question_id} kept changing")

    def _judge(self, table: QuestionsTable, question: Question | None, answer: _Answer) -> str | None:
        """Why the answer does not count, in the order of the checks (the outcome); None when it counts."""
        if question is None:
            Refusals.tell_once(answer, "unknown", messages.question_unknown())
            return "unknown"
        return (self._judge_record(question, answer) or self._judge_person(question, answer)
                or self._judge_outcome(table, question, answer))

    def _judge_record(self, question: Question, answer: _Answer) -> str | None:
        """Whether the row can be acted on (sealed, unchanged) and the answer came from the question itself."""
        if not question.verdict.intact:
            return self.refusals.altered(question, answer)
        if answer.typed and not question.free_text:
            return "ignored"   # a reply in the thread of a question answered by buttons: a message, no answer
        if (answer.channel_id, answer.message_ts) != (question.channel_id, question.ts):
            return self.refusals.refuse(question, answer, "wrong-place", messages.question_wrong_place())
        return None

    def _judge_outcome(self, table: QuestionsTable, question: Question, answer: _Answer) -> str | None:
        """Whether the question still takes this answer: not answered, not expired, one of its options."""
        if question.status == ANSWERED:
            return self._answered_before(question, answer)
        if question.status == EXPIRED or answer.at * 1000 > question.expires_ms:
            return self._expire(table, question, answer)
        if not answer.typed and answer.text not in question.options:
            return self.refusals.refuse(question, answer, "not-an-option", messages.question_unknown_option())
        return None

    def _judge_person(self, question: Question, answer: _Answer) -> str | None:
        """Why this person may not answer (not one of the people asked; for a question to any member of its
        channel, not a member of it now); None when they may."""
        if answer.user in question.allowed:
            return None
        if not question.anyone:
            return self.refusals.refuse(question, answer, "not-asked", messages.question_not_yours(question.allowed))
        if not SlackClient(self.settings).is_member(question.channel_id, answer.user):
            return self.refusals.refuse(question, answer, "not-member", messages.question_not_a_member())
        return None

    def _answered_before(self, question: Question, answer: _Answer) -> str:
        """An answered question: this very answer delivered again, or someone else's answer was first."""
        if question.answer_key == answer.key and answer.typed:  # this very reply, delivered again by Slack
            # Its note is written once under its own claim: this waits while the recording process holds it,
            # and takes it over when that process died.
            self._note_once(answer.ref, question, question.answer, answer.user, answer.at, typed=True)
            return "duplicate"
        if not answer.typed and question.answer_key.split(":", 1)[0] == answer.user:
            # This click's earlier attempt recorded it (or the same person's earlier click, whose note or view a
            # failure left undone): complete the note and the view, nothing more.
            at = _recorded_at(question, answer.at)
            self._note_once(answer.ref, question, question.answer, answer.user, at, typed=False)
            self._show_answer(question, answer, question.answer, at)
            return "answered"
        told = messages.question_already_answered(escape_untrusted(question.answered_by),
                                                  escape_untrusted(question.answer))
        self.refusals.refuse(question, answer, "answered", told)
        return "already_answered"

    @staticmethod
    def _show_answer(question: Question, answer: _Answer, recorded: str, at: float) -> None:
        """The question message shows the recorded answer in place of its buttons (question and answer escaped)."""
        answer.reply.replace(
            messages.question_answered_text(escape_untrusted(question.question[:300]), escape_untrusted(recorded)),
            answered_blocks(question.question, recorded, answer.user, at, escape=escape_untrusted))

    def _expire(self, table: QuestionsTable, question: Question, answer: _Answer) -> str:
        """An answer after the question expired: the expiry recorded once (its outcome claimed), the question
        message shows it, and the person is told (and the refusal noted)."""
        if question.status != EXPIRED and not table.record_expiry(question):
            return RETRY
        answer.reply.replace(messages.question_expired_text(escape_untrusted(question.question[:300])),
                             expired_blocks(question.question, question.expires_ms / 1000, escape=escape_untrusted))
        when = utc_time(question.expires_ms / 1000, TimeFormat.NOTE)
        return self.refusals.refuse(question, answer, "expired", messages.question_expired(when))

    def _note_once(self, ref: QuestionRef, question: Question, answer: str, user: str, at: float, *,
                   typed: bool) -> None:
        """The answer's note, written once under its claim in slack_messages_db (soar.claimed_notes); a note an
        earlier version wrote without a claim is looked for first. A button's answer shows as plain text."""
        author = self.person(user)
        place = NotePlace(ref.incident_id, ref.task_id, note_key(question.question_id),
                          question_marker(question.question_id), author.label)
        timing = Timing(self.settings.event_claim_seconds, clock=self.clock)
        ClaimedNote(self.rest, place, timing).write(
            lambda: answer_note_html(question.question_id, question.question, answer, author, at, typed=typed),
            look_first=True)


__all__ = ["AskOutcome", "AskRequest", "QuestionAnswers", "QuestionAsk", "Refusals"]
