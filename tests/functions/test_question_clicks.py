"""Clicks on a question's buttons, through the Socket Mode listener of a resilient-circuits app, against the Slack
sandbox (which, as Slack, sends a click once and shows the person a timeout when it is not acknowledged within
3 seconds) and the SOAR sandbox with its faults: the click is acknowledged at once, its answer recorded once, and
a failure retried by fn_slack or, at the end, told to the person who clicked."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
from slack_sdk import WebClient

from fn_slack.lib import retry
from fn_slack.lib.block_kit import MAX_BUTTON_TEXT
from fn_slack.lib.text_conventions import strip_invisible
from sandbox.slack import notify
from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import QUESTIONS
from tests.polling import wait_until
from tests.unit.test_message_format import HOSTILE, HOSTILE_PLAIN

config_data = make_config(app_token=APP_TOKEN, event_claim_seconds=2)
QUESTION_ROW = rf"/incidents/{INCIDENT}/table_data/{QUESTIONS}/row_data/[0-9]+$"
NOTES = rf"/incidents/{INCIDENT}/comments$"
CLAIMS = "slack_messages_db"



def ask(circuits_app, slack, **inputs) -> dict:
    assert slack.socket_mode.wait_for_connections(1, timeout=30), "the app's listener did not connect"
    outcome = run_function(circuits_app, "slack_ask_question", {
        "incident_id": INCIDENT, "slack_question": "Isolate host-17 now?", "slack_question_options": "Yes|No",
        "slack_channel": "ask-room", "slack_is_channel_private": False, **inputs})
    return outcome.content


@pytest.fixture
def question(circuits_app, slack, soar) -> dict:
    """A question with the buttons Yes and No in the public channel #ask-room, which Alice and Bob may answer
    (Carol can see the channel, but was not asked)."""
    return ask(circuits_app, slack, slack_participant_emails="alice@example.com, bob@example.com")


def click(slack, person: str, question: dict, answer: str) -> str:
    [message] = [m for m in slack.messages(question["channel_id"]) if m["ts"] == question["ts"]]
    [action] = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["value"] == answer]
    clicked = slack.interactions.click(slack.user_token(person), question["channel_id"], question["ts"], action)
    assert clicked["ok"], clicked
    return clicked["envelope_id"]


def note_texts(soar) -> list[str]:
    return [n["text"]["content"] if isinstance(n["text"], dict) else n["text"] for n in soar.notes_of(INCIDENT)]


def answer_notes(soar) -> list[str]:
    return [t for t in note_texts(soar) if "answered the question" in t]


def refusal_notes(soar) -> list[str]:
    return [t for t in note_texts(soar) if "answer refused" in t]


def altered_notes(soar) -> list[str]:
    return [t for t in note_texts(soar) if "was changed in SOAR outside fn_slack" in t]


def edit_row_in_soar(soar, **cells) -> None:
    """Change cells of the question's row as a person with edit rights in SOAR does (the whole row is sent)."""
    [raw] = soar.state.table_rows(INCIDENT, QUESTIONS)["rows"]
    changed = {**raw["cells"], **{column: {"value": value} for column, value in cells.items()}}
    soar.state.update_row(INCIDENT, QUESTIONS, raw["id"], {c: v for c, v in changed.items() if v["value"] is not None})


def settled(slack) -> bool:
    return not slack.socket_mode.in_flight()


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


# --- who may answer, and where (issue: questions fail closed) -------------------------------------------------

def test_a_person_not_asked_is_told_and_the_refusal_noted_once_however_often_they_click(slack, soar, question,
                                                                                      caplog):
    carol = slack.user("carol")["id"]
    with caplog.at_level(logging.WARNING, logger="fn_slack"):
        for times in (1, 2):
            click(slack, "carol", question, "Yes")
            assert wait_until(lambda times=times: len(told(slack, "carol")) == times)
        assert wait_until(lambda: settled(slack) and refusal_notes(soar))
    time.sleep(1)

    alice, bob = slack.user("alice")["id"], slack.user("bob")["id"]
    assert told(slack, "carol") == [f"Only <@{alice}>, <@{bob}> may answer this question."] * 2
    [note] = refusal_notes(soar)
    assert (f"<b>Carol Clark &lt;carol@example.com&gt; ({carol})</b> answered <i>Yes</i> to the question "
            f"<i>Isolate host-17 now?</i>") in note
    assert "because they are not one of the people asked" in note
    assert any(f"by the Slack user {carol} was refused" in r.getMessage() for r in caplog.records), caplog.text
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert row["slack_q_status"] == "open" and has_buttons(shown(slack, question))


def test_with_nobody_named_only_a_current_member_of_the_channel_may_answer(circuits_app, slack, soar):
    asked = ask(circuits_app, slack, slack_channel="open-room", slack_question_anyone=True)
    alice = slack.user("alice")["id"]
    assert alice not in slack.channel(asked["channel_id"])["members"]   # she sees the public channel, no member

    click(slack, "alice", asked, "Yes")
    assert wait_until(lambda: told(slack, "alice") and settled(slack) and refusal_notes(soar))
    assert told(slack, "alice") == ["Only the members of this question's channel may answer it, and you are not one "
                                    "of them; your answer was not recorded."]
    assert "because they are not a member of the question&#x27;s channel" in refusal_notes(soar)[0]
    assert soar.rows_of(INCIDENT, QUESTIONS)[0]["slack_q_status"] == "open"

    slack.add_member(asked["channel_id"], "bob")
    click(slack, "bob", asked, "No")
    assert wait_until(lambda: not has_buttons(shown(slack, asked)))
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == ("answered", "No", "Bob Brown")


def test_a_click_on_a_copy_of_the_question_elsewhere_is_refused(circuits_app, slack, soar):
    """The question is in a private channel Carol is not in. A copy of its message in #general (its buttons carry
    the same question) is clicked by Carol: the answer counts only in the message fn_slack asked in."""
    asked = ask(circuits_app, slack, slack_channel="war-room", slack_is_channel_private=True,
                slack_question_anyone=True, slack_participant_emails="bob@example.com")
    [original] = [m for m in slack.messages(asked["channel_id"]) if m["ts"] == asked["ts"]]
    general = slack.channel("general")["id"]
    copy = WebClient(token=slack.default_token, base_url=slack.base_url).chat_postMessage(
        channel=general, text="Isolate host-17 now?", blocks=original["blocks"])
    elsewhere = {"channel_id": general, "ts": copy["ts"]}

    click(slack, "carol", elsewhere, "Yes")
    assert wait_until(lambda: told(slack, "carol") and settled(slack) and refusal_notes(soar))
    assert told(slack, "carol") == ["Answers to this question count only in the message where fn_slack asked it; "
                                    "this one is elsewhere, and your answer was not recorded."]
    assert "because the answer came from another channel or message than the question&#x27;s" in \
        refusal_notes(soar)[0]
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert row["slack_q_status"] == "open" and answer_notes(soar) == []


# --- sealed rows (issue: approvals are editable data) ------------------------------------------------------------

def test_a_person_added_to_the_row_in_soar_cannot_answer_and_the_change_is_noted(slack, soar, question, caplog):
    alice, bob, carol = (slack.user(p)["id"] for p in ("alice", "bob", "carol"))
    edit_row_in_soar(soar, slack_q_allowed=f"{alice} {bob} {carol}")

    with caplog.at_level(logging.ERROR, logger="fn_slack"):
        click(slack, "carol", question, "Yes")
        assert wait_until(lambda: told(slack, "carol") and settled(slack) and altered_notes(soar))
        click(slack, "alice", question, "No")    # nobody's answer counts now, not even the people asked
        assert wait_until(lambda: told(slack, "alice") and settled(slack))
    time.sleep(1)

    expected = ("This question's record in SOAR was changed outside fn_slack, so no answer to it is recorded. Ask "
                "the incident's owner to ask it again.")
    assert told(slack, "carol") == [expected] and told(slack, "alice") == [expected]
    [note] = altered_notes(soar)
    assert f"<li>slack_q_allowed: {alice} {bob} → {alice} {bob} {carol}</li>" in note
    assert any("was changed outside fn_slack (changed (slack_q_allowed))" in r.getMessage() for r in caplog.records)
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_status"], row["slack_q_allowed"]) == ("open", f"{alice} {bob} {carol}")   # left as it is
    assert answer_notes(soar) == [] and has_buttons(shown(slack, question))


def test_an_outcome_forged_in_soar_is_not_completed_in_alice_s_name(slack, soar, question):
    """Someone edits the row to say Alice answered Yes. Before sealing, Alice's next click completed that
    outcome: a note "Alice answered ... Yes" and the question shown answered Yes in Slack."""
    alice = slack.user("alice")["id"]
    edit_row_in_soar(soar, slack_q_status="answered", slack_q_answer="Yes", slack_q_answered_by="Alice",
                     slack_q_answer_key=f"{alice}:1700000000.1")

    click(slack, "alice", question, "No")
    assert wait_until(lambda: told(slack, "alice") and settled(slack) and altered_notes(soar))
    time.sleep(1)

    assert answer_notes(soar) == [] and has_buttons(shown(slack, question))
    [note] = altered_notes(soar)
    assert "<li>slack_q_status: open → answered</li>" in note and "<li>slack_q_answer: (empty) → Yes</li>" in note


def test_a_question_row_without_a_seal_is_not_acted_on(slack, soar, question):
    """A row as fn_slack 3.0 wrote it (no seal), or added by hand: an open question asked before the upgrade must
    be asked again."""
    edit_row_in_soar(soar, slack_q_seal=None)
    click(slack, "alice", question, "Yes")
    assert wait_until(lambda: told(slack, "alice") and settled(slack) and altered_notes(soar))
    [note] = altered_notes(soar)
    assert "its row carries no seal of fn_slack" in note and "ask it again" in note
    assert soar.rows_of(INCIDENT, QUESTIONS)[0]["slack_q_status"] == "open" and answer_notes(soar) == []


# --- incident data is untrusted in Slack and in notes ------------------------------------------------------------

def test_a_button_answer_is_plain_text_in_the_note_not_a_link(circuits_app, slack, soar):
    asked = ask(circuits_app, slack, slack_question_options="<https://evil.example/pay|Approve>\nReject",
                slack_participant_emails="alice@example.com")
    click(slack, "alice", asked, "<https://evil.example/pay|Approve>")
    assert wait_until(lambda: answer_notes(soar) and settled(slack))
    [note] = answer_notes(soar)
    assert "<a " not in note and "evil.example" in note
    assert "<blockquote>&lt;https://evil.example/pay|Approve&gt;</blockquote>" in note


def _live(text: str, allowed: set[str]) -> list[str]:
    """Slack syntax left live in ``text``: a link with a label, anything but a plain address, a mention of anyone
    but the people asked (a "<" with a zero-width space after it opens nothing)."""
    return [seq for seq in re.findall(r"<([^<>]*)>", text) if not seq.startswith("\u200b")
            and seq.lstrip("@") not in allowed and ("|" in seq or not seq.startswith("http"))]


def _texts(message: dict) -> list[str]:
    return notify.message_texts(message.get("text"), message.get("blocks"), message.get("attachments"))


CATALOGUE = list(dict.fromkeys(HOSTILE + HOSTILE_PLAIN))


@pytest.mark.parametrize("part", range(0, len(CATALOGUE), 9))
def test_every_part_of_a_question_that_reaches_slack_is_inert(circuits_app, slack, soar, part):
    """The hostile catalogue as the question, its options (button labels and values) and the answers: the
    question message and its notification text, the answered view, what the clicker is told and the answer's
    note notify nobody but the people asked and link nowhere."""
    hostile = CATALOGUE[part:part + 9]
    lines = [h.replace("\n", " ")[:MAX_BUTTON_TEXT] for h in hostile]   # a button's label holds 75 characters
    asked = ask(circuits_app, slack, slack_question=" / ".join(hostile), slack_question_options="\n".join(lines),
                slack_participant_emails="alice@example.com, bob@example.com")
    people = {slack.user("alice")["id"], slack.user("bob")["id"]}
    message = shown(slack, asked)
    options = [e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    # the values are the options as asked, without invisible characters (and the repeats and blanks that leaves)
    assert options == [o for o in dict.fromkeys(strip_invisible(line).strip() for line in lines) if o]
    for text in _texts(message):
        assert _live(text, people) == [], text
    [sent] = [n for n in slack.notifications if n["ts"] == asked["ts"]]
    assert (sent["broadcast"], sent["usergroups"]) == ([], []) and set(sent["users"]) <= people, sent

    click(slack, "carol", asked, options[0])           # not asked: told who may answer
    click(slack, "alice", asked, options[-1])          # answers with the last hostile option
    assert wait_until(lambda: answer_notes(soar) and settled(slack) and told(slack, "carol"))
    answered = shown(slack, asked)
    for text in _texts(answered) + told(slack, "carol"):
        assert _live(text, people) == [], text
    assert not [n for n in slack.notifications if n["ts"] == asked["ts"] and n["broadcast"] != []]
    for note in answer_notes(soar) + refusal_notes(soar):
        assert "<a " not in note, note
