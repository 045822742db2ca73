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
    assert status.startswith("*Phishing campaign* (incident 2095) · severity Low · status Active · ")
    assert "2 open tasks" in status

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


# ---------------------------------------------------------------------------------------------- IOCs as artifacts
def offered(slack, person: str) -> tuple[dict, list[dict]]:
    """The person's answer to *Send to SOAR* and its artifact buttons."""
    answers(slack, person)
    uid = slack.user(person)["id"]
    [shown] = [e for e in slack.ephemerals if e["user"] == uid]
    buttons = [el for block in shown.get("blocks") or [] if block.get("type") == "actions"
               for el in block["elements"]]
    return shown, buttons


def labels(buttons: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in buttons]


def artifacts(soar) -> list[tuple[str, str]]:
    return [(a["type"], a["value"]) for a in soar.state.artifacts.values() if a["inc_id"] == INCIDENT]


def click(slack, person: str, room: str, shown: dict, button: dict, value: str | None = None) -> None:
    sent = slack.actions.click_ephemeral(slack.user_token(person), room, shown["ts"], button["action_id"], value)
    assert sent["ok"], sent


def test_send_to_soar_offers_the_iocs_of_the_message_as_artifact_buttons(slack, soar, room):
    posted = slack.add_message(room, "alice", "C2 at 203.0.113.7 and hxxps://bad[.]example/login, "
                                              "dropper 44d88612fea8a8f36de82e1278abb02f <@U0BOB01> v1.2.3, "
                                              "mail from <mailto:eve@phish.example|eve@phish.example>")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    shown, buttons = offered(slack, "bob")
    assert shown["text"] == f":inbox_tray: Sent to incident {INCIDENT} as a note."
    assert labels(buttons) == ["Add eve@phish.example as Email Sender", "Add eve@phish.example as Email Recipient",
                               "Add https://bad.example/login as URL", "Add 203.0.113.7 as IP Address",
                               "Add 44d88612fea8a8f36de82e1278abb02f as Malware MD5 Hash"]
    assert all(str(INCIDENT) not in b["value"] for b in buttons)   # a button never names the incident
    assert artifacts(soar) == [] and len(action_notes(soar)) == 1   # nothing added until the person picks


def test_a_picked_ioc_becomes_one_artifact_with_a_note_and_a_second_click_finds_it_there(slack, soar, room):
    posted = slack.add_message(room, "alice", "beacon to 203.0.113.7 every minute")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    shown, [button] = offered(slack, "bob")
    click(slack, "bob", room, shown, button)
    assert wait_until(lambda: "Added" in slack.ephemerals[0]["text"], timeout=30), slack.ephemerals
    [artifact] = [a for a in soar.state.artifacts.values() if a["inc_id"] == INCIDENT]
    assert (artifact["type"], artifact["value"]) == ("IP Address", "203.0.113.7")
    assert slack.ephemerals[0]["text"] == (f":pushpin: Added `203.0.113.7` as *IP Address* to incident {INCIDENT} "
                                           f"(artifact #{artifact['id']}).")
    assert slack.ephemerals[0]["blocks"] == []   # the buttons are gone
    assert "Bob Brown" in artifact["description"] and f"p{posted.replace('.', '')}" in artifact["description"]
    sent, added = action_notes(soar)
    assert "added an artifact" in added and "Bob Brown &lt;bob@example.com&gt;" in added
    assert f"Artifact {artifact['id']}: <i>IP Address</i> <code>203.0.113.7</code>" in added

    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    assert wait_until(lambda: len(slack.ephemerals) == 2, timeout=30)
    again = slack.ephemerals[1]
    click(slack, "bob", room, again, [el for b in again["blocks"] if b["type"] == "actions" for el in b["elements"]][0])
    assert wait_until(lambda: "already" in slack.ephemerals[1]["text"], timeout=30), slack.ephemerals
    assert slack.ephemerals[1]["text"] == (f":information_source: `203.0.113.7` is already on incident {INCIDENT} as "
                                           f"*IP Address* (artifact #{artifact['id']}): nothing added.")
    assert artifacts(soar) == [("IP Address", "203.0.113.7")] and len(action_notes(soar)) == 3   # 2 sent, 1 added


def test_an_artifact_click_slack_delivers_twice_adds_once(slack, soar, room):
    posted = slack.add_message(room, "alice", "hash 44d88612fea8a8f36de82e1278abb02f")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    shown, [button] = offered(slack, "bob")
    slack.socket_mode.duplicate_actions = 1
    slack.actions.ephemeral_click_message = True   # the other way Slack may send it: with a copy of the ephemeral
    click(slack, "bob", room, shown, button)
    assert wait_until(lambda: "Added" in slack.ephemerals[0]["text"], timeout=30)
    wait_until(lambda: False, timeout=3)   # time for the second delivery's work to end
    assert artifacts(soar) == [("Malware MD5 Hash", "44d88612fea8a8f36de82e1278abb02f")]
    assert len([n for n in action_notes(soar) if "added an artifact" in n]) == 1
    assert "Added" in slack.ephemerals[0]["text"]


def test_two_people_adding_the_same_ioc_at_once_make_one_artifact(slack, soar, room):
    posted = slack.add_message(room, "carol", "exfil to 198.51.100.23")
    for person in ("bob", "alice"):
        slack.actions.message_shortcut(slack.user_token(person), room, posted, "send_to_soar")
    (bobs, [bob_button]), (alices, [alice_button]) = offered(slack, "bob"), offered(slack, "alice")
    held = soar.state.hold("POST", r"/incidents/\d+/artifacts")   # SOAR slow to add Bob's artifact
    try:
        click(slack, "bob", room, bobs, bob_button)
        assert held.arrived.wait(30), "Bob's artifact was never posted"
        click(slack, "alice", room, alices, alice_button)
        wait_until(lambda: False, timeout=1.5)   # Alice's click in the listener while Bob's POST waits
    finally:
        held.release()
    said = lambda: [e["text"] for e in slack.ephemerals if e["ts"] in (bobs["ts"], alices["ts"])]  # noqa: E731
    assert wait_until(lambda: all(t.startswith((":pushpin:", ":information_source:")) for t in said()), timeout=30), \
        said()
    assert artifacts(soar) == [("IP Address", "198.51.100.23")]
    assert sorted(t.split(" ", 1)[0] for t in said()) == [":information_source:", ":pushpin:"], said()


@pytest.mark.parametrize("forged", [
    '{"t":"URL","v":"203.0.113.7","ts":"1.2"}',                 # an IOC, but not of the type named
    '{"t":"IP Address","v":"not an address","ts":"1.2"}',       # no IOC at all
    '{"t":"IP Address","v":"203.0.113.7 203.0.113.8","ts":"1.2"}',
    '{"t":"Malware Sample","v":"203.0.113.7","ts":"1.2"}',       # a type the buttons never offer
    '{"t":"IP Address","v":"203.0.113.7","ts":"1.2","incident":1}|',
    "203.0.113.7",
])
def test_a_forged_button_value_is_refused_and_nothing_is_added(slack, soar, room, forged):
    posted = slack.add_message(room, "alice", "seen 203.0.113.7")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    shown, [button] = offered(slack, "bob")
    click(slack, "bob", room, shown, button, value=forged)
    refusal = answers(slack, "bob", 2)[-1]
    assert refusal.startswith(":no_entry: Not done: the button does not hold an IOC of the artifact type it names")
    assert artifacts(soar) == [] and len(action_notes(soar)) == 1


def test_carol_no_longer_a_member_is_refused_when_she_clicks(slack, soar, room):
    soar.state.set_members(INCIDENT, ["bob@example.com", "carol@example.com"], owner="alice@example.com")
    posted = slack.add_message(room, "alice", "exfil to evil.example")
    slack.actions.message_shortcut(slack.user_token("carol"), room, posted, "send_to_soar")
    shown, [button] = offered(slack, "carol")
    assert labels([button]) == ["Add evil.example as DNS Name"]
    soar.state.set_members(INCIDENT, ["bob@example.com"], owner="alice@example.com")
    click(slack, "carol", room, shown, button)
    assert answers(slack, "carol", 2)[-1].startswith(
        ":no_entry: Not done: your SOAR user is neither the owner nor a member")
    assert artifacts(soar) == []


@pytest.mark.parametrize("status", [502, 0], ids=["proxy-502", "dropped"])
def test_an_artifact_whose_answer_soar_lost_is_found_and_not_posted_again(slack, soar, room, status):
    posted = slack.add_message(room, "alice", "beacon to 2001:db8::7")
    slack.actions.message_shortcut(slack.user_token("bob"), room, posted, "send_to_soar")
    shown, [button] = offered(slack, "bob")
    lost = soar.state.lose_answers("POST", r"/incidents/[0-9]+/artifacts$", status=status)
    click(slack, "bob", room, shown, button)
    assert wait_until(lambda: "Added" in slack.ephemerals[0]["text"], timeout=30), slack.ephemerals
    assert lost.remaining == 0   # the answer was lost, and the artifact found instead of sent again
    assert artifacts(soar) == [("IP Address", "2001:db8::7")]
    assert len([n for n in action_notes(soar) if "added an artifact" in n]) == 1
