"""An outside client against the sandbox: a slack_bolt app in Socket Mode (Bolt's own SocketModeHandler, its own
listeners and matchers, nothing of fn_slack) receives a person's message, their edit, a file share and a click
on a button, and answers through ``say`` and ``respond``. The test asserts what the sandbox holds afterwards.
Bolt is the judge here: where the sandbox and Bolt disagree, the sandbox is wrong."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler as WebSocketClientHandler
from slack_sdk import WebClient

from sandbox.slack.socket_mode import APP_TOKEN
from tests.polling import wait_until

QUESTION_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Isolate the host?"}},
    {"type": "actions", "block_id": "isolate", "elements": [
        {"type": "button", "action_id": "answer_yes", "value": "Yes", "text": {"type": "plain_text", "text": "Yes"}},
        {"type": "button", "action_id": "answer_no", "value": "No", "text": {"type": "plain_text", "text": "No"}}]},
]


class BoltApp:
    """A Bolt app written as Bolt's documentation writes one; it records what each listener saw."""

    def __init__(self, sb, handler: type) -> None:
        self.seen: dict[str, list[dict]] = {"message": [], "edit": [], "file_share": [], "click": []}
        self.lock = threading.Lock()
        self.app = App(client=WebClient(token=sb.default_token, base_url=sb.base_url))
        app = self.app

        @app.message("hello")
        def greet(message, say) -> None:
            self._saw("message", message)
            say(f"Hi <@{message['user']}>, got your message")

        @app.event({"type": "message", "subtype": "message_changed"})
        def edited(event, say) -> None:
            self._saw("edit", event)
            say(f"You changed it to: {event['message']['text']}")

        @app.event({"type": "message", "subtype": "file_share"})
        def shared(event, say) -> None:
            self._saw("file_share", event)
            say(text=f"Thanks for {event['files'][0]['name']}", thread_ts=event["ts"])

        @app.action("answer_yes")
        def answered(ack, body, respond) -> None:
            ack()
            self._saw("click", body)
            respond(replace_original=True, text=f"<@{body['user']['id']}> answered Yes",
                    blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                         "text": f"<@{body['user']['id']}> answered *Yes*"}}])
            respond(response_type="ephemeral", replace_original=False, text="Your answer is recorded.")

        @app.event("message")
        def other_messages() -> None:
            """Join messages and the app's own posts: nothing to do (Bolt logs unhandled events otherwise)."""

        self.handler = handler(app, app_token=APP_TOKEN)

    def _saw(self, kind: str, body: dict) -> None:
        with self.lock:
            self.seen[kind].append(body)



@pytest.fixture(params=[SocketModeHandler, WebSocketClientHandler], ids=["builtin", "websocket_client"])
def bolt(sb, request) -> Iterator[BoltApp]:
    """The Bolt app over Bolt's default Socket Mode transport and over the websocket-client one."""
    made = BoltApp(sb, request.param)
    made.handler.connect()
    assert sb.socket_mode.wait_for_connections(1, timeout=15)
    yield made
    made.handler.close()


def _bot_texts(sb, room: str) -> list[str]:
    return [m["text"] for m in sb.messages(room) if m.get("user") == sb.bot_user_id]


def test_bolt_receives_a_message_and_its_edit_and_says_so_in_the_channel(sb, bolt, make_client):
    room = sb.add_channel("bolt", members=["alice", "bot"])
    alice = make_client(sb.user_token("alice"))
    ts = alice.chat_postMessage(channel=room, text="hello there")["ts"]
    assert wait_until(lambda: len(_bot_texts(sb, room)) == 1), bolt.seen
    assert _bot_texts(sb, room) == [f"Hi <@{sb.user('alice')['id']}>, got your message"]
    assert bolt.seen["message"][0]["ts"] == ts

    alice.chat_update(channel=room, ts=ts, text="hello, corrected")
    assert wait_until(lambda: len(_bot_texts(sb, room)) == 2), bolt.seen
    assert _bot_texts(sb, room)[1] == "You changed it to: hello, corrected"
    assert bolt.seen["edit"][0]["previous_message"]["text"] == "hello there"


def test_bolt_receives_a_file_share_by_its_subtype_and_answers_in_its_thread(sb, bolt, make_client):
    room = sb.add_channel("bolt", members=["alice", "bot"])
    alice = make_client(sb.user_token("alice"))
    alice.files_upload_v2(channel=room, content="2026-12-06 login failed", filename="auth.log",
                          initial_comment="the log you asked for")
    [share] = [m for m in sb.messages(room) if m.get("files")]

    def replies() -> list[dict]:
        return next(m for m in sb.messages(room) if m["ts"] == share["ts"])["replies"]

    assert wait_until(lambda: bool(replies())), bolt.seen
    [reply] = replies()
    assert (reply["text"], reply["user"]) == ("Thanks for auth.log", sb.bot_user_id)
    assert [f["name"] for f in bolt.seen["file_share"][0]["files"]] == ["auth.log"]
    assert not bolt.seen["message"]


def test_bolt_answers_a_button_click_through_respond_replacing_the_message_and_telling_the_clicker(sb, bolt):
    room = sb.add_channel("bolt", members=["alice", "bot"])
    ts = bolt.app.client.chat_postMessage(channel=room, text="Isolate the host?", blocks=QUESTION_BLOCKS)["ts"]
    clicked = sb.interactions.click(sb.user_token("alice"), room, ts, "answer_yes")
    assert clicked["ok"], clicked
    assert sb.socket_mode.wait_acked(clicked["envelope_id"], timeout=15)
    alice = sb.user("alice")["id"]
    assert wait_until(lambda: bool(sb.ephemerals)), bolt.seen

    shown = next(m for m in sb.messages(room) if m["ts"] == ts)
    assert shown["text"] == f"<@{alice}> answered Yes"
    assert [b["type"] for b in shown["blocks"]] == ["section"]     # the buttons are gone
    assert [(e["user"], e["text"]) for e in sb.ephemerals] == [(alice, "Your answer is recorded.")]
    assert bolt.seen["click"][0]["actions"][0]["value"] == "Yes"
