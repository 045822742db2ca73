"""FLOW slack_question_answer: a question's outcome, read from its row only when the row holds what fn_slack wrote.

A SOAR rule or playbook cannot check a signature, and anyone who can edit the incident can set a row of
``slack_questions_db`` to ``answered`` with any answer. So a playbook that acts on an answer (blocks a domain,
disables an account) first calls this function with the question's id: it reads the question's row, checks the
row's seal (``soar.seals``, the secret from ``[fn_slack]``) over every cell fn_slack decides on, and returns the
outcome only when the seal is intact. A row without a seal, with a seal that does not fit it (edited, copied from
another row, made with another key), or with cells changed since fn_slack sealed them makes the function fail,
naming the question and each changed cell (value sealed → value now), so the playbook stops there. A question
still open or expired is returned verified with its status: the playbook decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fn_slack.lib import inputs, messages
from fn_slack.lib.errors import InputError, UnverifiedRowError
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.question_rows import (
    COL_ANSWER,
    COL_ANSWER_KEY,
    COL_ANSWERED_AT,
    COL_ANSWERED_BY,
    COL_STATUS,
    QuestionsTable,
)
from fn_slack.lib.soar.seals import BROKEN, UNSEALED, Sealer

# What slack_ask_question returns as question_id (and writes as slack_q_id): 16 hexadecimal digits.
_QUESTION_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class AnswerRequest:
    """slack_question_answer's inputs."""

    incident_id: int
    question_id: str

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> AnswerRequest:
        """Read and check the inputs (an InputError names the first bad one) before anything is asked of SOAR."""
        incident_id = inputs.record_id("incident_id", getattr(fn_inputs, "incident_id", None), required=True)
        return cls(incident_id=incident_id, question_id=_question_id(getattr(fn_inputs, "slack_question_id", None)))


def _question_id(value: object) -> str:
    """slack_question_id: required, the id slack_ask_question returned."""
    text = (inputs.text_input(value) or "").strip()
    if not text:
        raise InputError(messages.question_id_missing())
    if not _QUESTION_ID.match(text):
        raise InputError(messages.question_id_malformed(text))
    return text


@dataclass(frozen=True)
class VerifiedAnswer:
    """The function's result: the question's outcome as fn_slack sealed it."""

    question_id: str
    status: str
    answer: str
    answered_by: str
    answered_by_id: str
    answered_at: int | None   # epoch ms; None while nobody answered
    user_info = None          # no IBM user_info for this function

    def result(self) -> dict:
        """The ``content`` of the FunctionResult; ``verified`` is always true (an unverified row fails)."""
        return {"question_id": self.question_id, "status": self.status, "answer": self.answer,
                "answered_by": self.answered_by, "answered_by_id": self.answered_by_id,
                "answered_at": self.answered_at, "verified": True}


class QuestionAnswerRead:
    """Reads one question's row and returns its outcome only when its seal is intact."""

    def __init__(self, settings: SlackSettings, rest_client: object) -> None:
        self.sealer = Sealer(settings.seal_secret)
        self.rest = rest_client

    def run(self, request: AnswerRequest) -> Iterator[str | VerifiedAnswer]:
        """Read the row (one GET of the incident's table), check its seal, yield a status message, then the
        outcome; an UnverifiedRowError when the row is not what fn_slack wrote."""
        qid, incident_id = request.question_id, request.incident_id
        table = QuestionsTable(self.rest, incident_id, sealer=self.sealer)
        rows = table.rows_with(qid)
        if not rows:
            raise InputError(messages.question_row_missing(qid, incident_id))
        if len(rows) > 1:
            raise UnverifiedRowError(messages.question_rows_several(qid, incident_id, len(rows)))
        [row] = rows
        verdict = table.question(row).verdict
        if verdict.state == UNSEALED:
            raise UnverifiedRowError(messages.question_row_unsealed(qid, incident_id))
        if verdict.state == BROKEN:
            raise UnverifiedRowError(messages.question_row_seal_broken(qid, incident_id))
        if not verdict.intact:
            raise UnverifiedRowError(messages.question_row_changed(
                qid, incident_id, [(change.column, change.sealed, change.now) for change in verdict.changes]))
        status = row.text(COL_STATUS)
        yield messages.question_row_verified(qid, status)
        answered_at = row.value(COL_ANSWERED_AT)
        yield VerifiedAnswer(
            question_id=qid, status=status, answer=str(row.value(COL_ANSWER) or ""),
            answered_by=str(row.value(COL_ANSWERED_BY) or ""),
            answered_by_id=row.text(COL_ANSWER_KEY).split(":", 1)[0],
            answered_at=int(answered_at) if answered_at not in (None, "") else None)


__all__ = ["AnswerRequest", "QuestionAnswerRead", "VerifiedAnswer"]
