"""Actions from Slack through the Socket Mode listener of a resilient-circuits app, against the Slack sandbox (a
person's slash command and message shortcut, sent once, answered through the response URL) and the SOAR sandbox
(users by e-mail, the incident's owner and members): who may act, what they are told, and the notes written once.

The channel is linked two-way by slack_post_message (slack_mirror), as a workflow links it. In SOAR, Alice owns the
incident and Bob is a member; Carol is a SOAR user who is neither; Gina is a guest in Slack (and a SOAR user
holding the mapped role)."""

from __future__ import annotations

import pytest

from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.polling import wait_until

config_data = make_config(app_token=APP_TOKEN, event_claim_seconds=2, actions_roles="Incident Commander")


def note_texts(soar) -> list[str]:
    return [n["text"]["content"] if isinstance(n["text"], dict) else n["text"] for n in soar.notes_of(INCIDENT)]


def action_notes(soar) -> list[str]:
    return [t for t in note_texts(soar) if "acting as the SOAR user" in t]


@pytest.fixture
def room(circuits_app, slack, soar) -> str:
    """#war-room, linked two-way to the incident, with Alice, Bob, Carol and Gina in it; the incident owned by
    Alice, Bob a member."""
    assert slack.socket_mode.wait_for_connections(1, timeout=30), "the app's listener did not connect"
    posted = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_text": "Incident room", "slack_channel": "war-room",
        "slack_is_channel_private": False, "slack_mirror": True,
        "slack_participant_emails": "alice@example.com, bob@example.com, carol@example.com"})
    assert posted.error is None, posted.error
    channel = slack.channel("war-room")["id"]
    slack.add_member(channel, "gina")
    soar.state.set_members(INCIDENT, ["bob@example.com"], owner="alice@example.com")
    return channel


def answers(slack, person: str, count: int = 1) -> list[str]:
    uid = slack.user(person)["id"]
    assert wait_until(lambda: len([e for e in slack.ephemerals if e["user"] == uid]) >= count, timeout=30), \
        f"{person} was not answered"
    return [e["text"] for e in slack.ephemerals if e["user"] == uid]


def command(slack, person: str, channel: str, text: str, name: str = "/soar") -> dict:
    sent = slack.actions.slash_command(slack.user_token(person), channel, name, text)
    assert sent["ok"], sent
    return sent


def test_send_to_soar_makes_one_note_with_the_author_the_link_and_who_acted(slack, soar, room):
    posted = slack.add_message(room, "alice", "Seen <https://evil.example/x|login page> from 10.0.0.9 <b>x</b>")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")

    assert answers(slack, "bob") == [f":inbox_tray: Sent to incident {INCIDENT} as a note."]
    [note] = action_notes(soar)
    assert "Bob Brown &lt;bob@example.com&gt;" in note   # the SOAR user Bob acted as
    assert "bob@example.com" in note and "Alice Adams" in note and "sent a Slack message" in note
    assert f"archives/{room}/p{posted.replace('.', '')}" in note
    assert "from 10.0.0.9" in note and "<b>x</b>" not in note   # Slack's text is never active HTML in SOAR


def test_carol_who_is_no_member_in_soar_is_refused_and_nothing_is_written(slack, soar, room):
    posted = slack.add_message(room, "alice", "IOC: evil.example")
    slack.actions.message_shortcut(slack.user_token("carol"), room, posted, "send_to_soar")
    command(slack, "carol", room, "note take this")

    refusals = answers(slack, "carol", 2)
    assert all(r.startswith(":no_entry: Not done: your SOAR user is neither the owner nor a member") for r in refusals)
    assert action_notes(soar) == []


def test_a_guest_is_refused_even_with_a_mapped_role(slack, soar, room):
    command(slack, "gina", room, "status")
    assert answers(slack, "gina") == [":no_entry: Not done: guests of the Slack workspace never act on SOAR."]


def test_a_mapped_role_lets_a_non_member_act(slack, soar, room):
    soar.state.set_members(INCIDENT, [], owner="analyst@example.com")
    command(slack, "alice", room, "note from the commander")   # Alice: no longer owner, holds Incident Commander
    assert answers(slack, "alice") == [f":memo: Noted on incident {INCIDENT}."]
    [note] = action_notes(soar)
    assert "Alice Adams &lt;alice@example.com&gt;" in note and "from the commander" in note


def test_soar_status_note_tasks_and_done_answer_the_person_alone(slack, soar, room):
    soar.state.create_task(INCIDENT, "Reset <passwords>", id=TASK + 1)
    command(slack, "bob", room, "status")
    [status] = answers(slack, "bob")
    assert status.startswith("*Phishing campaign* (incident 2095) · severity Low") and "2 open tasks" in status

    command(slack, "bob", room, "tasks")
    tasks = answers(slack, "bob", 2)[-1]
    assert f"`{TASK}` Investigate" in tasks and f"`{TASK + 1}` Reset &lt;passwords&gt;" in tasks

    command(slack, "bob", room, "note Contained on *host-17*")
    assert answers(slack, "bob", 3)[-1] == f":memo: Noted on incident {INCIDENT}."

    command(slack, "bob", room, f"done {TASK}")
    assert answers(slack, "bob", 4)[-1] == f":white_check_mark: Task *Investigate* of incident {INCIDENT} is done."
    assert soar.state.task(TASK)["status"] == "C" and soar.state.task(TASK + 1)["status"] == "O"

    command(slack, "bob", room, "done nothing-like-this")
    assert answers(slack, "bob", 5)[-1].startswith("No open task of this incident is named or numbered")
    noted, closed = action_notes(soar)
    assert "noted" in noted and "<b>host-17</b>" in noted and "Bob Brown" in noted
    assert f"Task {TASK} <i>Investigate</i> closed." in closed
    general = slack.channel("general")["id"]
    assert all(m.get("text") != answers(slack, "bob")[0] for m in slack.messages(room) + slack.messages(general))


def test_a_command_outside_a_linked_channel_or_unknown_is_answered_with_the_reason(slack, soar, room):
    command(slack, "bob", slack.channel("general")["id"], "status")
    assert answers(slack, "bob") == [":no_entry: Not done: this channel is not linked two-way to a SOAR incident."]
    command(slack, "bob", room, "explode")
    assert answers(slack, "bob", 2)[-1].startswith("Usage, in a channel linked to a SOAR incident: `/soar status`")


def test_an_action_slack_delivers_twice_acts_once(slack, soar, room):
    slack.socket_mode.duplicate_actions = 1
    posted = slack.add_message(room, "alice", "one note only")
    sent = slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    [copy] = [c for c, first in slack.socket_mode.duplicated.items() if first == sent["envelope_id"]]
    assert slack.socket_mode.wait_acked(copy, timeout=30) and slack.socket_mode.wait_acked(sent["envelope_id"])
    assert wait_until(lambda: len(action_notes(soar)) >= 1, timeout=30)
    wait_until(lambda: False, timeout=3)   # time for the second delivery's work to end
    assert len(action_notes(soar)) == 1
    assert answers(slack, "bob") == [f":inbox_tray: Sent to incident {INCIDENT} as a note."]
