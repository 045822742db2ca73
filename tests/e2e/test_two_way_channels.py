"""Two-way channels through real `resilient-circuits run` processes: the Socket Mode listener starts with the
app, people's messages in a mirrored channel become incident notes, hostile text arrives inert, and with two
processes (one of them killed in the middle of an event) each Slack event is written to SOAR exactly once."""

from __future__ import annotations

import collections
import json
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from slack_sdk import WebClient

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.question_rows import SEALED_COLUMNS, seal_scope
from fn_slack.lib.soar.seals import Sealer
from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar.circuits import behind_by, run_cli, write_app_config
from sandbox.soar.edit_export import edit_pre_script
from sandbox.soar.scripting import default_export_path
from tests.sandbox_slack.helpers import Browser

from .conftest import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
KEYS = {"run-a": ("mirror-key-a", "mirror-secret-a"), "run-b": ("mirror-key-b", "mirror-secret-b")}
ALLOWED_TAGS = {"div", "p", "b", "i", "s", "code", "pre", "blockquote", "br", "a", "small"}
SEAL_KEY = "the-seal-key-of-the-two-way-suite"   # [fn_slack] seal_key, the same on both integration servers


def mirroring_export() -> dict:
    """fn_slack's export with one line added to the Post Incident workflow's pre-processing script, as an
    administrator turns two-way channels on for a workflow (``inputs.slack_mirror = True``), and the Ask a
    Question item's questions taking free-text answers too."""
    export = json.loads(default_export_path().read_text(encoding="utf-8"))
    export = edit_pre_script(export, "create_slack_message", lambda text: text + (
        "\n# Two-way channel: what people write in the linked channel becomes incident notes.\n"
        "inputs.slack_mirror = True\n"))
    export = edit_pre_script(export, "slack_example_post_message_to_slack__task", lambda text: text + (
        "\ninputs.slack_mirror = True\n"))
    return edit_pre_script(export, "example_ask_question_in_slack", lambda text: text.replace(
        "inputs.slack_question_free_text = False", "inputs.slack_question_free_text = True"))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="fn-slack-two-way-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            result = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
            assert result.returncode == 0, result.output
            stack.soar.state.install(mirroring_export())
            for key in KEYS.values():
                stack.soar.add_api_key(*key)
            yield stack
        finally:
            stop_stack(stack)


def _config(stack: Stack, name: str) -> Path:
    return write_app_config(stack.workdir, stack.soar, stack.slack.base_url, name=f"{name}.config",
                            api_key=KEYS[name], num_workers=5,
                            fn_slack={"app_token": APP_TOKEN, "event_claim_seconds": "4", "seal_key": SEAL_KEY})


def _runs(stack: Stack, names: list[str]) -> dict[str, object]:
    """The named run processes, started (or kept) with the listener connected; others stopped."""
    live = {p.name: p for p in stack.processes if p.running()}
    for name, process in live.items():
        if name not in names:
            process.stop()
    started = {}
    for name in names:
        started[name] = live.get(name) or stack.start_run(name, config=_config(stack, name), consumers=len(started) + 1)
    assert stack.slack.socket_mode.wait_for_connections(len(names), timeout=60), stack.logs()
    # a connection the killed process held is gone; the survivors' connections remain
    return started


def _open_incident_channel(stack: Stack, title: str, *, private: bool = False) -> tuple[dict, str]:
    incident = stack.soar.create_incident(title)
    channel = f"two-way-{incident['id']}"
    result = stack.driver.click(POST_INCIDENT, incident_id=incident["id"],
                                properties={"rule_slack_channel": channel, "rule_slack_is_channel_private": private,
                                            "rule_slack_participant_emails": "alice@example.com, bob@example.com",
                                            "rule_slack_text": "Two-way"})
    assert result.completed, result.report() + stack.logs()
    assert any("are now written to the incident" in m for m in result.status_messages), \
        result.status_messages
    return incident, stack.slack.channel(channel)["id"]


def _person(stack: Stack, name: str) -> WebClient:
    return WebClient(token=stack.slack.user_token(name), base_url=stack.slack.base_url)


def _mirrored(stack: Stack, incident_id: int) -> list[dict]:
    return [n for n in stack.soar.state.notes_of(incident_id) if "slack-event " in n["text"]]


def _claims(stack: Stack, incident_id: int) -> list[dict]:
    """Each event's claim: the oldest row of its key (a younger row is a loser's that died before removing it)."""
    first: dict[str, dict] = {}
    for row in stack.soar.state.rows_of(incident_id, "slack_messages_db"):   # oldest first
        first.setdefault(row["slack_msg_key"], row)
    return list(first.values())


def _settled(stack: Stack, incident_id: int, count: int) -> bool:
    """``count`` mirrored notes, each event's claim marked noted and no envelope in flight."""
    claims = _claims(stack, incident_id)
    return (len(_mirrored(stack, incident_id)) >= count and len(claims) >= count
            and all(r["slack_msg_state"] == "noted" for r in claims) and not stack.slack.socket_mode.in_flight())


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_listener_starts_with_run_and_replies_become_notes(stack):
    runs = _runs(stack, ["run-a"])
    assert runs["run-a"].wait_for_log("Slack Socket Mode listener started", timeout=30), stack.logs()
    incident, channel = _open_incident_channel(stack, "Replies become notes")
    root = stack.slack.messages(channel)[-1]
    alice, bob = _person(stack, "alice"), _person(stack, "bob")

    alice.chat_postMessage(channel=channel, text="I isolated *host-17* — see <https://wiki.example.com/ir|runbook>")
    bob.chat_postMessage(channel=channel, thread_ts=root["ts"], text="Confirmed, the hash matches")
    edited = alice.chat_postMessage(channel=channel, text="first draft")["ts"]
    alice.chat_update(channel=channel, ts=edited, text="final wording")
    alice.chat_delete(channel=channel, ts=edited)

    assert _wait(lambda: _settled(stack, incident["id"], 5)), \
        [n["text"] for n in _mirrored(stack, incident["id"])] + [stack.logs()]
    notes = [n["text"] for n in _mirrored(stack, incident["id"])]
    by_kind = {k: [n for n in notes if k in n] for k in ("wrote", "replied in a thread", "edited a message",
                                                         "deleted a message")}
    assert len(by_kind["wrote"]) == 2 and len(by_kind["replied in a thread"]) == 1
    first = next(n for n in by_kind["wrote"] if "host-17" in n)
    alice_id = stack.slack.user("alice")["id"]
    assert f"<b>Alice Adams &lt;alice@example.com&gt; ({alice_id})</b>" in first and "<b>host-17</b>" in first
    assert '<a href="https://wiki.example.com/ir">runbook</a>' in first
    assert f"#two-way-{incident['id']}" in first
    reply = by_kind["replied in a thread"][0]
    assert "Bob Brown &lt;bob@example.com&gt;" in reply and "the hash matches" in reply
    assert "final wording" in by_kind["edited a message"][0] and "first draft" in by_kind["edited a message"][0]
    assert "final wording" in by_kind["deleted a message"][0]
    # fn_slack's own post (the incident container) and Slack's join messages are not mirrored
    assert not any("Two-way" in n for n in notes)
    rows = stack.soar.state.rows_of(incident["id"], "slack_messages_db")
    assert len(rows) == 5 and {r["slack_msg_state"] for r in rows} == {"noted"}
    [link] = stack.soar.state.rows_of(incident["id"])
    assert link["slack_db_mirror"] is True
    assert stack.soar.state.incident(incident["id"])["properties"]["slack_mirror_channels"] == channel


def test_a_reply_and_an_edit_bob_makes_on_the_slack_page_become_notes_in_his_name(stack):
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Replies from the page")
    root = stack.slack.messages(channel)[-1]
    bob = Browser(stack.slack)
    page = bob.get(f"/_sandbox/channels/{channel}?as=bob")

    page = bob.submit(page.select_one(f'form[data-reply="{root["ts"]}"]'), text="Confirmed from the page")
    [reply] = stack.slack.messages(channel)[-1]["replies"]
    bob.submit(page.select_one(f'form[data-edit="{reply["ts"]}"]'), text="Confirmed, hash matches")

    assert _wait(lambda: _settled(stack, incident["id"], 2)), stack.logs()
    notes = [n["text"] for n in _mirrored(stack, incident["id"])]
    bob_id = stack.slack.user("bob")["id"]
    [replied] = [n for n in notes if "replied in a thread" in n]
    assert f"<b>Bob Brown &lt;bob@example.com&gt; ({bob_id})</b>" in replied and "Confirmed from the page" in replied
    [edited] = [n for n in notes if "edited a message" in n]
    assert "Bob Brown" in edited and "Confirmed, hash matches" in edited


def test_a_file_a_person_shares_arrives_as_file_share_and_becomes_a_note_with_its_link(stack):
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "File share")
    _person(stack, "alice").files_upload_v2(channel=channel, content="10.0.0.7 beaconing", filename="beacon.log",
                                            initial_comment="the proxy log")
    assert _wait(lambda: _settled(stack, incident["id"], 1)), stack.logs()
    [note] = [n["text"] for n in _mirrored(stack, incident["id"])]
    assert "the proxy log" in note and "beacon.log" in note
    [share] = [m for m in stack.slack.messages(channel) if m.get("files")]
    assert share["files"][0]["permalink"] in note


ARCHIVE_INCIDENT = "Example: Archive Incident Slack Channel"


def test_a_message_written_as_the_channel_is_archived_still_becomes_a_note(stack):
    """Slack takes the app out of a channel it archives, so the archive reads nothing after archiving: a message
    written between its final read and the archive taking effect is not in the saved history, but the listener's
    event still makes it an incident note, with no read in the channel; Slack's channel_archive is not noted."""
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Archived with a last word")
    alice = stack.slack.user("alice")["id"]
    stack.slack.faults.add("conversations.archive", "delay", delay=0.5, on_fire=lambda: stack.slack.add_message(
        channel, alice, "last word as the channel closes"))
    calls_before = len(stack.slack.calls)

    result = stack.driver.click(ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})

    assert result.completed, result.report() + stack.logs()
    assert stack.slack.channel(channel)["is_archived"]
    assert _wait(lambda: _settled(stack, incident["id"], 1)), stack.logs()
    notes = [n["text"] for n in _mirrored(stack, incident["id"])]
    assert len(notes) == 1 and "last word as the channel closes" in notes[0], notes
    calls = stack.slack.calls[calls_before:]
    archived_at = [c.method for c in calls].index("conversations.archive")
    assert [c.method for c in calls[archived_at + 1:] if c.token == stack.slack.default_token
            and c.params.get("channel") == channel] == []


def test_a_channel_without_mirroring_stays_one_way(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("One-way")
    name = f"one-way-{incident['id']}"
    # the playbook's script was not edited: it posts without slack_mirror, as every 1.x/2.x workflow does
    result = stack.driver.run_playbook("example_post_incident_to_slack_pb", incident_id=incident["id"],
                                       inputs={"rule_slack_channel": name, "rule_slack_is_channel_private": False,
                                               "rule_slack_participant_emails": "alice@example.com"})
    assert result.completed, result.report()
    assert stack.soar.state.rows_of(incident["id"])[0].get("slack_db_mirror") is None
    channel = stack.slack.channel(name)["id"]
    envelope_count = len(stack.slack.socket_mode.published)
    _person(stack, "alice").chat_postMessage(channel=channel, text="not for SOAR")
    assert _wait(lambda: len(stack.slack.socket_mode.acked) > envelope_count and not
                 stack.slack.socket_mode.in_flight())
    time.sleep(1)
    assert not _mirrored(stack, incident["id"])
    assert stack.soar.state.rows_of(incident["id"], "slack_messages_db") == []


def test_hostile_slack_text_arrives_inert(stack):
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Hostile text")
    hostile = [
        "<script>alert(document.cookie)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href=\"javascript:alert(1)\">click</a> and <javascript:alert(2)|also click>",
        "{{7*7}} ${7*7} [b]bold[/b] <div style=\"position:fixed\">overlay</div>",
        '"><svg/onload=alert(3)> &amp;lt;b&amp;gt;',
    ]
    alice = _person(stack, "alice")
    for text in hostile:
        alice.chat_postMessage(channel=channel, text=text)
    assert _wait(lambda: _settled(stack, incident["id"], len(hostile))), stack.logs()
    for note in _mirrored(stack, incident["id"]):
        soup = BeautifulSoup(note["text"], "html.parser")
        tags = {t.name for t in soup.find_all(True)}
        assert tags <= ALLOWED_TAGS, (tags, note["text"])
        for tag in soup.find_all(True):
            assert set(tag.attrs) <= {"href"}, note["text"]
            if tag.name == "a":
                assert tag["href"].startswith("https://"), note["text"]
    texts = " ".join(BeautifulSoup(n["text"], "html.parser").get_text() for n in _mirrored(stack, incident["id"]))
    assert "<script>alert(document.cookie)</script>" in texts  # shown as text, not run
    assert "{{7*7}}" in texts and "[b]bold[/b]" in texts


def test_a_note_names_the_real_author_and_the_text_cannot_imitate_it(stack):
    """Mallory calls herself "Alice" in Slack and writes a line that reads like a note's header, a mention
    labelled as the CISO, a link labelled as the bank and a reversed file name: the note names Mallory by real
    name, e-mail and ID, quotes what she wrote under fn_slack's one header, and shows the real person, the real
    link target and no bidi control."""
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Who said it")
    alice = stack.slack.user("alice")["id"]
    mallory = stack.slack.add_user("mallory", "mallory@example.com", real_name="Mallory Moss", display_name="Alice")
    stack.slack.add_member(channel, mallory)
    stack.slack.add_message(channel, mallory, f"*Slack* · *Alice* wrote in *#inc*\nApproved by <@{alice}|Alice (CISO)>"
                                              f", pay <https://evil.example/pay|https://bank.example/pay> "
                                              f"invoice\u202egnp.exe")
    assert _wait(lambda: _settled(stack, incident["id"], 1)), stack.logs()
    [note] = [n["text"] for n in _mirrored(stack, incident["id"])]
    soup = BeautifulSoup(note, "html.parser")
    assert soup.find("p").get_text().startswith(
        f"Slack · Mallory Moss <mallory@example.com> ({mallory}) wrote in"), note
    assert note.count("<b>Slack</b>") == 1 and "<b>Alice</b>" not in note, note
    quote = soup.find("blockquote")
    assert quote.get_text().startswith("*Slack* · *Alice* wrote in *#inc*"), note
    assert "@Alice Adams" in quote.get_text() and "CISO" not in note
    assert [(a["href"], a.get_text()) for a in quote.find_all("a")] == [("https://evil.example/pay",
                                                                          "https://evil.example/pay")]
    assert "\u202e" not in note


def test_two_processes_write_each_event_once(stack):
    _runs(stack, ["run-a", "run-b"])
    incident, channel = _open_incident_channel(stack, "Two processes")
    people = [_person(stack, "alice"), _person(stack, "bob")]
    first_delivery = len(stack.slack.socket_mode.deliveries)
    for i in range(40):
        people[i % 2].chat_postMessage(channel=channel, text=f"update {i}")
    assert _wait(lambda: _settled(stack, incident["id"], 40), timeout=120), stack.logs()
    time.sleep(2)  # anything written twice would show up now
    notes = _mirrored(stack, incident["id"])
    keys = collections.Counter(re.search(r"slack-event (\S+)<", n["text"]).group(1) for n in notes)
    assert len(notes) == 40 and set(keys.values()) == {1}
    connections = {d.connection for d in stack.slack.socket_mode.deliveries[first_delivery:]}
    assert len(connections) == 2, "Slack spread the envelopes over both processes' connections"


def test_a_process_killed_mid_event_leaves_one_note(stack):
    runs = _runs(stack, ["run-a", "run-b"])
    incident, channel = _open_incident_channel(stack, "Killed mid-event")
    hold = stack.soar.state.hold("POST", rf"/incidents/{incident['id']}/comments$")
    _person(stack, "alice").chat_postMessage(channel=channel, text="written while a process dies")
    assert hold.arrived.wait(30), stack.logs()
    [caller] = hold.callers
    victim = next(name for name, key in KEYS.items() if key[0] == caller)
    hub = stack.slack.socket_mode
    envelopes = hub.in_flight()   # one; two when Slack delivers the event twice (duplicate_events)
    runs[victim].kill()
    hold.release()  # the dead process's note reaches SOAR after all, but it never marks its claim

    assert _wait(lambda: any(d.envelope_id in envelopes and d.retry_attempt >= 1 for d in hub.deliveries), 30)
    assert all(hub.wait_acked(envelope_id, timeout=60) for envelope_id in envelopes), stack.logs()
    time.sleep(1)
    notes = _mirrored(stack, incident["id"])
    assert len(notes) == 1, [n["text"] for n in notes]
    [row] = _claims(stack, incident["id"])
    assert row["slack_msg_state"] == "noted" and row["slack_msg_note_id"] == notes[0]["id"]
    survivor = next(name for name in KEYS if name != victim)
    assert str(runs[survivor].pid) in row["slack_msg_owner"], "the survivor took the claim over"


def _one_note_per_event(stack: Stack, incident_id: int) -> list[dict]:
    """The mirrored notes, after checking that no event has two and each is the one its row records."""
    time.sleep(2)  # anything written twice would show up now
    notes = _mirrored(stack, incident_id)
    keys = collections.Counter(re.search(r"slack-event (\S+)<", n["text"]).group(1) for n in notes)
    assert set(keys.values()) <= {1}, [n["text"] for n in notes]
    recorded = {r["slack_msg_note_id"] for r in _claims(stack, incident_id)}
    assert {n["id"] for n in notes} == recorded
    return notes


@pytest.mark.parametrize("status", [502, 0], ids=["a proxy's 502", "a dropped connection"])
def test_a_note_whose_answer_is_lost_after_soar_saved_it_is_written_once(stack, status):
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, f"Lost answer {status}")
    lost = stack.soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/comments$", status=status)
    _person(stack, "alice").chat_postMessage(channel=channel, text="saved, but the answer never came back")
    assert _wait(lambda: _settled(stack, incident["id"], 1), timeout=60), stack.logs()
    assert lost.lost, "SOAR saved the note and its answer was lost"
    assert len(_one_note_per_event(stack, incident["id"])) == 1


def test_a_note_held_by_soar_past_the_claim_time_leaves_one_note(stack):
    """SOAR holds the first server's note for 12 s (claim time 4 s): Slack's retry reaches the other server,
    which takes the silent claim over and writes; the held note lands later and its writer removes it."""
    _runs(stack, ["run-a", "run-b"])
    incident, channel = _open_incident_channel(stack, "Held write")
    let_go = threading.Event()
    held = stack.soar.state.on_arrival("POST", rf"/incidents/{incident['id']}/comments$", lambda: let_go.wait(12))
    _person(stack, "alice").chat_postMessage(channel=channel, text="written while SOAR is slow")
    assert _wait(lambda: len(_mirrored(stack, incident["id"])) == 1, timeout=30), stack.logs()
    let_go.set()
    assert held.done.wait(30)
    assert _wait(lambda: _settled(stack, incident["id"], 1) and len(_mirrored(stack, incident["id"])) == 1,
                 timeout=60), stack.logs()
    assert len(_one_note_per_event(stack, incident["id"])) == 1


@pytest.mark.parametrize("step", ["claim", "writing", "note", "mark"])
def test_a_process_killed_at_any_step_of_an_event_leaves_one_note(stack, step):
    runs = _runs(stack, ["run-a", "run-b"])
    incident, channel = _open_incident_channel(stack, f"Killed at {step}")
    rows = rf"/incidents/{incident['id']}/table_data/slack_messages_db/row_data"
    method, pattern, after = {"claim": ("POST", rows + "$", 0), "writing": ("PUT", rows + r"/\d+", 0),
                              "note": ("POST", rf"/incidents/{incident['id']}/comments$", 0),
                              "mark": ("PUT", rows + r"/\d+", 1)}[step]
    hold = stack.soar.state.hold(method, pattern, after=after)
    _person(stack, "alice").chat_postMessage(channel=channel, text=f"written while a process dies ({step})")
    assert hold.arrived.wait(30), stack.logs()
    victim = next(name for name, key in KEYS.items() if key[0] == hold.callers[0])
    runs[victim].kill()
    hold.release()  # the dead process's request reaches SOAR after all
    assert _wait(lambda: _settled(stack, incident["id"], 1), timeout=90), stack.logs()
    assert len(_one_note_per_event(stack, incident["id"])) == 1


def test_a_server_whose_clock_runs_6_s_behind_keeps_its_claims(stack):
    """run-b's clock runs 6 s behind (libfaketime), the claim time is 4 s: its fresh claims look 10 s old to
    run-a. An event whose note takes run-b 3.5 s (past Slack's 3 s, so Slack sends it to run-a too) is still
    written once: run-a waits for what it sees of the claim, never for what run-b's clock wrote in it."""
    _runs(stack, ["run-a"])
    hub = stack.slack.socket_mode
    before = set(hub.open_connections())
    behind = stack.start_run("run-b", config=_config(stack, "run-b"), consumers=2, env=behind_by(6))
    try:
        assert hub.wait_for_connections(len(before) + 1, timeout=60), stack.logs()
        (run_b,) = set(hub.open_connections()) - before
        hub.first_choice = run_b   # Slack's first delivery goes to run-b (and a duplicate's too); retries to run-a
        _write_with_run_b_first(stack, run_b)
    finally:
        hub.first_choice = None
        behind.stop()   # the other tests meet servers whose clocks agree


def _write_with_run_b_first(stack: Stack, run_b: int) -> None:
    incident, channel = _open_incident_channel(stack, "Clock skew")
    hub = stack.slack.socket_mode
    first_delivery = len(hub.deliveries)
    hold = stack.soar.state.hold("POST", rf"/incidents/{incident['id']}/comments$")
    _person(stack, "alice").chat_postMessage(channel=channel, text="an update while run-b's clock is behind")
    assert hold.arrived.wait(30), stack.logs()
    assert hold.callers[0] == KEYS["run-b"][0], "the first delivery did not reach run-b"
    time.sleep(3.5)   # past Slack's 3 s: the envelope goes to run-a too
    hold.release()
    assert _wait(lambda: _settled(stack, incident["id"], 1), timeout=60), stack.logs()
    assert any(d.retry_attempt >= 1 and d.connection != run_b for d in hub.deliveries[first_delivery:]), \
        "Slack never retried the event at run-a"
    assert len(_one_note_per_event(stack, incident["id"])) == 1


def test_a_listener_down_longer_than_slack_s_hold_catches_up_on_restart(stack):
    """An integration server down for 10 minutes (here: killed, with Slack's hold made 3 s so the test is quick
    — it stands for the 10-minute outage and Slack's 5-minute hold): Slack drops the events meanwhile; the
    restarted listener reads the channel's history and notes every message, reply and edit once."""
    runs = _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Down for an upgrade")
    root = stack.slack.messages(channel)[-1]
    alice, bob = _person(stack, "alice"), _person(stack, "bob")
    alice.chat_postMessage(channel=channel, text="before the upgrade")
    assert _wait(lambda: _settled(stack, incident["id"], 1)), stack.logs()

    hub = stack.slack.socket_mode
    hub.event_hold_seconds = 3.0
    try:
        runs["run-a"].kill()
        assert _wait(lambda: hub.connection_count == 0, timeout=30)
        dropped = len(hub.dropped)
        written = [people.chat_postMessage(channel=channel, text=f"during the upgrade {n}")["ts"]
                   for n, people in enumerate([alice, bob, alice, bob, alice])]
        bob.chat_postMessage(channel=channel, thread_ts=root["ts"], text="a thread reply during the upgrade")
        alice.chat_update(channel=channel, ts=written[2], text="during the upgrade 2, corrected")
        assert _wait(lambda: len(hub.dropped) - dropped >= 7, timeout=30), "Slack's hold is over: all dropped"

        runs = _runs(stack, ["run-a"])
        assert _wait(lambda: _settled(stack, incident["id"], 8)), \
            [n["text"] for n in _mirrored(stack, incident["id"])] + [stack.logs()]
        assert runs["run-a"].wait_for_log("Slack catch-up done", timeout=60), stack.logs()
        time.sleep(2)   # anything written twice would show up now
    finally:
        hub.event_hold_seconds = 300.0
    notes = _mirrored(stack, incident["id"])
    keys = collections.Counter(re.search(r"slack-event (\S+)<", n["text"]).group(1) for n in notes)
    assert len(notes) == 8 and set(keys.values()) == {1}, keys
    texts = " ".join(n["text"] for n in notes)
    assert all(f"during the upgrade {n}" in texts for n in range(5))
    assert "a thread reply during the upgrade" in texts and "during the upgrade 2, corrected" in texts
    assert sum("edited a message" in n["text"] for n in notes) == 1


# --- routing: a channel mirrors into the one incident fn_slack linked it to -------------------------------------

def _route_notes(stack: Stack, incident_id: int) -> list[str]:
    return [n["text"] for n in stack.soar.state.notes_of(incident_id) if "slack-route route/" in n["text"]]


def _insider_links(stack: Stack, incident_id: int, channel: str, name: str, *, seal: str | None = None) -> None:
    """Someone who may edit an incident types a channel's ID into its Slack Conversations table (a row of their
    own, or one copied with its seal) and into its field slack_mirror_channels, through SOAR's REST API."""
    rest = stack.soar.rest_client()
    cells = {"slack_db_res_id": f"RES-{incident_id}", "slack_db_channel": name, "slack_db_channel_id": channel,
             "slack_db_channel_type": "Private", "slack_db_mirror": True, "slack_db_time": int(time.time() * 1000),
             **({"slack_db_seal": seal} if seal else {})}
    rest.post(f"/incidents/{incident_id}/table_data/slack_conversations_db/row_data?handle_format=names",
              {"cells": {column: {"value": value} for column, value in cells.items()}})
    MirrorIndex(rest).add(incident_id, channel)


def _quiet(stack: Stack, acked_before: int) -> None:
    """One more envelope acknowledged than ``acked_before``, none in flight, and a moment more."""
    assert _wait(lambda: len(stack.slack.socket_mode.acked) > acked_before
                 and not stack.slack.socket_mode.in_flight()), stack.logs()
    time.sleep(1)


def test_another_incident_s_private_one_way_channel_typed_into_an_incident_is_not_mirrored_there(stack):
    _runs(stack, ["run-a"])
    insider = stack.soar.create_incident("The insider's incident")["id"]
    owner = stack.soar.create_incident("Private and one-way")["id"]
    name = f"private-one-way-{owner}"
    result = stack.driver.run_playbook("example_post_incident_to_slack_pb", incident_id=owner,
                                       inputs={"rule_slack_channel": name, "rule_slack_is_channel_private": True,
                                               "rule_slack_participant_emails": "alice@example.com"})
    assert result.completed, result.report()
    channel = stack.slack.channel(name)["id"]
    _insider_links(stack, insider, channel, name)
    envelopes = len(stack.slack.socket_mode.acked)

    _person(stack, "alice").chat_postMessage(channel=channel, text="the CISO's private plan")
    _quiet(stack, envelopes)
    _person(stack, "alice").chat_postMessage(channel=channel, text="and a second private line")
    _quiet(stack, envelopes + 1)

    assert not _mirrored(stack, insider), "another incident's private channel was mirrored into the insider's"
    [refused] = _route_notes(stack, insider)
    assert f"fn_slack does not mirror channel <b>#{name}</b> ({channel}) into this incident" in refused
    assert f"the link RES-{insider} says it mirrors the channel, but fn_slack did not seal it" in refused
    assert "private plan" not in refused
    assert not _mirrored(stack, owner), "a one-way channel stays one-way"
    assert any(f"is not mirrored into incident {insider}" in line for line in stack.logs().splitlines())


def test_a_private_two_way_channel_copied_into_another_incident_is_noted_only_in_its_own(stack):
    _runs(stack, ["run-a"])
    insider = stack.soar.create_incident("Copies a link")["id"]   # lower-numbered: the one main mirrored into
    incident, channel = _open_incident_channel(stack, "Private two-way", private=True)
    owner = incident["id"]
    [row] = stack.soar.state.rows_of(owner)
    _insider_links(stack, insider, channel, row["slack_db_channel"], seal=row.get("slack_db_seal"))

    _person(stack, "alice").chat_postMessage(channel=channel, text="only for the owner's incident")

    assert _wait(lambda: _settled(stack, owner, 1) and _route_notes(stack, owner)), stack.logs()
    assert not _mirrored(stack, insider)
    [refused] = _route_notes(stack, insider)
    assert f"the seal of the link RES-{insider} no longer fits the row" in refused
    assert f"The channel mirrors into incident {owner}." in refused
    [told] = _route_notes(stack, owner)
    assert f"incident {insider} names this incident's channel" in told
    [noted] = _mirrored(stack, owner)
    assert "for the owner" in noted["text"]


def test_a_second_incident_cannot_mirror_a_channel_that_already_mirrors(stack):
    _runs(stack, ["run-a"])
    second = stack.soar.create_incident("Asks second, lower-numbered")["id"]
    incident, channel = _open_incident_channel(stack, "Mirrors first")
    first, name = incident["id"], f"two-way-{incident['id']}"
    before = len(stack.slack.messages(channel))

    refused = stack.driver.click(POST_INCIDENT, incident_id=second,
                                 properties={"rule_slack_channel": name, "rule_slack_is_channel_private": False,
                                             "rule_slack_text": "Mirror me too"})

    assert not refused.completed, "the second incident turned mirroring on for a channel that already mirrors"
    assert f"is already mirrored into incident {first}" in (refused.error or ""), refused.report()
    assert len(stack.slack.messages(channel)) == before
    _person(stack, "alice").chat_postMessage(channel=channel, text="which incident gets this?")
    assert _wait(lambda: _settled(stack, first, 1)), stack.logs()
    time.sleep(1)
    assert not _mirrored(stack, second)
    assert any("refused to mirror channel" in n["text"] for n in stack.soar.state.notes_of(second))
    assert any(f"A post of incident {second} asked to mirror" in n["text"] for n in stack.soar.state.notes_of(first))


def test_a_one_way_link_whose_mirror_flag_is_set_by_hand_is_not_mirrored(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("Mirror flag by hand")["id"]
    name = f"flag-by-hand-{incident}"
    result = stack.driver.run_playbook("example_post_incident_to_slack_pb", incident_id=incident,
                                       inputs={"rule_slack_channel": name, "rule_slack_is_channel_private": False,
                                               "rule_slack_participant_emails": "alice@example.com"})
    assert result.completed, result.report()
    channel = stack.slack.channel(name)["id"]
    rest = stack.soar.rest_client()
    uri = f"/incidents/{incident}/table_data/slack_conversations_db"
    [row] = rest.get(f"{uri}?handle_format=names")["rows"]
    cells = {column: {"value": cell.get("value")} for column, cell in row["cells"].items()}
    rest.put(f"{uri}/row_data/{row['id']}?handle_format=names",
             {"cells": {**cells, "slack_db_mirror": {"value": True}}})
    MirrorIndex(rest).add(incident, channel)
    envelopes = len(stack.slack.socket_mode.acked)

    _person(stack, "alice").chat_postMessage(channel=channel, text="not meant for SOAR")
    _quiet(stack, envelopes)

    assert not _mirrored(stack, incident)
    [refused] = _route_notes(stack, incident)
    assert "slack_db_mirror: (empty) → “true”" in refused


# --- questions ------------------------------------------------------------------------------------------------

ASK = "Example: Ask a Question in Slack"


def _ask(stack: Stack, incident_id: int, **properties) -> dict:
    result = stack.driver.click(ASK, incident_id=incident_id, properties={
        "rule_slack_question": "Isolate host-17 now?", "rule_slack_question_options": "Yes|No", **properties})
    assert result.completed, result.report() + stack.logs()
    return result.content


def _question_row(stack: Stack, incident_id: int) -> dict:
    [row] = stack.soar.state.rows_of(incident_id, "slack_questions_db")
    return row


def _click(stack: Stack, person: str, channel: str, ts: str, answer: str) -> str:
    message = next(m for m in _messages_with_buttons(stack, channel) if m["ts"] == ts)
    action = next(e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["value"] == answer)
    answered_before = len(_responses(stack, person))
    clicked = stack.slack.interactions.click(stack.slack.user_token(person), channel, ts, action)
    assert clicked["ok"], clicked
    _answered_in_slack(stack, person, clicked["envelope_id"], answered_before)
    return clicked["envelope_id"]


def _responses(stack: Stack, person: str) -> list[dict]:
    return stack.slack.interactions.responses_for(stack.slack.user(person)["id"])


def _answered_in_slack(stack: Stack, person: str, envelope_id: str, answered_before: int) -> None:
    """A click is acknowledged at once (Slack shows no timeout), and its outcome reaches the person who clicked
    through the response URL once its work is done."""
    assert stack.slack.socket_mode.wait_acked(envelope_id, timeout=3), stack.logs()
    assert envelope_id not in stack.slack.socket_mode.timeouts
    assert _wait(lambda: len(_responses(stack, person)) > answered_before), stack.logs()


def _messages_with_buttons(stack: Stack, channel: str) -> list[dict]:
    return [m for m in stack.slack.messages(channel) if m.get("blocks")]


def _told(stack: Stack, person: str) -> list[str]:
    return [r["body"]["text"] for r in stack.slack.interactions.responses_for(stack.slack.user(person)["id"])
            if r["body"].get("response_type") == "ephemeral"]


def _rewrite_question_row(stack: Stack, incident_id: int, question_id: str, **cells: object) -> None:
    """Write cells of a question's row with a fresh seal made with the servers' seal key: what only fn_slack can do."""
    [raw] = stack.soar.state.table_rows(incident_id, "slack_questions_db")["rows"]
    now = {column: cell["value"] for column, cell in raw["cells"].items()} | cells
    sealer = Sealer(SlackSettings(token="xoxb-sandbox-token", seal_key=SEAL_KEY).seal_secret)
    now["slack_q_seal"] = sealer.seal(seal_scope(incident_id, question_id), now, SEALED_COLUMNS)
    stack.soar.state.update_row(incident_id, "slack_questions_db", raw["id"],
                                {column: {"value": value} for column, value in now.items()})


def _edit_question_row(stack: Stack, incident_id: int, **cells: object) -> None:
    """Change cells of a question's row as a person with edit rights in SOAR does (the whole row is sent)."""
    [raw] = stack.soar.state.table_rows(incident_id, "slack_questions_db")["rows"]
    stack.soar.state.update_row(incident_id, "slack_questions_db", raw["id"],
                                {**raw["cells"], **{column: {"value": value} for column, value in cells.items()}})


def _notes_with(stack: Stack, incident_id: int, text: str) -> list[str]:
    return [n["text"] for n in stack.soar.state.notes_of(incident_id) if text in n["text"]]


def test_a_question_answered_by_a_click_reaches_soar_once_and_only_from_the_people_asked(stack):
    _runs(stack, ["run-a", "run-b"])
    incident = stack.soar.create_incident("Question by click")
    content = _ask(stack, incident["id"], rule_slack_channel=f"ask-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_participant_emails="alice@example.com")
    channel, ts = content["channel_id"], content["ts"]
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_id"], row["slack_q_status"], row["slack_q_options"]) == (content["question_id"], "open",
                                                                                  "Yes\nNo")
    assert row["slack_q_allowed"] == stack.slack.user("alice")["id"]

    _click(stack, "carol", channel, ts, "Yes")  # carol can see the public channel but was not asked
    assert _question_row(stack, incident["id"])["slack_q_status"] == "open"
    assert any("may answer this question" in t for t in _told(stack, "carol"))
    carol = stack.slack.user("carol")["id"]
    assert _wait(lambda: _notes_with(stack, incident["id"], "answer refused")), stack.logs()
    [refused] = _notes_with(stack, incident["id"], "answer refused")
    assert f"<b>Carol Clark &lt;carol@example.com&gt; ({carol})</b> answered <i>Yes</i>" in refused
    assert "not one of the people asked" in refused

    _click(stack, "alice", channel, ts, "No")
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "No", "Alice Adams")
    answered = [n["text"] for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]
    assert len(answered) == 1 and "<blockquote>No</blockquote>" in answered[0]
    shown = next(m for m in stack.slack.messages(channel) if m["ts"] == ts)
    assert "No" in shown["text"] and not any(b["type"] == "actions" for b in shown.get("blocks") or [])

    # the buttons are gone in Slack, but a click that was already on its way is told it came too late
    clicked = stack.slack.interactions.click(stack.slack.user_token("alice"), channel, ts, "fn_slack_answer_0")
    assert clicked == {"ok": False, "error": "action_not_found"}
    assert len([n for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]) == 1


def test_two_clicks_at_once_record_one_answer(stack):
    _runs(stack, ["run-a", "run-b"])
    incident = stack.soar.create_incident("Two clicks")
    content = _ask(stack, incident["id"], rule_slack_channel=f"race-q-{incident['id']}",
                   rule_slack_is_channel_private=False,
                   rule_slack_participant_emails="alice@example.com, bob@example.com")
    channel, ts = content["channel_id"], content["ts"]
    message = next(m for m in stack.slack.messages(channel) if m["ts"] == ts)
    actions = {e["value"]: e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    before = {p: len(_responses(stack, p)) for p in ("alice", "bob")}
    envelopes = [stack.slack.interactions.click(stack.slack.user_token(p), channel, ts, actions[a])["envelope_id"]
                 for p, a in (("alice", "Yes"), ("bob", "No"))]
    for person, envelope in zip(("alice", "bob"), envelopes, strict=True):
        _answered_in_slack(stack, person, envelope, before[person])
    row = _question_row(stack, incident["id"])
    winner = {"Yes": "alice", "No": "bob"}[row["slack_q_answer"]]
    loser = "bob" if winner == "alice" else "alice"
    assert row["slack_q_status"] == "answered"
    assert any("already answered" in t for t in _told(stack, loser)), _told(stack, loser)
    assert len([n for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]) == 1


def test_a_click_while_soar_is_slow_is_acknowledged_at_once_and_answered_once(stack):
    _runs(stack, ["run-a", "run-b"])
    incident = stack.soar.create_incident("Slow SOAR click")
    content = _ask(stack, incident["id"], rule_slack_channel=f"slow-q-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_participant_emails="alice@example.com")
    row_write = rf"/incidents/{incident['id']}/table_data/slack_questions_db/row_data/[0-9]+$"
    slow = stack.soar.state.on_arrival("PUT", row_write, lambda: time.sleep(5))   # 5 s to store the answer
    started = time.monotonic()
    _click(stack, "alice", content["channel_id"], content["ts"], "Yes")
    assert slow.done.is_set() and time.monotonic() - started >= 5
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "Yes", "Alice Adams")
    assert len([n for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]) == 1
    shown = next(m for m in stack.slack.messages(content["channel_id"]) if m["ts"] == content["ts"])
    assert shown["text"] == "Isolate host-17 now? — answered: Yes"


def test_a_click_whose_note_fails_at_first_is_retried_by_fn_slack_and_noted_once(stack):
    _runs(stack, ["run-a", "run-b"])
    incident = stack.soar.create_incident("Failing SOAR click")
    content = _ask(stack, incident["id"], rule_slack_channel=f"fail-q-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_participant_emails="bob@example.com")
    failing = stack.soar.state.fail_requests("POST", rf"/incidents/{incident['id']}/comments$", status=500, times=2)
    told_before = _told(stack, "bob")
    _click(stack, "bob", content["channel_id"], content["ts"], "No")   # Slack never sends this click again
    assert len(failing.failed) == 2
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == ("answered", "No", "Bob Brown")
    answered = [n["text"] for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]
    assert len(answered) == 1 and "<blockquote>No</blockquote>" in answered[0]
    shown = next(m for m in stack.slack.messages(content["channel_id"]) if m["ts"] == content["ts"])
    assert shown["text"] == "Isolate host-17 now? — answered: No"
    assert _told(stack, "bob") == told_before


def test_a_late_click_is_answered_in_slack_and_marks_the_question_expired(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("Late click")
    content = _ask(stack, incident["id"], rule_slack_channel=f"late-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_question_anyone=True)
    stack.slack.add_member(content["channel_id"], "alice")
    # The question's time runs out. fn_slack's clock is not the test's to move: the row gets an expiry in the past
    # and its seal again, as fn_slack itself would have written it (an expiry edited in SOAR alone is refused).
    _rewrite_question_row(stack, incident["id"], content["question_id"],
                          slack_q_expires=int(time.time() * 1000) - 1000)
    _click(stack, "alice", content["channel_id"], content["ts"], "Yes")
    assert _question_row(stack, incident["id"])["slack_q_status"] == "expired"
    assert any("expired" in t for t in _told(stack, "alice"))
    shown = next(m for m in stack.slack.messages(content["channel_id"]) if m["ts"] == content["ts"])
    assert shown["text"].startswith("Expired:")
    assert not [n for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]


def test_a_question_row_edited_in_soar_and_hostile_incident_data_are_not_acted_on(stack):
    """Through the two servers: a question built from incident data reaches Slack inert; someone who may edit the
    incident adds Carol to who may answer; her click, and then Alice's, are refused with one note naming the
    change; no answer is recorded and the rule on answers does not fire."""
    _runs(stack, ["run-a", "run-b"])
    incident = stack.soar.create_incident("Edited question")
    content = _ask(stack, incident["id"], rule_slack_channel=f"edited-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_participant_emails="alice@example.com",
                   rule_slack_question="Block <!channel> sender <@U0BOSS>?",
                   rule_slack_question_options="<https://evil.example/pay|Approve>\nNo")
    channel, ts = content["channel_id"], content["ts"]
    asked = next(m for m in stack.slack.messages(channel) if m["ts"] == ts)
    assert "<!channel>" not in asked["text"] and "<@U0BOSS>" not in asked["text"], asked["text"]
    [sent] = [n for n in stack.slack.notifications if n["ts"] == ts]
    assert sent["broadcast"] == [] and "U0BOSS" not in sent["users"], sent

    alice, carol = stack.slack.user("alice")["id"], stack.slack.user("carol")["id"]
    _edit_question_row(stack, incident["id"], slack_q_allowed=f"{alice} {carol}")
    before = {person: len(_told(stack, person)) for person in ("alice", "carol")}
    _click(stack, "carol", channel, ts, "No")
    _click(stack, "alice", channel, ts, "No")
    assert _wait(lambda: _notes_with(stack, incident["id"], "outside fn_slack")
                 and not stack.slack.socket_mode.in_flight()), stack.logs()
    [altered] = _notes_with(stack, incident["id"], "outside fn_slack")
    assert f"<li>slack_q_allowed: {alice} → {alice} {carol}</li>" in altered
    told = _told(stack, "carol")[before["carol"]:] + _told(stack, "alice")[before["alice"]:]
    assert len(told) == 2 and all("changed outside fn_slack" in t for t in told), told
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_allowed"]) == ("open", f"{alice} {carol}")
    assert not _notes_with(stack, incident["id"], "answered the question")


def test_a_question_asked_directly_is_answered_in_the_direct_message(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("Direct question")
    content = _ask(stack, incident["id"], rule_slack_participant_emails="bob@example.com",
                   rule_slack_question_direct=True)
    assert content["channel_id"].startswith("D")
    assert stack.slack.channel(content["channel_id"])["members"] == [stack.slack.bot_user_id,
                                                                      stack.slack.user("bob")["id"]]
    _click(stack, "bob", content["channel_id"], content["ts"], "Yes")
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "Yes", "Bob Brown")


def test_a_reply_in_the_question_s_thread_answers_it_in_the_person_s_words(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("Free-text answer")
    content = _ask(stack, incident["id"], rule_slack_channel=f"free-{incident['id']}",
                   rule_slack_is_channel_private=False, rule_slack_participant_emails="alice@example.com")
    channel, ts = content["channel_id"], content["ts"]
    stack.slack.add_member(channel, "carol")
    _person(stack, "carol").chat_postMessage(channel=channel, thread_ts=ts, text="just do it")
    # Carol's reply is judged before Alice answers: the listener handles envelopes in parallel, and a question
    # already answered is a different outcome for Carol (issue 20 decides what a person not asked is told).
    carol = stack.slack.user("carol")["id"]
    assert _wait(lambda: [e for e in stack.slack.ephemerals if e["user"] == carol]), stack.logs()
    _person(stack, "alice").chat_postMessage(channel=channel, thread_ts=ts, text="Only the *VLAN*, not the host")
    assert _wait(lambda: [n for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]
                 and not stack.slack.socket_mode.in_flight()), stack.logs()
    row = _question_row(stack, incident["id"])
    assert (row["slack_q_status"], row["slack_q_answer"], row["slack_q_answered_by"]) == \
        ("answered", "Only the *VLAN*, not the host", "Alice Adams")
    [note] = [n["text"] for n in stack.soar.state.notes_of(incident["id"]) if "answered the question" in n["text"]]
    assert "<b>VLAN</b>" in note
    # the question message (changed by chat.update) shows the answer in place of its buttons
    shown = next(m for m in stack.slack.messages(channel) if m["ts"] == ts)
    assert not [b for b in shown.get("blocks") or [] if b["type"] == "actions"], shown
    assert "Only the *VLAN*, not the host" in json.dumps(shown["blocks"])
    told = [e for e in stack.slack.ephemerals if e["user"] == carol]
    assert told and "may answer this question" in told[0]["text"]


def test_after_slack_asks_for_a_refresh_the_listener_reconnects_and_keeps_mirroring(stack):
    _runs(stack, ["run-a"])
    incident, channel = _open_incident_channel(stack, "Refresh")
    opened = len(stack.slack.calls_to("apps.connections.open"))
    assert stack.slack.socket_mode.disconnect(reason="refresh_requested") == 1
    assert _wait(lambda: len(stack.slack.calls_to("apps.connections.open")) > opened), stack.logs()
    assert stack.slack.socket_mode.wait_for_connections(1, timeout=60), stack.logs()
    _person(stack, "alice").chat_postMessage(channel=channel, text="still mirrored after the refresh")
    assert _wait(lambda: _settled(stack, incident["id"], 1)), stack.logs()
    assert "still mirrored after the refresh" in _mirrored(stack, incident["id"])[0]["text"]


def test_a_task_channel_mirrors_into_task_notes(stack):
    _runs(stack, ["run-a"])
    incident = stack.soar.create_incident("Task channel")
    task = stack.soar.create_task(incident["id"], "Reset passwords")
    name = f"task-room-{task['id']}"
    result = stack.driver.click("Example: Post Task to Slack", incident_id=incident["id"], task_id=task["id"],
                                properties={"rule_slack_channel": name, "rule_slack_is_channel_private": True,
                                            "rule_slack_participant_emails": "carol@example.com"})
    assert result.completed, result.report()
    channel = stack.slack.channel(name)["id"]
    _person(stack, "carol").chat_postMessage(channel=channel, text="All 3 passwords reset")
    def task_notes() -> list[dict]:
        return [n for n in stack.soar.state.notes_of(incident["id"], task["id"]) if "slack-event " in n["text"]]

    assert _wait(lambda: task_notes() and not stack.slack.socket_mode.in_flight()), stack.logs()
    [note] = task_notes()
    assert "Carol" in note["text"] and "All 3 passwords reset" in note["text"]
    assert not _mirrored(stack, incident["id"]), "the task's channel writes to the task, not the incident"
    assert [r["slack_msg_state"] for r in stack.soar.state.rows_of(incident["id"], "slack_messages_db")] == ["noted"]
