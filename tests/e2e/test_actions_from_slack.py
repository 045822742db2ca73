"""Actions from Slack through a real `resilient-circuits run`: the Socket Mode listener answers a person's *Send to
SOAR* shortcut (and the artifact buttons of its answer) and `/soar` commands in a channel linked two-way,
acting as the SOAR user with the person's e-mail only where that user may act, and writes each action to the
incident once."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar.circuits import run_cli, write_app_config
from sandbox.soar.edit_export import edit_pre_script
from sandbox.soar.scripting import default_export_path
from tests.polling import wait_until

from .conftest import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
KEY = ("actions-key", "actions-secret")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="fn-slack-actions-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            result = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
            assert result.returncode == 0, result.output
            export = json.loads(default_export_path().read_text(encoding="utf-8"))
            stack.soar.state.install(edit_pre_script(export, "create_slack_message", lambda text: text + (
                "\ninputs.slack_mirror = True\n")))
            stack.soar.add_api_key(*KEY)
            config = write_app_config(stack.workdir, stack.soar, stack.slack.base_url, name="actions.config",
                                      api_key=KEY, num_workers=5,
                                      fn_slack={"app_token": APP_TOKEN, "event_claim_seconds": "4"})
            stack.start_run("run-a", config=config, consumers=1)
            assert stack.slack.socket_mode.wait_for_connections(1, timeout=60), stack.logs()
            yield stack
        finally:
            stop_stack(stack)


def _linked_room(stack: Stack, title: str) -> tuple[int, str]:
    incident = stack.soar.create_incident(title)
    name = f"act-{incident['id']}"
    result = stack.driver.click(POST_INCIDENT, incident_id=incident["id"], properties={
        "rule_slack_channel": name, "rule_slack_is_channel_private": False,
        "rule_slack_participant_emails": "alice@example.com, bob@example.com, carol@example.com",
        "rule_slack_text": "Incident room"})
    assert result.completed, result.report() + stack.logs()
    channel = stack.slack.channel(name)["id"]
    stack.slack.add_member(channel, "gina")
    stack.soar.state.set_members(incident["id"], ["bob@example.com"], owner="analyst@example.com")
    return incident["id"], channel


def _answers(stack: Stack, channel: str, person: str, count: int) -> list[str]:
    uid = stack.slack.user(person)["id"]
    mine = lambda: [e["text"] for e in stack.slack.ephemerals  # noqa: E731
                    if e["user"] == uid and e["channel"] == channel]
    assert wait_until(lambda: len(mine()) >= count, timeout=60), mine() + [stack.logs()]
    return mine()


def _action_notes(stack: Stack, incident_id: int) -> list[str]:
    return [n["text"] for n in stack.soar.state.notes_of(incident_id) if "acting as the SOAR user" in n["text"]]


def test_bob_sends_a_message_carol_and_a_guest_are_refused(stack):
    incident_id, channel = _linked_room(stack, "Send to SOAR")
    posted = stack.slack.add_message(channel, "alice", "The sender was phish@evil.example")
    stack.slack.actions.message_shortcut(stack.slack.user_token("bob"), channel, posted, "send_to_soar")
    stack.slack.actions.message_shortcut(stack.slack.user_token("carol"), channel, posted, "send_to_soar")
    stack.slack.actions.slash_command(stack.slack.user_token("gina"), channel, "/soar", "note guest words")

    assert _answers(stack, channel, "bob", 1) == [f":inbox_tray: Sent to incident {incident_id} as a note."]
    assert _answers(stack, channel, "carol", 1)[0].startswith(
        ":no_entry: Not done: your SOAR user is neither the owner")
    assert _answers(stack, channel, "gina", 1) == [
        ":no_entry: Not done: guests of the Slack workspace never act on SOAR."]
    [note] = _action_notes(stack, incident_id)
    assert "Bob Brown &lt;bob@example.com&gt;" in note and "phish@evil.example" in note and "Alice Adams" in note


def test_bob_adds_an_ioc_of_the_message_he_sent_as_an_artifact(stack):
    incident_id, channel = _linked_room(stack, "IOC to artifact")
    posted = stack.slack.add_message(channel, "alice", "Beaconing to 203.0.113.7 every 60 s (agent 1.2.3)")
    stack.slack.actions.message_shortcut(stack.slack.user_token("bob"), channel, posted, "send_to_soar")
    _answers(stack, channel, "bob", 1)
    bob = stack.slack.user("bob")["id"]
    [shown] = [e for e in stack.slack.ephemerals if e["user"] == bob and e["channel"] == channel]
    [button] = [el for block in shown["blocks"] if block["type"] == "actions" for el in block["elements"]]
    assert button["text"]["text"] == "Add 203.0.113.7 as IP Address"

    clicked = stack.slack.actions.click_ephemeral(stack.slack.user_token("bob"), channel, shown["ts"],
                                                  button["action_id"])
    assert clicked["ok"], clicked
    assert wait_until(lambda: "Added" in _answers(stack, channel, "bob", 1)[0], timeout=60), stack.logs()
    [artifact] = [a for a in stack.soar.state.artifacts.values() if a["inc_id"] == incident_id]
    assert (artifact["type"], artifact["value"]) == ("IP Address", "203.0.113.7")
    assert _answers(stack, channel, "bob", 1) == [
        f":pushpin: Added `203.0.113.7` as *IP Address* to incident {incident_id} (artifact #{artifact['id']})."]
    sent, added = _action_notes(stack, incident_id)
    assert "Bob Brown &lt;bob@example.com&gt;" in added and "added an artifact" in added
    assert f"Artifact {artifact['id']}: <i>IP Address</i> <code>203.0.113.7</code>" in added


def test_soar_commands_and_a_duplicated_envelope_act_once(stack):
    incident_id, channel = _linked_room(stack, "Commands")
    task = stack.soar.state.create_task(incident_id, "Block sender")
    bob = stack.slack.user_token("bob")
    for text in ("status", "tasks", "note Sender blocked at the gateway"):
        stack.slack.actions.slash_command(bob, channel, "/soar", text)
        time.sleep(0.3)   # one at a time, in order
    stack.slack.socket_mode.duplicate_actions = 1
    try:
        stack.slack.actions.slash_command(bob, channel, "/soar", f"done {task['id']}")
        said = _answers(stack, channel, "bob", 4)
    finally:
        stack.slack.socket_mode.duplicate_actions = 0
    assert said[0].startswith("*Commands* (incident") and "1 open task" in said[0]
    assert f"`{task['id']}` Block sender" in said[1]
    assert said[2] == f":memo: Noted on incident {incident_id}." and "is done" in said[3]
    assert stack.soar.state.task(task["id"])["status"] == "C"
    time.sleep(3)   # the duplicate's work ends
    notes = _action_notes(stack, incident_id)
    assert len(notes) == 2 and len(_answers(stack, channel, "bob", 4)) == 4, notes
