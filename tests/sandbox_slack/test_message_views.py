"""What a message looks like after the app changes it, as Slack shows it: chat.update replaces blocks and
attachments (or keeps them when left out), a response URL replaces the whole clicked message, deletes it, or
tells the clicker alone; fn_slack's own answered and expired question views replace the buttons."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from fn_slack.lib.block_kit import QuestionRef, answered_blocks, expired_blocks, question_blocks
from fn_slack.lib.questions import ResponseUrlReply, WebApiReply
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from sandbox.slack.socket_mode import APP_TOKEN

QUESTION = QuestionRef(7, None, "q-1")


def _question(sb, client, room: str) -> str:
    """fn_slack's question message (its own blocks) posted in ``room``; its ts."""
    blocks = question_blocks(QUESTION, "Isolate the host?", ["Yes", "No"], who=[sb.user("alice")["id"]],
                             expires=time.time() + 3600, free_text=True, header="A question from SOAR")
    return client.chat_postMessage(channel=room, text="Isolate the host?", blocks=blocks)["ts"]


def _shown(sb, room: str, ts: str) -> dict:
    return next(m for m in sb.messages(room) if m["ts"] == ts)


def _buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def _post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class _App:
    """The app's Socket Mode connection (slack_sdk's client): acks every envelope and keeps the clicks."""

    def __init__(self, sb) -> None:
        self.clicks: dict[str, dict] = {}
        self.arrived = threading.Condition()
        self.client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
        self.client.socket_mode_request_listeners.append(self._on)
        self.client.connect()
        assert sb.socket_mode.wait_for_connections(1, timeout=10)

    def _on(self, client, req) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        if req.type == "interactive":
            with self.arrived:
                self.clicks[req.envelope_id] = req.payload
                self.arrived.notify_all()

    def click(self, sb, room: str, ts: str, person: str = "alice") -> str:
        """A click on the question's first button; the response URL Slack hands the app."""
        clicked = sb.interactions.click(sb.user_token(person), room, ts, "fn_slack_answer_0")
        assert clicked["ok"], clicked
        with self.arrived:
            assert self.arrived.wait_for(lambda: clicked["envelope_id"] in self.clicks, timeout=10)
            return self.clicks[clicked["envelope_id"]]["response_url"]


@pytest.fixture
def app(sb):
    made = _App(sb)
    yield made
    made.client.close()


def _fn_slack(sb) -> SlackClient:
    return SlackClient(SlackSettings(token=sb.default_token, api_url=sb.base_url, timeout=5))


def _respond(url: str, body: dict) -> bool:
    return _post_json(url, body)[0] == 200


# ----- chat.update --------------------------------------------------------------------------------------------
def test_a_question_answered_by_a_thread_reply_shows_fn_slack_s_answered_view_without_buttons(sb, client):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    assert len(_buttons(_shown(sb, room, ts))) == 2

    view = answered_blocks("Isolate the host?", "Only the VLAN", sb.user("alice")["id"], time.time())
    WebApiReply(_fn_slack(sb), room, ts, sb.user("alice")["id"]).replace("Answered: Only the VLAN", view)

    shown = _shown(sb, room, ts)
    assert shown["text"] == "Answered: Only the VLAN"
    assert shown["blocks"] == view and not _buttons(shown)
    assert "edited" in shown


def test_a_question_expired_by_a_thread_reply_shows_fn_slack_s_expired_view_without_buttons(sb, client):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    view = expired_blocks("Isolate the host?", time.time() - 60)
    WebApiReply(_fn_slack(sb), room, ts, sb.user("alice")["id"]).replace("Expired: Isolate the host?", view)
    shown = _shown(sb, room, ts)
    assert shown["blocks"] == view and not _buttons(shown)


def test_chat_update_keeps_blocks_and_attachments_left_out_and_removes_them_with_an_empty_array(sb, client):
    room = sb.add_channel("upd", members=["bot"])
    ts = client.chat_postMessage(channel=room, text="v1", attachments=[{"text": "att"}],
                                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}])["ts"]
    client.chat_update(channel=room, ts=ts, text="v2")
    shown = _shown(sb, room, ts)
    assert shown["text"] == "v2" and shown["blocks"][0]["text"]["text"] == "v1" and shown["attachments"]

    answer = client.chat_update(channel=room, ts=ts, text="v3", blocks=[], attachments=[])
    shown = _shown(sb, room, ts)
    assert shown["text"] == "v3" and "blocks" not in shown and "attachments" not in shown
    assert "blocks" not in answer["message"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_chat_update_takes_blocks_without_text_and_refuses_nothing_at_all(sb, client):
    room = sb.add_channel("upd", members=["bot"])
    ts = client.chat_postMessage(channel=room, text="v1")["ts"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "only blocks"}}]
    client.chat_update(channel=room, ts=ts, blocks=blocks)
    assert _shown(sb, room, ts)["blocks"] == blocks
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel=room, ts=ts)
    assert caught.value.response["error"] == "no_text"


# ----- response URLs ------------------------------------------------------------------------------------------
def test_a_click_answered_through_the_response_url_shows_fn_slack_s_answered_view(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    url = app.click(sb, room, ts)
    view = answered_blocks("Isolate the host?", "Yes", sb.user("alice")["id"], time.time())
    ResponseUrlReply(_respond, url).replace("Answered: Yes", view)
    shown = _shown(sb, room, ts)
    assert shown["text"] == "Answered: Yes" and shown["blocks"] == view and not _buttons(shown)


def test_replace_original_without_blocks_replaces_the_whole_message_so_the_buttons_go(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    url = app.click(sb, room, ts)
    assert _post_json(url, {"replace_original": True, "text": "Thanks, recorded."}) == (200, {"ok": True})
    shown = _shown(sb, room, ts)
    assert shown["text"] == "Thanks, recorded." and "blocks" not in shown


def test_delete_original_deletes_the_clicked_message(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    url = app.click(sb, room, ts)
    assert _post_json(url, {"delete_original": True})[0] == 200
    assert not [m for m in sb.messages(room) if m["ts"] == ts]


def test_an_ephemeral_response_is_seen_by_the_clicker_alone_and_leaves_the_message_as_it_was(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bob", "bot"])
    ts = _question(sb, client, room)
    before = _shown(sb, room, ts)
    url = app.click(sb, room, ts, "bob")
    ResponseUrlReply(_respond, url).tell("Only Alice may answer this question.")
    [told] = sb.ephemerals
    assert (told["user"], told["channel"], told["text"]) == (sb.user("bob")["id"], room,
                                                             "Only Alice may answer this question.")
    assert _shown(sb, room, ts) == before and len(sb.messages(room)) == 1


def test_an_in_channel_response_posts_a_new_message_from_the_app(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    url = app.click(sb, room, ts)
    assert _post_json(url, {"response_type": "in_channel", "text": "Alice chose Yes"})[0] == 200
    last = sb.messages(room)[-1]
    assert (last["text"], last["user"]) == ("Alice chose Yes", sb.bot_user_id)
    assert len(_buttons(_shown(sb, room, ts))) == 2 and not sb.ephemerals


def test_a_response_with_invalid_blocks_is_refused_and_changes_nothing(sb, client, app):
    room = sb.add_channel("ask", members=["alice", "bot"])
    ts = _question(sb, client, room)
    before = _shown(sb, room, ts)
    url = app.click(sb, room, ts)
    status, body = _post_json(url, {"replace_original": True, "text": "x",
                                    "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]})
    assert status == 400 and body["error"] == "invalid_blocks"
    assert body["errors"] == ["must be less than 151 characters [json-pointer:/blocks/0/text/text]"]
    assert _shown(sb, room, ts) == before
