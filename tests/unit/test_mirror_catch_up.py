"""Nothing lost across outages: the real MirrorService (slack_sdk's Socket Mode client, resilient's REST client)
against both sandboxes, with the Slack sandbox dropping events for an app that stays away longer than Slack's
hold. Messages written meanwhile (a thread reply, an edit and a file among them) become notes once each when
the listener connects again — with Slack's duplicate deliveries on, and with two listeners catching up at once.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from slack_sdk import WebClient

from fn_slack.lib.mirror import MirrorService
from fn_slack.lib.mirror_catch_up import event_time
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.seals import Sealer
from sandbox.slack.socket_mode import APP_TOKEN, DROPPED_UNCONNECTED
from tests.polling import wait_until
from tests.unit.soar_links import sealed

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
HOLD = 1.0   # stands for Slack's 5 minutes
WRITTEN_AWAY = 6



def _note_keys(soar, incident_id: int) -> list[str]:
    """The Slack event each mirrored note is for (its reference), one entry per note."""
    keys = []
    for note in soar.state.notes_of(incident_id):
        text = note["text"]["content"] if isinstance(note["text"], dict) else note["text"]
        keys += re.findall(r"slack-event ([^<\s]+)", str(text))
    return keys


class _Listener:
    """One integration server's listener: a MirrorService started as the component starts it."""

    def __init__(self, slack, rest, owner: str) -> None:
        settings = SlackSettings(token=slack.default_token, api_url=slack.base_url, app_token=APP_TOKEN,
                                 event_claim_seconds=2)
        self.service = MirrorService(settings, rest)
        self.service.mirror.owner = owner

    def start(self) -> _Listener:
        self.service.start()
        return self

    def caught_up(self) -> bool:
        return self.service.catch_up.runs >= 1 and self.service.catch_up.idle.is_set()

    def stop(self) -> None:
        self.service.close()


@pytest.fixture
def mirrored(slack, soar, rest):
    """A channel (alice, bob and the app's bot in it) that an incident mirrors, with its link made now."""
    incident = soar.create_incident("Catch-up")
    channel = slack.add_channel(f"catch-up-{incident['id']}", members=["alice", "bob", "bot"])
    sealer = Sealer(SlackSettings(token=slack.default_token).seal_secret)
    soar.state.add_row(incident["id"], "slack_conversations_db", sealed(
        sealer, incident["id"], slack_db_res_id=f"RES-{incident['id']}", slack_db_channel=f"catch-up-{incident['id']}",
        slack_db_channel_id=channel, slack_db_mirror=True, slack_db_channel_type="Public",
        slack_db_time=int(time.time() * 1000) - 5000))
    MirrorIndex(rest).add(incident["id"], channel)
    yield incident["id"], channel
    slack.socket_mode.reset()


def _outage(slack, channel: str) -> list[str]:
    """While no listener is connected and for longer than the hold: messages, a reply in the thread of one of
    them, an edit of another and a file; returns the keys their notes must carry."""
    alice = WebClient(token=slack.user_token("alice"), base_url=slack.base_url)
    bob = WebClient(token=slack.user_token("bob"), base_url=slack.base_url)
    assert wait_until(lambda: slack.socket_mode.connection_count == 0, timeout=20)
    slack.socket_mode.event_hold_seconds = HOLD
    dropped_before = len(slack.socket_mode.dropped)
    written = [alice.chat_postMessage(channel=channel, text=f"while away {n}")["ts"] for n in range(WRITTEN_AWAY)]
    reply = bob.chat_postMessage(channel=channel, thread_ts=written[0], text="a reply while away")["ts"]
    alice.chat_update(channel=channel, ts=written[1], text="while away 1, corrected")
    shared = slack.add_message(channel, "bob", "the log while away", files=[{"name": "away.log", "content": "x"}])
    edit_ts = next(m for m in slack.messages(channel) if m["ts"] == written[1])["edited"]["ts"]
    events = WRITTEN_AWAY + 3
    assert wait_until(lambda: len(slack.socket_mode.dropped) - dropped_before >= events, timeout=20), \
        "the sandbox must drop what an unconnected app was not there to get"
    assert set(slack.socket_mode.drop_reasons.values()) == {DROPPED_UNCONNECTED}
    return ([f"{channel}/{ts}" for ts in written] + [f"{channel}/{reply}", f"{channel}/{written[1]}/edit/{edit_ts}",
                                                      f"{channel}/{shared}"])


def _live_note(slack, soar, incident_id: int, channel: str) -> str:
    ts = slack.add_message(channel, "alice", "before the outage")
    key = f"{channel}/{ts}"
    assert wait_until(lambda: key in _note_keys(soar, incident_id), timeout=60), "the live path mirrors first"
    return key


@pytest.mark.parametrize("duplicates", [0, 1], ids=["slack-as-usual", "every-event-delivered-twice"])
def test_messages_written_while_the_listener_was_away_longer_than_slack_s_hold_are_noted_once(
        slack, soar, rest, mirrored, duplicates):
    incident_id, channel = mirrored
    slack.socket_mode.duplicate_events = duplicates
    first = _Listener(slack, rest, "host:a").start()
    try:
        live = _live_note(slack, soar, incident_id, channel)
    finally:
        first.stop()

    away = _outage(slack, channel)

    again = _Listener(slack, rest, "host:a").start()   # the integration server restarted
    try:
        assert wait_until(lambda: set(_note_keys(soar, incident_id)) >= {live, *away} and again.caught_up(),
                          timeout=60), \
            sorted(set(away) - set(_note_keys(soar, incident_id)))
        after = slack.add_message(channel, "bob", "after the outage")     # live again
        assert wait_until(lambda: f"{channel}/{after}" in _note_keys(soar, incident_id), timeout=60)
        time.sleep(1.0)   # any duplicate delivery has had its chance
    finally:
        again.stop()
    keys = _note_keys(soar, incident_id)
    assert sorted(keys) == sorted([live, *away, f"{channel}/{after}"]), "every message noted, none twice"
    notes = " ".join(str(n["text"]) for n in soar.state.notes_of(incident_id))
    assert "a reply while away" in notes and "while away 1, corrected" in notes and "away.log" in notes
    rows = soar.state.rows_of(incident_id, "slack_messages_db")
    assert sorted(r["slack_msg_key"] for r in rows) == sorted(keys)
    assert {r["slack_msg_state"] for r in rows} == {"noted"}


def test_two_listeners_catching_up_at_once_note_each_message_once(slack, soar, rest, mirrored):
    incident_id, channel = mirrored
    first = _Listener(slack, rest, "host:a").start()
    try:
        live = _live_note(slack, soar, incident_id, channel)
    finally:
        first.stop()
    away = _outage(slack, channel)

    listeners = [_Listener(slack, rest, owner) for owner in ("host:a", "host:b")]
    starts = [threading.Thread(target=listener.start) for listener in listeners]
    for thread in starts:
        thread.start()
    try:
        assert wait_until(lambda: all(listener.caught_up() for listener in listeners), timeout=60)
    finally:
        for listener in listeners:
            listener.stop()
    keys = _note_keys(soar, incident_id)
    assert sorted(keys) == sorted([live, *away])


def test_the_mark_is_the_time_of_the_event_a_key_names():
    assert event_time("C1/1700000000.000100") == pytest.approx(1700000000.0001)
    assert event_time("C1/1700000000.000100/edit/1700000050.000000") == pytest.approx(1700000050.0)
    assert event_time("C1/1700000000.000100/deleted") == pytest.approx(1700000000.0001)


def test_a_channel_that_cannot_be_read_is_named_in_a_warning_and_the_others_are_still_caught_up(
        slack, soar, rest, mirrored, caplog):
    incident_id, channel = mirrored
    other = soar.create_incident("Private channel the app was taken out of")
    private = slack.add_channel(f"gone-{other['id']}", is_private=True, members=["alice"])
    sealer = Sealer(SlackSettings(token=slack.default_token).seal_secret)
    soar.state.add_row(other["id"], "slack_conversations_db", sealed(
        sealer, other["id"], slack_db_res_id=f"RES-{other['id']}", slack_db_channel=f"gone-{other['id']}",
        slack_db_channel_id=private, slack_db_mirror=True, slack_db_channel_type="Private",
        slack_db_time=int(time.time() * 1000) - 5000))
    MirrorIndex(rest).add(other["id"], private)
    written = slack.add_message(channel, "alice", "written while no listener was connected")
    listener = _Listener(slack, rest, "host:a")   # not connected: the catch-up is run as a connection runs it

    with caplog.at_level("INFO"):
        found = listener.service.catch_up.run()

    assert found >= 1 and _note_keys(soar, incident_id) == [f"{channel}/{written}"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(private in w and str(other["id"]) in w and "not caught up" in w for w in warnings), warnings
    assert any("Slack catch-up done" in r.getMessage() for r in caplog.records)


def test_the_catch_up_reads_a_channel_only_for_the_incident_it_mirrors_into(slack, soar, rest, mirrored):
    incident_id, channel = mirrored
    insider = soar.create_incident("Names another incident's channel")["id"]
    soar.state.add_row(insider, "slack_conversations_db", {
        "slack_db_res_id": {"value": f"RES-{insider}"}, "slack_db_channel_id": {"value": channel},
        "slack_db_mirror": {"value": True}, "slack_db_time": {"value": int(time.time() * 1000) - 5000}})
    MirrorIndex(rest).add(insider, channel)
    written = slack.add_message(channel, "alice", "written while no listener was connected")
    listener = _Listener(slack, rest, "host:a")
    calls = len(slack.calls)

    listener.service.catch_up.run()

    assert _note_keys(soar, incident_id) == [f"{channel}/{written}"]
    assert _note_keys(soar, insider) == []
    assert [c.method for c in slack.calls[calls:] if c.params.get("channel") == channel].count(
        "conversations.history") == 1, "read for the incident it mirrors into, not for the one naming it"
    notes = [n["text"]["content"] if isinstance(n["text"], dict) else n["text"] for n in soar.state.notes_of(insider)]
    assert len(notes) == 1 and "fn_slack does not mirror channel" in notes[0]
