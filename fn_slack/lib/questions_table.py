"""The ``slack_questions_db`` data table (SOAR REST): one row per question slack_ask_question asked, updated
when it is answered or expires, so a workflow or playbook can act on the answer (an automatic rule on the
table, condition *Status* changed to ``answered``).

The answer is recorded with a row update that carries the row's ``version``: of two clicks (or two
integration servers handling one click), SOAR accepts exactly one update and answers 409 to the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar_rest import (
    IncidentTableRows,
    call_soar,
    cell_value,
    http_status,
    post_once,
    short,
    table_columns,
)

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
OPEN, ANSWERED, EXPIRED = "open", "answered", "expired"
# Every column a question's row is written with: the answer cannot be recorded without any of them.
COLUMNS = (COL_ID, COL_QUESTION, COL_OPTIONS, COL_STATUS, COL_ANSWER, COL_ANSWERED_BY, COL_ANSWERED_AT, COL_ASKED_AT,
           COL_EXPIRES, COL_CHANNEL_ID, COL_TS, COL_ALLOWED, COL_ANSWER_KEY, COL_LINK, COL_FREE_TEXT)
PURPOSE = "slack_ask_question"


@dataclass(frozen=True)
class Question:
    """One row of the table."""

    row_id: int
    version: int
    question_id: str
    question: str
    options: list[str]
    status: str
    answer: str
    answered_by: str
    answer_key: str
    channel_id: str
    ts: str
    allowed: list[str]  # Slack user IDs who may answer; empty: anyone in the conversation
    expires_ms: int
    asked_ms: int
    free_text: bool = False


def _question_of(row: dict) -> Question:
    return Question(
        row_id=int(row["id"]), version=int(row.get("version") or 0), question_id=str(cell_value(row, COL_ID) or ""),
        question=str(cell_value(row, COL_QUESTION) or ""),
        options=[o for o in str(cell_value(row, COL_OPTIONS) or "").split("\n") if o],
        status=str(cell_value(row, COL_STATUS) or ""), answer=str(cell_value(row, COL_ANSWER) or ""),
        answered_by=str(cell_value(row, COL_ANSWERED_BY) or ""), answer_key=str(cell_value(row, COL_ANSWER_KEY) or ""),
        channel_id=str(cell_value(row, COL_CHANNEL_ID) or ""), ts=str(cell_value(row, COL_TS) or ""),
        allowed=[u for u in str(cell_value(row, COL_ALLOWED) or "").split() if u],
        expires_ms=int(cell_value(row, COL_EXPIRES) or 0), asked_ms=int(cell_value(row, COL_ASKED_AT) or 0),
        free_text=cell_value(row, COL_FREE_TEXT) is True)


class QuestionsTable(IncidentTableRows):
    """The questions of one incident."""

    table = TABLE

    def _call(self, action: Callable[[], dict], what: str) -> dict:
        self.calls += 1
        return call_soar(action, missing=self._missing,
                         refused=lambda status, text: SoarError(
                             messages.soar_table_refused(what, TABLE, self.incident_id, text)))

    @staticmethod
    def check_ready(rest_client: object) -> None:
        """Refuse (before anything is posted) when the org's table is missing or lacks a column a question's row
        needs: the package was upgraded before ``resilient-circuits customize``."""
        columns = table_columns(rest_client, TABLE, wanted=COLUMNS)
        if not columns.exists:
            raise SoarError(messages.soar_table_needs_customize(TABLE, PURPOSE))
        missing = columns.missing(COLUMNS)
        if missing:
            raise SoarError(messages.soar_table_columns_need_customize(TABLE, missing, PURPOSE))

    def add(self, *, question_id: str, question: str, options: list[str], channel_id: str, ts: str,
            allowed: list[str], expires_ms: int, link: str, free_text: bool = False) -> Question:
        """Add the open question's row."""
        cells = {COL_ID: question_id, COL_QUESTION: question, COL_OPTIONS: "\n".join(options), COL_STATUS: OPEN,
                 COL_FREE_TEXT: bool(free_text),
                 COL_ASKED_AT: int(self.clock() * 1000), COL_EXPIRES: expires_ms, COL_CHANNEL_ID: channel_id,
                 COL_TS: ts, COL_ALLOWED: " ".join(allowed), COL_LINK: link}
        payload = {"cells": {k: {"value": v} for k, v in cells.items()}}

        def send(skip_retry: list[int]) -> Question:
            self.calls += 1
            return _question_of(self.rest.post(self._uri("/row_data"), payload, skip_retry=skip_retry))

        # Written once: when SOAR's answer is lost, the question's row is looked for before adding it again.
        return post_once(send, lambda: self.find(question_id),
                         missing=self._missing,
                         refused=lambda status, text: SoarError(
                             messages.soar_table_refused("update", TABLE, self.incident_id, text)))

    def find(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        rows = self._call(lambda: self.rest.get(self._uri(), skip_retry=[404]), "read").get("rows") or []
        for row in rows:
            if str(cell_value(row, COL_ID) or "") == question_id:
                return _question_of(row)
        return None

    def _update(self, question: Question, cells: dict) -> bool:
        """A row update that only the holder of the current version wins; False on SOAR's 409."""
        self.calls += 1
        payload = {"cells": {k: {"value": v} for k, v in cells.items()}, "version": question.version}
        try:
            self.rest.put(self._uri(f"/row_data/{question.row_id}"), payload, skip_retry=[404, 409])
            return True
        except (BasicHTTPException, SimpleHTTPException) as err:
            if http_status(err) == 409:
                return False
            raise SoarError(messages.soar_table_refused("update", TABLE, self.incident_id, short(err))) from None

    def record_answer(self, question: Question, *, answer: str, by: str, key: str, at_ms: int) -> bool:
        """Record the answer at the row's version; False when the row changed first (another answer, expiry)."""
        return self._update(question, {COL_STATUS: ANSWERED, COL_ANSWER: answer, COL_ANSWERED_BY: by,
                                       COL_ANSWERED_AT: at_ms, COL_ANSWER_KEY: key})

    def record_expiry(self, question: Question) -> bool:
        """Mark the question expired at the row's version; False when the row changed first."""
        return self._update(question, {COL_STATUS: EXPIRED})


__all__ = ["ANSWERED", "EXPIRED", "OPEN", "Question", "QuestionsTable"]
