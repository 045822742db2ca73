"""The example automatic playbook acts only on answers fn_slack wrote: SOAR starts "Example: Act on a verified
Slack answer" whenever a question's row changes to answered, and its first step, slack_question_answer run by a
real `resilient-circuits run`, fails on a row forged in SOAR, so the playbook stops before its note; an answer
fn_slack recorded (its row sealed with the key of the app.config) is noted with what fn_slack recorded."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.question_rows import COL_SEAL, SEALED_COLUMNS, QuestionsTable, seal_scope
from fn_slack.lib.soar.seals import Sealer

from .conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

PLAYBOOK = "Example: Act on a verified Slack answer"
QUESTIONS = "slack_questions_db"
QID, OTHER_QID = "4f1c2a9be07d4c1a", "0123456789abcdef"
# The key fn_slack seals rows with under the stack's app.config (write_app_config's api_token, no seal_key).
SEALER = Sealer(SlackSettings.from_app_configs({"api_token": "xoxb-sandbox-token"}).seal_secret)
ANSWER = {"slack_q_status": "answered", "slack_q_answer": "Yes", "slack_q_answered_by": "Alice Example",
          "slack_q_answered_at": 1700000100000, "slack_q_answer_key": "U0ALICE:1700000100.000200"}


def open_question(question_id: str) -> dict:
    """A question's cells as fn_slack writes them when it asks."""
    return {"slack_q_id": question_id, "slack_q_question": "Block evil.example for everyone?",
            "slack_q_options": "Yes\nNo", "slack_q_status": "open", "slack_q_asked_at": 1700000000000,
            "slack_q_expires": 4102444800000, "slack_q_channel_id": "C0AAA", "slack_q_ts": "1700000000.000100",
            "slack_q_allowed": "U0ALICE", "slack_q_anyone": False, "slack_q_free_text": False}


def sealed(incident_id: int, cells: dict) -> dict:
    return {**cells, COL_SEAL: SEALER.seal(seal_scope(incident_id, cells["slack_q_id"]), cells, SEALED_COLUMNS)}


def add_question(stack: Stack, incident_id: int, cells: dict) -> int:
    """The question's row as fn_slack adds it (through SOAR's REST API; an open row starts no playbook)."""
    row = stack.soar.state.add_row(incident_id, QUESTIONS, {c: {"value": v} for c, v in cells.items()})
    return row["id"]


def verified_notes(stack: Stack, incident_id: int) -> list[str]:
    return [n["text"] for n in stack.soar.state.notes_of(incident_id) if "Verified Slack answer" in n["text"]]


@pytest.fixture
def stack(running_stack: Stack, request) -> Iterator[Stack]:
    """The running stack with SOAR starting automatic playbooks on row changes; ``api_writes`` (the sandbox's
    switch, default on) says whether REST writes start them too or only an analyst's edits."""
    running_stack.driver.watch_rows(api_writes=getattr(request, "param", True))
    running_stack.driver.automatic_runs.clear()
    yield running_stack
    running_stack.driver.stop_watching_rows()


def only_run(stack: Stack):
    runs = stack.driver.wait_for_automatic_runs(timeout=90)
    assert len(runs) == 1, "\n".join(r.report() for r in runs) or "no automatic playbook ran"
    return runs[0]


@pytest.mark.parametrize("stack", [True, False], ids=["api-writes-start-playbooks", "only-edits-in-soar"],
                         indirect=True)
@pytest.mark.parametrize("forged_seal", ["none", "another-rows"])
def test_a_row_set_to_answered_in_soar_runs_the_playbook_which_stops_at_the_function(stack, forged_seal):
    incident = stack.soar.create_incident("Phishing: verified answers")
    row_id = add_question(stack, incident["id"], sealed(incident["id"], open_question(QID)))
    # Another question of the incident, answered "No" by Bob through fn_slack: its seal is genuine, for its own row.
    add_question(stack, incident["id"], sealed(incident["id"], {
        **open_question(OTHER_QID), **ANSWER, "slack_q_answer": "No", "slack_q_answered_by": "Bob Example",
        "slack_q_answer_key": "U0BOB:1700000200.000300"}))
    stack.driver.wait_for_automatic_runs()
    stack.driver.automatic_runs.clear()
    seal = "" if forged_seal == "none" else \
        stack.soar.state.rows_of(incident["id"], QUESTIONS)[1][COL_SEAL]

    # An analyst edits the open question's row in SOAR: answered "Yes", by Alice, as fn_slack would write it.
    stack.driver.edit_row(incident["id"], QUESTIONS, row_id, {**ANSWER, COL_SEAL: seal})

    run = only_run(stack)
    assert run.shown and run.inputs == {"incident_id": incident["id"], "slack_question_id": QID}, run.report()
    assert not run.completed
    assert f"Question {QID} of incident {incident['id']} is not verified" in run.error, run.report()
    assert ("carries no seal of fn_slack" if forged_seal == "none" else "does not fit the row") in run.error
    assert not any(step.name.startswith("script") for step in run.steps), run.report()
    assert not [note for note in verified_notes(stack, incident["id"]) if "Yes" in note]


def test_an_open_row_edited_in_soar_keeping_its_seal_is_refused_naming_the_edit(stack):
    incident = stack.soar.create_incident("Phishing: an edited row")
    row_id = add_question(stack, incident["id"], sealed(incident["id"], open_question(QID)))

    stack.driver.edit_row(incident["id"], QUESTIONS, row_id, ANSWER)   # the seal of the open row stays

    run = only_run(stack)
    assert "was changed outside fn_slack" in run.error and "slack_q_status 'open' → 'answered'" in run.error
    assert verified_notes(stack, incident["id"]) == []


def test_an_answer_fn_slack_recorded_is_noted_with_what_fn_slack_recorded(stack):
    incident = stack.soar.create_incident("Phishing: a real answer")
    add_question(stack, incident["id"], sealed(incident["id"], open_question(QID)))

    # fn_slack records the answer: its SOAR edge claims the outcome and writes the whole row, sealed, through
    # SOAR's REST API.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = QuestionsTable(stack.soar.rest_client(), incident["id"], sealer=SEALER)
        question = table.find(QID)
        assert question is not None and question.verdict.intact
        assert table.record_answer(question, answer=ANSWER["slack_q_answer"], by=ANSWER["slack_q_answered_by"],
                                   key=ANSWER["slack_q_answer_key"], at_ms=ANSWER["slack_q_answered_at"])

    run = only_run(stack)
    assert run.completed, run.report()
    assert run.content == {"question_id": QID, "status": "answered", "answer": "Yes", "answered_by": "Alice Example",
                           "answered_by_id": "U0ALICE", "answered_at": 1700000100000, "verified": True}
    assert verified_notes(stack, incident["id"]) == ["Verified Slack answer: Yes by Alice Example (U0ALICE)"]
