"""The ``slack_questions_db`` data table, declared on the data-table engine: one row per question
slack_ask_question asked, updated when it is answered or expires, so a workflow or playbook can act on the
answer (an automatic rule on the table, condition *Status* changed to ``answered``).

**First outcome wins.** An answer and an expiry both claim the question's outcome (key
``question/<id>/outcome``) in the claims log (``mirror_log``) through the engine's *oldest row wins*; only the
winner writes the question's row, with a PUT of the whole row. Of two clicks, two integration servers handling
one click, or an answer racing the expiry, exactly one outcome is written, whether or not SOAR checks a row's
version. A process that lost waits until the row shows the winner's outcome; a winner that died before writing
it (its claim older than ``event_claim_seconds`` while the row is still open) is taken over.

**Sealed.** Every write of a row (``add``, ``record_answer``, ``record_expiry``) carries the seal (soar.seals) of
the whole row as written, over ``SEALED_COLUMNS``, in the same POST or PUT. Every read (``find``) checks it:
``Question.verdict`` says whether the row still holds what fn_slack wrote, and an outcome is written only over an
intact open row. The caller (the flow) acts on nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.columns import check_table_ready
from fn_slack.lib.soar.mirror_log import MirrorLog, Silence, Standing, check_ready
from fn_slack.lib.soar.seals import UNSEALED, Sealer, Verdict
from fn_slack.lib.soar.tables import IncidentTable, Row, TableSpec

TABLE = "slack_questions_db"
COL_ID = "slack_q_id"
COL_QUESTION = "slack_q_question"
COL_OPTIONS = "slack_q_options"
COL_STATUS = "slack_q_status"
COL_ANSWER = "slack_q_answer"
COL_ANSWERED_BY = "slack_q_answered_by"
COL_ANSWERED_AT = "slack_q_answered_at"
COL_ASKED_AT = "slack_q_asked_at"
COL_EXPIRES = "slack_q_expires"
COL_CHANNEL_ID = "slack_q_channel_id"
COL_TS = "slack_q_ts"
COL_ALLOWED = "slack_q_allowed"
COL_ANSWER_KEY = "slack_q_answer_key"
COL_LINK = "slack_q_link"
COL_FREE_TEXT = "slack_q_free_text"
COL_ANYONE = "slack_q_anyone"   # Yes: any member of the question's channel may answer (no one named)
COL_SEAL = "slack_q_seal"       # the seal (soar.seals) over SEALED_COLUMNS, written with every write of the row
OPEN, ANSWERED, EXPIRED = "open", "answered", "expired"
# Every column a question's row is written with: the answer cannot be recorded without any of them.
COLUMNS = (COL_ID, COL_QUESTION, COL_OPTIONS, COL_STATUS, COL_ANSWER, COL_ANSWERED_BY, COL_ANSWERED_AT, COL_ASKED_AT,
           COL_EXPIRES, COL_CHANNEL_ID, COL_TS, COL_ALLOWED, COL_ANSWER_KEY, COL_LINK, COL_FREE_TEXT, COL_ANYONE,
           COL_SEAL)
# The cells fn_slack decides on: who may answer, what was asked where, the outcome. A row whose seal no longer fits
# them was changed outside fn_slack.
SEALED_COLUMNS = (COL_ID, COL_QUESTION, COL_OPTIONS, COL_STATUS, COL_ANSWER, COL_ANSWERED_BY, COL_ANSWERED_AT,
                  COL_ASKED_AT, COL_EXPIRES, COL_CHANNEL_ID, COL_TS, COL_ALLOWED, COL_ANYONE, COL_ANSWER_KEY,
                  COL_FREE_TEXT)
QUESTIONS = TableSpec(TABLE, columns=COLUMNS, key=COL_ID)
PURPOSE = "slack_ask_question"
# How often a process that lost a question's outcome looks whether the winner wrote it.
POLL_SECONDS = 0.25


def seal_scope(incident_id: int, question_id: str) -> str:
    """The scope of a question row's seal: the table, the incident and the question, so a seal copied to another
    row or incident does not fit."""
    return f"{TABLE}/{int(incident_id)}/{question_id}"


def outcome_key(question_id: str) -> str:
    """The claims-log key of a question's outcome (its answer or its expiry)."""
    return f"question/{question_id}/outcome"


def note_key(question_id: str) -> str:
    """The claims-log key of the note that records a question's answer (written once, soar.claimed_notes)."""
    return f"question/{question_id}/note"


@dataclass(frozen=True)
class Question:
    """One row of the table."""

    row_id: int
    question_id: str
    question: str
    options: list[str]
    status: str
    answer: str
    answered_by: str
    answer_key: str
    channel_id: str
    ts: str
    allowed: list[str]  # Slack user IDs who may answer (none: only with ``anyone``, else nobody)
    expires_ms: int
    asked_ms: int
    free_text: bool = False
    anyone: bool = False   # any current member of the question's channel may answer
    verdict: Verdict = field(compare=False, default=Verdict(UNSEALED))   # the row's seal, checked when read
    row: Row = field(compare=False, repr=False, default_factory=lambda: Row(0))


def _question_of(row: Row, verdict: Verdict) -> Question:
    return Question(
        row_id=row.row_id, question_id=row.text(COL_ID), question=str(row.value(COL_QUESTION) or ""),
        options=[o for o in str(row.value(COL_OPTIONS) or "").split("\n") if o],
        status=row.text(COL_STATUS), answer=str(row.value(COL_ANSWER) or ""),
        answered_by=str(row.value(COL_ANSWERED_BY) or ""), answer_key=row.text(COL_ANSWER_KEY),
        channel_id=row.text(COL_CHANNEL_ID), ts=row.text(COL_TS),
        allowed=[u for u in str(row.value(COL_ALLOWED) or "").split() if u],
        expires_ms=int(row.value(COL_EXPIRES) or 0), asked_ms=int(row.value(COL_ASKED_AT) or 0),
        free_text=row.value(COL_FREE_TEXT) is True, anyone=row.value(COL_ANYONE) is True, verdict=verdict, row=row)


class QuestionsTable(IncidentTable):
    """The questions of one incident."""

    def __init__(self, rest_client: object, incident_id: int, *, sealer: Sealer,
                 clock: Callable[[], float] = time.time, lease_seconds: float = 30,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(rest_client, QUESTIONS, incident_id)
        self.sealer = sealer
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.sleep = sleep

    @staticmethod
    def check_ready(rest_client: object) -> None:
        """Refuse (before anything is posted) when the org's table is missing or lacks a column a question's row
        needs, or lacks the claims log an answer is claimed in: the package was upgraded before
        ``resilient-circuits customize``."""
        check_table_ready(rest_client, TABLE, COLUMNS, PURPOSE)
        check_ready(rest_client, PURPOSE)

    def add(self, *, question_id: str, question: str, options: list[str], channel_id: str, ts: str,
            allowed: list[str], expires_ms: int, link: str, free_text: bool = False, anyone: bool = False
            ) -> Question:
        """Add the open question's row, sealed (once: when SOAR's answer is lost, the row is looked for first)."""
        cells = {COL_ID: question_id, COL_QUESTION: question, COL_OPTIONS: "\n".join(options), COL_STATUS: OPEN,
                 COL_FREE_TEXT: bool(free_text), COL_ANYONE: bool(anyone),
                 COL_ASKED_AT: int(self.clock() * 1000), COL_EXPIRES: expires_ms, COL_CHANNEL_ID: channel_id,
                 COL_TS: ts, COL_ALLOWED: " ".join(allowed), COL_LINK: link}
        cells[COL_SEAL] = self._seal(question_id, cells)
        row, _ = super().add(cells, look=lambda: next(iter(self.rows_with(question_id)), None))
        if row is None:
            raise self.missing()
        return self.question(row)

    def find(self, question_id: str) -> Question | None:
        """The question with this id, or None; its ``verdict`` says whether the row holds what fn_slack wrote."""
        rows = self.rows_with(question_id)
        return self.question(rows[0]) if rows else None

    def _seal(self, question_id: str, cells: dict) -> str:
        return self.sealer.seal(seal_scope(self.incident_id, question_id), cells, SEALED_COLUMNS)

    def question(self, row: Row) -> Question:
        """A row of the table as a question, with the verdict of its seal (checked here, on every read)."""
        verdict = self.sealer.check(seal_scope(self.incident_id, row.text(COL_ID)), row.cells, SEALED_COLUMNS,
                                    row.value(COL_SEAL))
        return _question_of(row, verdict)

    def record_answer(self, question: Question, *, answer: str, by: str, key: str, at_ms: int) -> bool:
        """Record the answer when this process wins the question's outcome; False when another outcome (another
        answer, the expiry) was recorded first: read the question again."""
        return self._decide(question, {COL_STATUS: ANSWERED, COL_ANSWER: answer, COL_ANSWERED_BY: by,
                                       COL_ANSWERED_AT: at_ms, COL_ANSWER_KEY: key}, by)

    def record_expiry(self, question: Question) -> bool:
        """Mark the question expired when this process wins its outcome; False when another outcome came first."""
        return self._decide(question, {COL_STATUS: EXPIRED}, "")

    def _decide(self, question: Question, changes: dict, author: str) -> bool:
        """Claim the question's outcome; the winner checks its claim (``writing``), reads the row again and
        writes it whole with ``changes`` while it is still open, then marks the claim ``noted``. A loser waits (up
        to a few leases) until the row is no longer open; a winner that died is taken over, and the taker never
        writes over an outcome the dead winner already wrote."""
        log = MirrorLog(self.rest, self.incident_id, clock=self.clock)
        key, silence = outcome_key(question.question_id), Silence()
        standing: Standing = log.claim(key, author, "")
        give_up = time.monotonic() + max(4 * self.lease_seconds, 60)
        while not standing.won:
            current = self.find(question.question_id)
            if current is None or current.status != OPEN:
                return False
            if standing.first is None:   # no claim is left (a taker removed a dead one): claim again
                standing = log.claim(key, author, "")
            elif silence.over(standing.first, self.lease_seconds):
                standing = log.take_over(standing.first, author, "")
            elif time.monotonic() > give_up:
                raise SoarError(messages.question_outcome_pending(question.question_id))
            else:
                self.sleep(POLL_SECONDS)
                standing = log.standing(key)
        self.calls += log.calls
        began = log.begin_write(standing.first)   # the claim is still this process's just before the write
        if began is None:
            return False   # taken over meanwhile: read the question again
        current = self.find(question.question_id)
        if current is None or current.status != OPEN or not current.verdict.intact:
            # a holder before this one (taken over) wrote an outcome, or the row was changed outside fn_slack
            log.mark_noted(began)
            return False
        whole = {**current.row.cells, **changes}
        written, _ = self.put(current.row, {**changes, COL_SEAL: self._seal(question.question_id, whole)})
        log.mark_noted(began)
        return written is not None


__all__ = ["ANSWERED", "COL_ANYONE", "COL_SEAL", "EXPIRED", "OPEN", "SEALED_COLUMNS", "Question", "QuestionsTable",
           "note_key", "outcome_key", "seal_scope"]
