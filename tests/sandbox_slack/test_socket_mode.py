"""The sandbox's Socket Mode and interactivity, driven by slack_sdk's own Socket Mode client and WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from sandbox.slack.socket_mode import (
    APP_TOKEN,
    DROPPED_AFTER_RETRIES,
    DROPPED_UNCONNECTED,
    EVENT_HOLD_SECONDS,
    MAX_CONNECTIONS,
    SocketModeHub,
)


class App:
    """One Socket Mode connection that records every request and acks unless told not to."""

    def __init__(self, sb, *, ack: bool = True) -> None:
        self.ack = ack
        self.requests: list = []
        self.lock = threading.Lock()
        self.client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
        self.client.socket_mode_request_listeners.append(self._on)

    def _on(self, client, req) -> None:
        with self.lock:
            self.requests.append(req)
        if self.ack:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def texts(self) -> list[str]:
        with self.lock:
            return [r.payload["event"].get("text") for r in self.requests if r.type == "events_api"]

    def clicks(self) -> list:
        with self.lock:
            return [r for r in self.requests if r.type == "interactive"]


@pytest.fixture
def apps(sb):
    made: list[App] = []

    def make(**kwargs) -> App:
        app = App(sb, **kwargs)
        app.client.connect()
        made.append(app)
        assert sb.socket_mode.wait_for_connections(len(made), timeout=10)
        return app

    yield make
    for app in made:
        app.client.close()


def wait(predicate, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_connections_open_needs_an_app_level_token(sb, make_client):
    assert make_client(APP_TOKEN).apps_connections_open(app_token=APP_TOKEN)["url"].startswith("ws://127.0.0.1:")
    for token, error in ((sb.default_token, "not_allowed_token_type"), ("xapp-1-unknown", "invalid_auth")):
        with pytest.raises(SlackApiError) as err:
            WebClient(base_url=sb.base_url).apps_connections_open(app_token=token)
        assert err.value.response["error"] == error


def test_messages_edits_and_deletions_arrive_as_acked_events_where_the_bot_is_a_member(sb, apps, make_client):
    app = apps()
    room = sb.add_channel("room", members=["alice", "bot"])
    elsewhere = sb.add_channel("elsewhere", members=["alice"])
    alice = make_client(sb.user_token("alice"))
    ts = alice.chat_postMessage(channel=room, text="hello")["ts"]
    alice.chat_postMessage(channel=elsewhere, text="the bot is not here")
    alice.chat_update(channel=room, ts=ts, text="hello again")
    alice.chat_delete(channel=room, ts=ts)
    assert wait(lambda: len(app.requests) == 3)
    kinds = [(r.payload["event"].get("subtype"), r.payload["event"]["channel"]) for r in app.requests]
    assert kinds == [(None, room), ("message_changed", room), ("message_deleted", room)]
    first = app.requests[0]
    assert first.payload["type"] == "event_callback" and first.payload["event_id"].startswith("Ev")
    assert first.retry_attempt == 0 and first.payload["event"]["user"] == sb.user("alice")["id"]
    assert app.requests[1].payload["event"]["previous_message"]["text"] == "hello"
    assert app.requests[2].payload["event"]["deleted_ts"] == ts
    assert wait(lambda: len(sb.socket_mode.acked) == 3) and not sb.socket_mode.in_flight()


def test_an_unacked_envelope_is_retried_with_its_attempt_and_reason(sb, apps):
    sb.socket_mode.ack_timeout = 0.3
    try:
        app = apps(ack=False)
        room = sb.add_channel("retries", members=["alice", "bot"])
        sb.add_message(room, "alice", "are you there?")
        assert wait(lambda: len(app.requests) == 4)
        assert [(r.retry_attempt, r.retry_reason) for r in app.requests] == \
            [(0, ""), (1, "timeout"), (2, "timeout"), (3, "timeout")]
        assert len({r.envelope_id for r in app.requests}) == 1
        assert wait(lambda: len(sb.socket_mode.dropped) == 1)
    finally:
        sb.socket_mode.ack_timeout = 3.0


def test_events_for_an_app_without_a_connection_are_dropped_after_the_hold(sb, apps):
    """Slack does not keep an unconnected app's events for good: past the hold they are gone, with the reason;
    an event published within the hold still arrives when the app connects."""
    assert sb.socket_mode.event_hold_seconds == EVENT_HOLD_SECONDS == 300
    sb.socket_mode.event_hold_seconds = 1.0
    room = sb.add_channel("held", members=["alice", "bot"])
    sb.add_message(room, "alice", "while nobody listens")
    assert wait(lambda: len(sb.socket_mode.dropped) == 1, timeout=5)
    [gone] = sb.socket_mode.dropped
    assert sb.socket_mode.drop_reasons[gone] == DROPPED_UNCONNECTED
    sb.socket_mode.event_hold_seconds = 30.0   # the next one is still held when the app connects
    sb.add_message(room, "alice", "just before the app is back")
    app = apps()
    assert wait(lambda: app.texts() == ["just before the app is back"])
    time.sleep(1.0)   # nothing else arrives: the first event is gone for good
    assert app.texts() == ["just before the app is back"]
    assert sb.socket_mode.drop_reasons == {gone: DROPPED_UNCONNECTED}


def test_the_hold_is_a_setting_of_the_hub_and_its_environment_variable(monkeypatch):
    monkeypatch.setenv("SLACK_SANDBOX_EVENT_HOLD_SECONDS", "7.5")
    monkeypatch.setenv("SLACK_SANDBOX_DUPLICATE_EVENTS", "3")
    hub = SocketModeHub(lambda: "A1")
    assert (hub.event_hold_seconds, hub.duplicate_events) == (7.5, 3)
    hub = SocketModeHub(lambda: "A1", event_hold_seconds=2, duplicate_events=0)
    assert (hub.event_hold_seconds, hub.duplicate_events) == (2, 0)


def test_an_unacked_event_on_a_live_connection_is_dropped_after_its_retries_with_the_reason(sb, apps):
    sb.socket_mode.ack_timeout = 0.2
    try:
        apps(ack=False)
        room = sb.add_channel("no-acks", members=["alice", "bot"])
        sb.add_message(room, "alice", "unanswered")
        assert wait(lambda: len(sb.socket_mode.dropped) == 1)
        assert list(sb.socket_mode.drop_reasons.values()) == [DROPPED_AFTER_RETRIES]
    finally:
        sb.socket_mode.ack_timeout = 3.0


def test_with_duplicate_deliveries_on_an_event_arrives_twice_under_two_envelope_ids(sb, apps):
    sb.socket_mode.duplicate_events = 2   # every second event
    app = apps()
    room = sb.add_channel("twice", members=["alice", "bot"])
    for text in ("one", "two", "three", "four"):
        sb.add_message(room, "alice", text)
    assert wait(lambda: len(app.requests) == 6)
    assert sorted(app.texts()) == sorted(["one", "two", "two", "three", "four", "four"])
    twice = [r for r in app.requests if r.payload["event"]["text"] == "two"]
    assert len({r.envelope_id for r in twice}) == 2 and len({r.payload["event_id"] for r in twice}) == 1
    assert len(sb.socket_mode.duplicated) == 2
    assert wait(lambda: not sb.socket_mode.in_flight())


def test_events_carry_the_authorizations_of_the_installation(sb, apps):
    app = apps()
    room = sb.add_channel("authorized", members=["alice", "bot"])
    sb.add_message(room, "alice", "who is this for?")
    assert wait(lambda: len(app.requests) == 1)
    assert app.requests[0].payload["authorizations"] == [
        {"enterprise_id": None, "team_id": sb.team_id, "user_id": sb.bot_user_id, "is_bot": True,
         "is_enterprise_install": False}]


def test_an_eleventh_connection_is_told_too_many_websockets(sb, apps):
    for _ in range(MAX_CONNECTIONS):
        apps()
    url = WebClient(base_url=sb.base_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(url, open_timeout=5) as ws:
        message = json.loads(ws.recv(timeout=5))
        assert (message["type"], message["reason"]) == ("disconnect", "too_many_websockets")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert sb.socket_mode.connection_count == MAX_CONNECTIONS and len(sb.socket_mode.too_many) == 1


def test_envelopes_are_spread_over_connections_and_a_closed_one_s_go_to_another(sb, apps):
    first, second = apps(), apps(ack=False)
    room = sb.add_channel("spread", members=["alice", "bot"])
    for i in range(10):
        sb.add_message(room, "alice", f"m{i}")
    assert wait(lambda: len(second.requests) >= 1 and len(first.texts()) >= 5)
    second.client.close()  # it held envelopes unacked: they go to the first connection at once
    assert wait(lambda: sorted(set(first.texts())) == sorted(f"m{i}" for i in range(10)))
    assert any(r.retry_attempt >= 1 for r in first.requests)
    assert wait(lambda: not sb.socket_mode.in_flight())


def test_disconnect_makes_slack_sdk_open_a_new_connection(sb, apps):
    app = apps()
    opened = len(sb.calls_to("apps.connections.open"))
    assert sb.socket_mode.disconnect(reason="refresh_requested") == 1
    assert wait(lambda: len(sb.calls_to("apps.connections.open")) > opened)
    assert sb.socket_mode.wait_for_connections(1, timeout=10)
    room = sb.add_channel("after-refresh", members=["alice", "bot"])
    sb.add_message(room, "alice", "still heard")
    assert wait(lambda: "still heard" in app.texts())


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",  # noqa: S310 - 127.0.0.1
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())


def test_a_click_sends_block_actions_and_the_response_url_answers(sb, apps, make_client):
    app = apps()
    room = sb.add_channel("question", members=["alice", "bot"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Isolate?"}},
              {"type": "actions", "block_id": "q1", "elements": [
                  {"type": "button", "action_id": "yes", "value": "Yes",
                   "text": {"type": "plain_text", "text": "Yes"}}]}]
    ts = make_client().chat_postMessage(channel=room, text="Isolate?", blocks=blocks)["ts"]
    click_url = f"http://127.0.0.1:{sb.port}/_sandbox/interact/click"
    assert _post_json(click_url, {"token": sb.user_token("alice"), "channel": room, "message_ts": ts,
                                  "action_id": "nope"})["error"] == "action_not_found"
    assert _post_json(click_url, {"token": sb.user_token("alice"), "channel": room, "message_ts": ts,
                                  "action_id": "yes"})["ok"]
    assert wait(lambda: any(r.type == "interactive" for r in app.requests))
    payload = next(r.payload for r in app.requests if r.type == "interactive")
    assert payload["type"] == "block_actions" and payload["user"]["id"] == sb.user("alice")["id"]
    assert payload["actions"][0]["value"] == "Yes" and payload["container"]["message_ts"] == ts
    answer = _post_json(payload["response_url"], {"replace_original": True, "text": "Answered: Yes", "blocks": []})
    assert answer["ok"]
    assert sb.messages(room)[-1]["text"] == "Answered: Yes"
    assert _post_json(payload["response_url"], {"response_type": "ephemeral", "text": "noted"})["ok"]
    assert [r["body"]["text"] for r in sb.interactions.responses_for(sb.user("alice")["id"])] == \
        ["Answered: Yes", "noted"]


def _question(sb, make_client, name: str) -> tuple[str, str]:
    room = sb.add_channel(name, members=["alice", "bot"])
    blocks = [{"type": "actions", "block_id": "q1", "elements": [
        {"type": "button", "action_id": "yes", "value": "Yes", "text": {"type": "plain_text", "text": "Yes"}}]}]
    return room, make_client().chat_postMessage(channel=room, text="Isolate?", blocks=blocks)["ts"]


def test_a_click_is_sent_once_and_unacknowledged_leaves_the_person_a_timeout(sb, apps, make_client):
    app = apps(ack=False)
    room, ts = _question(sb, make_client, "click-once")
    clicked = sb.interactions.click(sb.user_token("alice"), room, ts, "yes")
    assert clicked["ok"], clicked
    assert wait(app.clicks)
    [request] = app.clicks()
    assert (request.type, request.accepts_response_payload, request.retry_attempt, request.retry_reason) == \
        ("interactive", False, None, None)
    assert sb.socket_mode.wait_timed_out(clicked["envelope_id"], timeout=10)
    eid = clicked["envelope_id"]
    assert sb.socket_mode.timeouts[eid] - sb.socket_mode.published[eid] >= 2.9
    time.sleep(1.0)   # past the time an event's first retry would have come
    assert len(app.clicks()) == 1, "a click is never delivered again"
    assert clicked["envelope_id"] not in sb.socket_mode.acked
    assert clicked["envelope_id"] not in sb.socket_mode.in_flight()


def test_a_click_acknowledged_in_time_leaves_no_timeout(sb, apps, make_client):
    apps()
    room, ts = _question(sb, make_client, "click-acked")
    clicked = sb.interactions.click(sb.user_token("alice"), room, ts, "yes")
    assert sb.socket_mode.wait_acked(clicked["envelope_id"], timeout=5)
    assert not sb.socket_mode.wait_timed_out(clicked["envelope_id"], timeout=3.5)


def test_a_click_while_no_connection_is_open_times_out_and_is_not_delivered_later(sb, make_client, apps):
    room, ts = _question(sb, make_client, "click-nobody")
    clicked = sb.interactions.click(sb.user_token("alice"), room, ts, "yes")
    assert sb.socket_mode.wait_timed_out(clicked["envelope_id"], timeout=10)
    app = apps()
    sb.add_message(room, "alice", "a message after the click")
    assert wait(lambda: "a message after the click" in app.texts())
    assert not app.clicks()
