"""The data-table engine and its concurrency rule, *the oldest row wins*, against the SOAR sandbox in both
positions of its unknown ``row_versions``: a row PUT with a stale version refused (``checked``) or the version
ignored and the row replaced by exactly the cells sent (``ignored``, what IBM's apps assume). fn_slack must be
right either way: two claimants, a dead claim taken over, two answers to one question, an answer racing the
expiry, and every row write keeping the cells it does not change."""

from __future__ import annotations

import threading

import pytest

from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.mirror_log import NOTED, Claim, MirrorLog, Silence
from fn_slack.lib.soar.question_rows import (
    ANSWERED,
    EXPIRED,
    OPEN,
    SEALED_COLUMNS,
    QuestionsTable,
    outcome_key,
    seal_scope,
)
from fn_slack.lib.soar.seals import Sealer

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
KEY = "C1/1700000000.000100"
SEALER = Sealer(b"the seal key of these tests")


def _together(*work):
    """Run each callable in its own thread, started at the same moment; their results in order."""
    start, results, errors = threading.Barrier(len(work)), [None] * len(work), []

    def run(index, job):
        start.wait()
        try:
            results[index] = job()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def _question(soar, rest, title):
    incident = soar.create_incident(title)
    table = QuestionsTable(rest, incident["id"], sealer=SEALER, lease_seconds=2)
    question = table.add(question_id="q-1", question="Block the sender?", options=["Yes", "No"], channel_id="C1",
                         ts="1.000100", allowed=["UALICE", "UBOB"], expires_ms=4102444800000,
                         link="https://soar.example.com/#incidents/1", free_text=False)
    return incident["id"], question


def test_of_several_claimants_exactly_one_wins_and_one_row_is_left(soar, row_versions):
    incident = soar.create_incident(f"Claims {row_versions}")
    logs = [MirrorLog(soar.rest_client(), incident["id"], owner=f"host:{n}") for n in range(4)]
    standings = _together(*(lambda log=log: log.claim(KEY, "Alice", "") for log in logs))
    assert sum(s.won for s in standings) == 1
    [winner] = [s.first for s in standings if s.won]
    assert all(s.first.row_id == winner.row_id for s in standings)
    assert [c.row_id for c in logs[0].claims(KEY)] == [winner.row_id]


def test_a_dead_claim_taken_over_by_two_processes_has_one_new_holder(soar, row_versions):
    incident = soar.create_incident(f"Takeover {row_versions}")
    dead = MirrorLog(soar.rest_client(), incident["id"], owner="host:dead", clock=lambda: 1.0).claim(KEY, "Al", "")
    logs = [MirrorLog(soar.rest_client(), incident["id"], owner=f"host:{n}") for n in (1, 2)]
    standings = _together(*(lambda log=log: log.take_over(dead.first) for log in logs))
    assert sum(s.won for s in standings) == 1
    [holder] = logs[0].claims(KEY)
    assert holder.owner in {"host:1", "host:2"} and holder.row_id != dead.first.row_id


def test_a_claim_counts_as_silent_only_after_standing_unchanged_for_the_lease_on_the_watcher_s_clock():
    """A claim time written by a server whose clock runs 6 s behind looks 6 s old at once; what counts is how long
    the watcher saw the claim unchanged, and a change (the holder began its write) starts the count again."""
    now = [100.0]
    silence = Silence(lambda: now[0])
    skewed = Claim(row_id=7, state="claimed", owner="host:slow-clock", claimed_ms=1, note_id=None)
    assert not silence.over(skewed, 5)
    now[0] += 4.9
    assert not silence.over(skewed, 5)
    writing = Claim(row_id=7, state="writing", owner="host:slow-clock", claimed_ms=2, note_id=None)
    now[0] += 0.2
    assert not silence.over(writing, 5), "a claim that changed is watched from the change"
    now[0] += 5
    assert silence.over(writing, 5)


def test_marking_a_claim_done_keeps_its_key_so_the_event_stays_claimed(soar, rest, row_versions):
    incident = soar.create_incident(f"Mark {row_versions}")
    log = MirrorLog(rest, incident["id"], owner="host:1")
    standing = log.claim(KEY, "Alice", "<a>Slack</a>")
    log.mark_noted(standing.first, 77)
    [claim] = log.claims(KEY)
    assert (claim.state, claim.note_id, claim.owner) == (NOTED, 77, "host:1")
    assert soar.state.rows_of(incident["id"], "slack_messages_db")[0]["slack_msg_author"] == "Alice"


def test_of_two_answers_to_one_question_exactly_one_is_recorded(soar, rest, row_versions):
    incident_id, question = _question(soar, rest, f"Two answers {row_versions}")
    tables = [QuestionsTable(soar.rest_client(), incident_id, sealer=SEALER, lease_seconds=2) for _ in (1, 2)]
    won = _together(*(lambda t=t, who=who: t.record_answer(question, answer=who, by=who, key=f"{who}:1", at_ms=1)
                      for t, who in zip(tables, ("Yes", "No"), strict=True)))
    assert sorted(won) == [False, True]
    recorded = tables[0].find("q-1")
    assert recorded.status == ANSWERED
    assert recorded.answer == ("Yes", "No")[won.index(True)]


def test_an_answer_racing_the_expiry_is_one_outcome(soar, rest, row_versions):
    incident_id, question = _question(soar, rest, f"Answer or expiry {row_versions}")
    answering, expiring = (QuestionsTable(soar.rest_client(), incident_id, sealer=SEALER, lease_seconds=2)
                           for _ in (1, 2))
    won = _together(lambda: answering.record_answer(question, answer="Yes", by="Alice", key="UALICE:1", at_ms=1),
                    lambda: expiring.record_expiry(question))
    assert sorted(won) == [False, True]
    assert answering.find("q-1").status == (ANSWERED, EXPIRED)[won.index(True)]


def test_recording_the_answer_keeps_every_other_cell_of_the_question(soar, rest, row_versions):
    incident_id, question = _question(soar, rest, f"Whole row {row_versions}")
    table = QuestionsTable(rest, incident_id, sealer=SEALER, lease_seconds=2)
    assert table.record_answer(question, answer="Yes", by="Alice", key="UALICE:1", at_ms=5)
    [row] = soar.state.rows_of(incident_id, "slack_questions_db")
    assert row["slack_q_status"] == ANSWERED and row["slack_q_answer"] == "Yes"
    assert (row["slack_q_id"], row["slack_q_question"], row["slack_q_options"], row["slack_q_allowed"],
            row["slack_q_link"], row["slack_q_ts"]) == ("q-1", "Block the sender?", "Yes\nNo", "UALICE UBOB",
                                                         "https://soar.example.com/#incidents/1", "1.000100")


def test_every_write_of_a_question_row_is_sealed_and_a_row_edited_in_soar_is_told_apart(soar, rest, row_versions):
    """fn_slack's own writes (the question, its answer) read back intact; a cell edited in SOAR (someone adds
    themselves to who may answer) reads back changed, naming the cell, and no outcome is written over it."""
    incident_id, question = _question(soar, rest, f"Sealed {row_versions}")
    table = QuestionsTable(rest, incident_id, sealer=SEALER, lease_seconds=2)
    assert question.verdict.intact and table.find("q-1").verdict.intact
    assert table.record_answer(question, answer="Yes", by="Alice", key="UALICE:1", at_ms=5)
    answered = table.find("q-1")
    assert answered.verdict.intact and answered.status == ANSWERED

    incident_id, question = _question(soar, rest, f"Edited {row_versions}")
    table = QuestionsTable(rest, incident_id, sealer=SEALER, lease_seconds=2)
    [raw] = soar.state.table_rows(incident_id, "slack_questions_db")["rows"]
    soar.state.update_row(incident_id, "slack_questions_db", raw["id"],
                          {**raw["cells"], "slack_q_allowed": {"value": "UALICE UBOB UCAROL"}})
    edited = table.find("q-1")
    assert edited.verdict.state == "changed"
    assert [(c.column, c.sealed, c.now) for c in edited.verdict.changes] == [
        ("slack_q_allowed", "UALICE UBOB", "UALICE UBOB UCAROL")]
    assert table.record_answer(edited, answer="Yes", by="Carol", key="UCAROL:1", at_ms=5) is False
    assert soar.state.rows_of(incident_id, "slack_questions_db")[0]["slack_q_status"] == OPEN
    assert QuestionsTable(rest, incident_id, sealer=Sealer(b"another key")).find("q-1").verdict.state == "broken"


def test_an_outcome_claimed_by_a_process_that_died_is_taken_over(soar, rest, row_versions):
    incident_id, question = _question(soar, rest, f"Dead answerer {row_versions}")
    MirrorLog(rest, incident_id, owner="host:dead", clock=lambda: 1.0).claim(outcome_key("q-1"), "Bob", "")
    table = QuestionsTable(rest, incident_id, sealer=SEALER, lease_seconds=2)
    assert table.find("q-1").status == OPEN
    assert table.record_answer(question, answer="Yes", by="Alice", key="UALICE:1", at_ms=5)
    assert table.find("q-1").answer == "Yes"


def test_a_winner_that_wrote_the_answer_and_died_before_marking_is_not_overwritten_by_the_taker(soar, rest,
                                                                                                  row_versions):
    """Bob's click won the outcome and its answer reached the row, then its server died before marking the claim;
    the expiry, handled elsewhere with the question read as open, takes the silent claim over and must not
    write over Bob's answer."""
    incident_id, question = _question(soar, rest, f"Dead after the answer {row_versions}")
    dead = MirrorLog(rest, incident_id, owner="host:dead").claim(outcome_key("q-1"), "Bob", "")
    assert dead.won
    answer = {"slack_q_status": ANSWERED, "slack_q_answer": "No", "slack_q_answered_by": "Bob"}
    sealed = SEALER.seal(seal_scope(incident_id, "q-1"), {**question.row.cells, **answer}, SEALED_COLUMNS)
    QuestionsTable(rest, incident_id, sealer=SEALER).put(question.row, {**answer, "slack_q_seal": sealed})
    expiring = QuestionsTable(soar.rest_client(), incident_id, sealer=SEALER, lease_seconds=2)
    assert expiring.record_expiry(question) is False
    recorded = expiring.find("q-1")
    assert (recorded.status, recorded.answer) == (ANSWERED, "No")


def test_an_outcome_claim_is_marked_noted_once_its_outcome_is_written(soar, rest, row_versions):
    incident_id, question = _question(soar, rest, f"Outcome marked {row_versions}")
    assert QuestionsTable(rest, incident_id, sealer=SEALER, lease_seconds=2).record_answer(
        question, answer="Yes", by="Alice", key="UALICE:1", at_ms=5)
    [claim] = MirrorLog(rest, incident_id).claims(outcome_key("q-1"))
    assert claim.state == NOTED


def test_updating_a_link_keeps_every_cell_it_does_not_change(soar, rest, row_versions):
    incident = soar.create_incident(f"Link update {row_versions}")
    table = ConversationsTable(rest, incident["id"], SEALER)
    link = table.add_link(None, "inc-1", "C1", "Private", "https://slack/p1")
    table.update_link(link, thread_ts="1.000100", mirror=True)
    [row] = soar.state.rows_of(incident["id"])
    assert (row["slack_db_res_id"], row["slack_db_channel"], row["slack_db_channel_id"], row["slack_db_channel_type"],
            row["slack_db_thread_ts"], row["slack_db_mirror"]) == (f"RES-{incident['id']}", "inc-1", "C1", "Private",
                                                                   "1.000100", True)
    assert "https://slack/p1" in row["slack_db_permalink"]
