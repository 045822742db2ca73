"""Clicks on a question's buttons, through the Socket Mode listener of a resilient-circuits app, against the Slack
sandbox (which, as Slack, sends a click once and shows the person a timeout when it is not acknowledged within
3 seconds) and the SOAR sandbox with its faults: the click is acknowledged at once, its answer recorded once, and
a failure retried by fn_slack or, at the end, told to the person who clicked."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from fn_slack.lib import retry
from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import QUESTIONS
from tests.polling import wait_until

config_data = make_config(app_token=APP_TOKEN, event_claim_seconds=2)
QUESTION_ROW = rf"/incidents/{INCIDENT}/table_data/{QUESTIONS}/row_data/[0-9]+$"
NOTES = rf"/incidents/{INCIDENT}/comments$"
CLAIMS = "slack_messages_db"



@pytest.fixture
def question(circuits_app, slack, soar) -> dict:
    """A question with the buttons Yes and No in the public channel #ask-room, anyone may answer."""
    assert slack.socket_mode.wait_for_connections(1, timeout=30), "the app's listener did not connect"
    outcome = run_function(circuits_app, "slack_ask_question", {
        "incident_id": INCIDENT, "slack_question": "Isolate host-17 now?", "slack_question_options": "Yes|No",
        "slack_channel": "ask-room", "slack_is_channel_private": False})
    return outcome.content


def click(slack, person: str, question: dict, answer: str) -> str:
    [message] = [m for m in slack.messages(question["channel_id"]) if m["ts"] == question["ts"]]
    [action] = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["value"] == answer]
    clicked = slack.interactions.click(slack.user_token(person), question["channel_id"], question["ts"], action)
    assert clicked["ok"], clicked
    return clicked["envelope_id"]


def answer_notes(soar) -> list[str]:
    texts = [n["text"]["content"] if isinstance(n["text"], dict) else n["text"] for n in soar.notes_of(INCIDENT)]
    return [t for t in texts if "answered the question" in t]


def shown(slack, question: dict) -> dict:
    return next(m for m in slack.messages(question["channel_id"]) if m["ts"] == question["ts"])


def has_buttons(message: dict) -> bool:
    return any(b["type"] == "actions" for b in message.get("blocks") or [])


def told(slack, person: str) -> list[str]:
    return [r["body"]["text"] for r in slack.interactions.responses_for(slack.user(person)["id"])
            if r["body"].get("response_type") == "ephemeral"]


def test_a_click_while_soar_is_slow_is_acknowledged_at_once_and_answered_once(slack, soar, question):
    slow = soar.on_arrival("PUT", QUESTION_ROW, lambda: time.sleep(5))   # SOAR takes 5 s to store the answer
    envelope = click(slack, "alice", question, "Yes")

    assert slack.socket_mode.wait_acked(envelope, timeout=3), "the click was not acknowledged within 3 s"
    assert slack.socket_mode.acked[envelope] - slack.socket_mode.published[envelope] < 1.0
    assert wait_until(lambda: not has_buttons(shown(slack, question)))
    assert slow.done.is_set()
    assert envelope not in slack.socket_mode.timeouts, "the person saw Slack's timeout"
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "Yes", "Alice Adams")
    [note] = answer_notes(soar)
    # the note names the person Slack's users.info names: real name, e-mail and ID, never the display name alone
    alice = slack.user("alice")["id"]
    assert f"<b>Alice Adams &lt;alice@example.com&gt; ({alice})</b> answered the question" in note, note
    assert shown(slack, question)["text"] == "Isolate host-17 now? — answered: Yes"


@pytest.mark.parametrize(("method", "path", "times"), [
    ("POST", NOTES, 2),          # the answer is recorded, its note fails twice
    ("PUT", QUESTION_ROW, 1),    # the outcome is claimed, the row's write fails: the claim is this click's own
])
def test_a_click_whose_soar_writes_fail_at_first_is_retried_by_fn_slack_and_noted_once(slack, soar, question,
                                                                                        method, path, times):
    failing = soar.fail_requests(method, path, status=500, times=times)
    envelope = click(slack, "alice", question, "No")

    assert slack.socket_mode.wait_acked(envelope, timeout=3)
    assert wait_until(lambda: not has_buttons(shown(slack, question)), timeout=60), "the answer was never recorded"
    assert len(failing.failed) == times
    assert len(answer_notes(soar)) == 1 and "<blockquote>No</blockquote>" in answer_notes(soar)[0]
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "No", "Alice Adams")
    assert shown(slack, question)["text"] == "Isolate host-17 now? — answered: No"
    assert told(slack, "alice") == [] and envelope not in slack.socket_mode.timeouts
    time.sleep(1)
    assert len(answer_notes(soar)) == 1


def test_a_click_soar_never_takes_is_told_to_the_clicker_and_nothing_is_half_written(slack, soar, question,
                                                                                      monkeypatch, caplog):
    monkeypatch.setattr(retry, "CLICK_RETRY_PAUSES", (0.5, 1.0))
    down = [soar.fail_requests(method, rf"/incidents/{INCIDENT}/", status=503, times=10_000)
            for method in ("GET", "POST", "PUT", "DELETE")]
    with caplog.at_level(logging.ERROR, logger="fn_slack"):
        envelope = click(slack, "alice", question, "Yes")
        assert slack.socket_mode.wait_acked(envelope, timeout=3)
        assert wait_until(lambda: told(slack, "alice")), "the clicker was never told"
    for fault in down:
        fault.remaining = 0

    [text] = told(slack, "alice")
    assert text.startswith('Your answer "Yes" could not be recorded in SOAR')
    assert "Click your answer again in a few minutes" in text
    assert any("could not be recorded after 3 attempts" in r.getMessage() for r in caplog.records), caplog.text
    assert sum(len(f.failed) for f in down) >= 3
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert row["slack_q_status"] == "open" and not row.get("slack_q_answer")
    assert soar.rows_of(INCIDENT, CLAIMS) == [] and answer_notes(soar) == []
    assert has_buttons(shown(slack, question)), "the question must stay answerable"


def test_someone_else_s_click_after_the_answer_is_told_the_recorded_answer(slack, soar, question):
    bob_told = threading.Event()

    def bob_clicks_while_alice_s_note_is_written() -> None:
        click(slack, "bob", question, "No")
        bob_told.wait(20)

    soar.on_arrival("POST", NOTES, bob_clicks_while_alice_s_note_is_written)
    threading.Thread(target=lambda: wait_until(lambda: told(slack, "bob") and not bob_told.set()), daemon=True).start()
    click(slack, "alice", question, "Yes")

    assert wait_until(lambda: not has_buttons(shown(slack, question)))
    assert told(slack, "bob") == [
        "This question was already answered by Alice Adams: Yes. Your answer was not recorded."]
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_answer"], row["slack_q_answered_by"]) == ("Yes", "Alice Adams")
    assert len(answer_notes(soar)) == 1
