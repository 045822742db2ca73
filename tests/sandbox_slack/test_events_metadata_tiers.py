"""Message events as Slack sends them (file shares with the ``file_share`` subtype, metadata left out),
metadata in conversations.replies only when asked for, and the rate tiers of the methods two-way channels use."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.slack.socket_mode import APP_TOKEN

METADATA = {"event_type": "fn_slack_post", "event_payload": {"key": "k-1"}}


class _Events:
    """The app's Socket Mode connection: acks everything and keeps each message event."""

    def __init__(self, sb) -> None:
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        self.client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
        self.client.socket_mode_request_listeners.append(self._on)
        self.client.connect()
        assert sb.socket_mode.wait_for_connections(1, timeout=10)

    def _on(self, client, req) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        if req.type == "events_api":
            with self.arrived:
                self.events.append(req.payload["event"])
                self.arrived.notify_all()

    def wait_for(self, predicate) -> dict:
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(predicate(e) for e in self.events), timeout=10), self.events
            return next(e for e in self.events if predicate(e))


@pytest.fixture
def events(sb):
    made = _Events(sb)
    yield made
    made.client.close()


def test_a_file_share_arrives_with_the_file_share_subtype_and_its_files(sb, events, make_client):
    room = sb.add_channel("files", members=["alice", "bot"])
    alice = make_client(sb.user_token("alice"))
    alice.chat_postMessage(channel=room, text="plain")
    alice.files_upload_v2(channel=room, content="log line", filename="a.log", initial_comment="see the log")

    share = events.wait_for(lambda e: e.get("files"))
    assert share["subtype"] == "file_share" and share["upload"] is True
    assert [f["name"] for f in share["files"]] == ["a.log"] and share["text"] == "see the log"
    assert "team" not in share
    plain = events.wait_for(lambda e: e.get("text") == "plain")
    assert "subtype" not in plain and plain["team"] == sb.team_id


def test_message_events_leave_metadata_out_unless_the_switch_keeps_it(sb, events, client):
    room = sb.add_channel("meta", members=["bot"])
    ts = client.chat_postMessage(channel=room, text="with metadata", metadata=METADATA)["ts"]
    client.chat_update(channel=room, ts=ts, text="edited", metadata=METADATA)
    posted = events.wait_for(lambda e: e.get("text") == "with metadata")
    edited = events.wait_for(lambda e: e.get("subtype") == "message_changed")
    assert "metadata" not in posted
    assert "metadata" not in edited["message"] and "metadata" not in edited["previous_message"]

    sb.set_realism(event_metadata=True)
    client.chat_postMessage(channel=room, text="kept", metadata=METADATA)
    kept = events.wait_for(lambda e: e.get("text") == "kept")
    assert kept["metadata"]["event_type"] == "fn_slack_post"


def test_replies_carry_metadata_only_with_include_all_metadata(sb, client):
    room = sb.add_channel("meta", members=["bot"])
    parent = client.chat_postMessage(channel=room, text="parent", metadata=METADATA)["ts"]
    client.chat_postMessage(channel=room, text="reply", thread_ts=parent, metadata=METADATA)
    plain = client.conversations_replies(channel=room, ts=parent)["messages"]
    assert [m["text"] for m in plain] == ["parent", "reply"] and not [m for m in plain if "metadata" in m]
    full = client.conversations_replies(channel=room, ts=parent, include_all_metadata=True)["messages"]
    assert [m["metadata"]["event_payload"] for m in full] == [{"key": "k-1"}, {"key": "k-1"}]


def _tiers(sb, client) -> dict:
    """Each method's call (made again and again) and the calls a minute its tier allows."""
    room = sb.add_channel("tiers", members=["bot", "alice"])
    alice = sb.user("alice")["id"]
    ts = sb.add_message(room, "bot", "to edit")
    doomed = iter([sb.add_message(room, "bot", f"to delete {n}") for n in range(60)])
    names = iter(f"tiers-{n}" for n in range(60))
    to_pin = iter([sb.add_message(room, "bot", f"to pin {n}") for n in range(30)])
    app = WebClient(base_url=sb.base_url, retry_handlers=[])
    return {
        "chat.update": (lambda: client.chat_update(channel=room, ts=ts, text="x"), 50),
        "chat.delete": (lambda: client.chat_delete(channel=room, ts=next(doomed)), 50),
        "chat.postEphemeral": (lambda: client.chat_postEphemeral(channel=room, user=alice, text="x"), 100),
        "conversations.open": (lambda: client.conversations_open(users=alice), 50),
        "conversations.setTopic": (lambda: client.conversations_setTopic(channel=room, topic="t"), 20),
        "conversations.setPurpose": (lambda: client.conversations_setPurpose(channel=room, purpose="p"), 20),
        "conversations.rename": (lambda: client.conversations_rename(channel=room, name=next(names)), 20),
        "apps.connections.open": (lambda: app.apps_connections_open(app_token=APP_TOKEN), 3),
        "pins.add": (lambda: client.pins_add(channel=room, timestamp=next(to_pin)), 20),
        "bookmarks.add": (lambda: client.bookmarks_add(channel_id=room, title="t", type="link",
                                                       link="https://soar.example.com/"), 20),
        "bookmarks.list": (lambda: client.bookmarks_list(channel_id=room), 50),
    }


@pytest.mark.parametrize("method", ["chat.update", "chat.delete", "chat.postEphemeral", "conversations.open",
                                    "conversations.setTopic", "conversations.setPurpose", "conversations.rename",
                                    "apps.connections.open", "pins.add", "bookmarks.add", "bookmarks.list"])
def test_each_method_is_limited_to_its_tier(sb, make_client, method):
    client = make_client(retry_handlers=[])
    call, allowed = _tiers(sb, client)[method]
    sb.set_rate_limits(True, time_scale=1.0)
    for _ in range(allowed):
        assert call()["ok"]
    with pytest.raises(SlackApiError) as caught:
        call()
    assert caught.value.response.status_code == 429 and caught.value.response["error"] == "ratelimited"
    assert int(caught.value.response.headers["Retry-After"]) >= 1
