"""slack_question_answer through resilient-circuits against the SOAR sandbox: a question's outcome comes back only
from a row that holds what fn_slack sealed; a row added, edited or copied in SOAR fails the function, naming what
changed, and nothing is asked of Slack."""

from __future__ import annotations

import pytest

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.question_rows import COL_SEAL, SEALED_COLUMNS, seal_scope
from fn_slack.lib.soar.seals import Sealer
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config
from tests.functions.soar_org import QUESTIONS

config_data = make_config()
FN = "slack_question_answer"
QID = "4f1c2a9be07d4c1a"
OTHER_QID = "0123456789abcdef"
# The key of the harness's app.config ([fn_slack] api_token, no seal_key): what fn_slack seals rows with there.
SEALER = Sealer(SlackSettings.from_app_configs({"api_token": TOKEN}).seal_secret)


def question_cells(question_id: str = QID, **changes: object) -> dict:
    """A question's cells as fn_slack writes them once Alice answered "Yes"."""
    cells = {"slack_q_id": question_id, "slack_q_question": "Block evil.example?", "slack_q_options": "Yes\nNo",
             "slack_q_status": "answered", "slack_q_answer": "Yes", "slack_q_answered_by": "Alice Example",
             "slack_q_answered_at": 1700000100000, "slack_q_asked_at": 1700000000000,
             "slack_q_expires": 1700086400000, "slack_q_channel_id": "C0AAA", "slack_q_ts": "1700000000.000100",
             "slack_q_allowed": "U0ALICE", "slack_q_anyone": False, "slack_q_answer_key": "U0ALICE:1700000100.000200",
             "slack_q_free_text": False, "slack_q_link": '<a href="https://x.slack.com/archives/C0AAA">Question</a>'}
    cells.update(changes)
    return cells


def sealed(cells: dict, incident_id: int = INCIDENT, sealer: Sealer = SEALER) -> dict:
    """The cells with the seal fn_slack writes with them."""
    return {**cells, COL_SEAL: sealer.seal(seal_scope(incident_id, cells["slack_q_id"]), cells, SEALED_COLUMNS)}


def add_row(soar, cells: dict) -> dict:
    return soar.state.add_row(INCIDENT, QUESTIONS, {column: {"value": value} for column, value in cells.items()})


def ask_for(circuits_app, question_id: object = QID, incident_id: object = INCIDENT):
    return run_function(circuits_app, FN, {"incident_id": incident_id, "slack_question_id": question_id})


def test_a_row_fn_slack_sealed_returns_the_answer_verified(circuits_app, slack, soar):
    add_row(soar, sealed(question_cells()))

    outcome = ask_for(circuits_app)

    assert outcome.content == {"question_id": QID, "status": "answered", "answer": "Yes",
                               "answered_by": "Alice Example", "answered_by_id": "U0ALICE",
                               "answered_at": 1700000100000, "verified": True}
    assert outcome.statuses == [f"Question {QID}: its row holds what fn_slack wrote (seal intact); status answered."]
    assert [c.method for c in soar.calls] == ["GET"] and slack.calls == []


def test_an_open_question_is_returned_verified_with_its_status(circuits_app, slack, soar):
    add_row(soar, sealed(question_cells(slack_q_status="open", slack_q_answer="", slack_q_answered_by="",
                                        slack_q_answered_at=None, slack_q_answer_key="")))

    outcome = ask_for(circuits_app)

    assert outcome.content == {"question_id": QID, "status": "open", "answer": "", "answered_by": "",
                               "answered_by_id": "", "answered_at": None, "verified": True}


def test_a_row_forged_in_soar_without_a_seal_fails_the_function(circuits_app, slack, soar):
    add_row(soar, question_cells())   # "answered", "Yes", by Alice: every cell right, but not written by fn_slack

    outcome = ask_for(circuits_app)

    assert outcome.result is None
    assert f"Question {QID} of incident {INCIDENT} is not verified" in outcome.error
    assert "carries no seal of fn_slack" in outcome.error


def test_an_open_row_edited_to_answered_in_soar_fails_naming_each_changed_cell(circuits_app, slack, soar):
    asked = sealed(question_cells(slack_q_status="open", slack_q_answer="", slack_q_answered_by="",
                                  slack_q_answered_at=None, slack_q_answer_key=""))
    add_row(soar, {**asked, "slack_q_status": "answered", "slack_q_answer": "Yes",
                   "slack_q_answered_by": "Alice Example"})   # the seal stays: the edit is of the cells

    outcome = ask_for(circuits_app)

    assert outcome.result is None
    assert "was changed outside fn_slack" in outcome.error
    assert "slack_q_answer '' → 'Yes'" in outcome.error
    assert "slack_q_answered_by '' → 'Alice Example'" in outcome.error
    assert "slack_q_status 'open' → 'answered'" in outcome.error


def test_an_answer_changed_after_it_was_recorded_fails_showing_both_values(circuits_app, slack, soar):
    add_row(soar, {**sealed(question_cells(slack_q_answer="No")), "slack_q_answer": "Yes <b>now</b>"})

    outcome = ask_for(circuits_app)

    assert "slack_q_answer 'No' → 'Yes <b>now</b>'" in outcome.error


def test_who_may_answer_changed_in_soar_fails(circuits_app, slack, soar):
    add_row(soar, {**sealed(question_cells()), "slack_q_allowed": "U0ALICE U0MALLORY"})

    outcome = ask_for(circuits_app)

    assert "slack_q_allowed 'U0ALICE' → 'U0ALICE U0MALLORY'" in outcome.error


@pytest.mark.parametrize("seal", [
    pytest.param(lambda: sealed(question_cells(OTHER_QID))[COL_SEAL], id="seal-of-another-question"),
    pytest.param(lambda: sealed(question_cells(), incident_id=INCIDENT + 1)[COL_SEAL], id="seal-of-another-incident"),
    pytest.param(lambda: sealed(question_cells(), sealer=Sealer(b"another key"))[COL_SEAL], id="another-key"),
    pytest.param(lambda: "v1.forged.seal", id="made-up"),
])
def test_a_row_whose_seal_does_not_fit_fails_the_function(circuits_app, slack, soar, seal):
    add_row(soar, {**question_cells(), COL_SEAL: seal()})

    outcome = ask_for(circuits_app)

    assert outcome.result is None
    assert f"Question {QID} of incident {INCIDENT} is not verified: the seal of its row" in outcome.error
    assert "does not fit the row" in outcome.error


def test_a_second_row_with_the_questions_id_fails_the_function(circuits_app, slack, soar):
    row = sealed(question_cells())
    add_row(soar, row)
    add_row(soar, row)   # a copy of the genuine row, seal and all

    outcome = ask_for(circuits_app)

    assert "slack_questions_db holds 2 rows with this id" in outcome.error


def test_the_other_incidents_row_is_not_read(circuits_app, slack, soar):
    soar.state.create_incident("Another one", id=INCIDENT + 1)
    soar.state.add_row(INCIDENT + 1, QUESTIONS, {c: {"value": v} for c, v in sealed(question_cells(),
                                                                                       INCIDENT + 1).items()})

    outcome = ask_for(circuits_app)

    assert f"Question {QID} is not in the Slack Questions table (slack_questions_db) of incident {INCIDENT}" \
        in outcome.error


@pytest.mark.parametrize(("question_id", "message"), [
    ("", "slack_question_id is required"),
    ("4F1C-2A9B", "slack_question_id '4F1C-2A9B' is not a question id of fn_slack"),
    ("4f1c2a9be07d4c1a<script>", "is not a question id of fn_slack"),
])
def test_a_bad_question_id_is_refused_before_soar_is_asked(circuits_app, slack, soar, question_id, message):
    outcome = ask_for(circuits_app, question_id)

    assert outcome.error is not None and message in outcome.error
    assert soar.calls == [] and slack.calls == []
