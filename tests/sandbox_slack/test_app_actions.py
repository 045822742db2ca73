"""Slash commands, shortcuts, views.open and view_submission in the sandbox, driven by slack_sdk's own Socket Mode
client and WebClient."""

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

from sandbox.slack.socket_mode import APP_TOKEN

MODAL = {"type": "modal", "callback_id": "declare", "title": {"type": "plain_text", "text": "Declare incident"},
         "submit": {"type": "plain_text", "text": "Declare"},
         "blocks": [{"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"},
                     "element": {"type": "plain_text_input", "action_id": "v"}},
                    {"type": "input", "block_id": "sev", "label": {"type": "plain_text", "text": "Severity"},
                     "element": {"type": "static_select", "action_id": "v", "options": [
                         {"text": {"type": "plain_text", "text": "Low"}, "value": "Low"},
                         {"text": {"type": "plain_text", "text": "High"}, "value": "High"}]}}]}


class App:
    """One connection: records requests and acks each with what ``answer`` returns for it."""

    def __init__(self, sb, answer=None) -> None:
        self.requests: list = []
        self.lock = threading.Lock()
        self.answer = answer or (lambda req: None)
        self.client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
        self.client.socket_mode_request_listeners.append(self._on)

    def _on(self, client, req) -> None:
        with self.lock:
            self.requests.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=self.answer(req)))

    def got(self, n: int = 1, timeout: float = 10.0) -> list:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"{n} envelope(s) expected, got {len(self.requests)}")


@pytest.fixture
def app(sb):
    made: list[App] = []

    def make(answer=None) -> App:
        one = App(sb, answer)
        one.client.connect()
        made.append(one)
        assert sb.socket_mode.wait_for_connections(1, timeout=10)
        return one

    yield make
    for one in made:
        one.client.close()


def test_a_slash_command_reaches_the_app_with_slacks_fields_and_its_ephemeral_answer_reaches_only_the_person(sb, app):
    listener = app()
    general = sb.channel("general")["id"]
    sent = sb.actions.slash_command(sb.user_token("bob"), general, "/soar", "status")
    req = listener.got()[0]
    assert req.type == "slash_commands" and req.retry_attempt is None
    body = req.payload
    assert {k: body[k] for k in ("command", "text", "channel_id", "user_id", "user_name", "team_id")} == {
        "command": "/soar", "text": "status", "channel_id": general, "user_id": sb.user("bob")["id"],
        "user_name": "bob", "team_id": sb.team_id}
    assert body["trigger_id"] == sent["trigger_id"] and body["response_url"].startswith("http://127.0.0.1:")
    post = urllib.request.Request(body["response_url"], json.dumps({"text": "Open", "response_type": "ephemeral"})
                                  .encode(), {"Content-Type": "application/json"})
    assert json.loads(urllib.request.urlopen(post, timeout=10).read())["ok"] is True
    assert [(e["user"], e["text"]) for e in sb.ephemerals] == [(sb.user("bob")["id"], "Open")]
    assert all(m.get("text") != "Open" for m in sb.messages(general))


def test_an_unregistered_command_or_a_channel_the_person_cannot_see_sends_nothing(sb, app):
    listener = app()
    assert sb.actions.slash_command(sb.user_token("bob"), "general", "/other", "x")["error"] == "not_a_valid_command"
    partners = sb.channel("partners")["id"]
    assert sb.actions.slash_command(sb.user_token("bob"), partners, "/soar", "x")["error"] == "channel_not_found"
    time.sleep(0.3)
    assert listener.requests == []


def test_message_and_global_shortcuts_carry_the_message_and_the_person(sb, app, make_client):
    listener = app()
    general = sb.channel("general")["id"]
    posted = make_client(sb.user_token("alice")).chat_postMessage(channel=general, text="evil.example.com seen")
    sb.actions.message_shortcut(sb.user_token("bob"), general, posted["ts"], "send_to_soar")
    sb.actions.global_shortcut(sb.user_token("carol"), "declare_incident")
    first, second = listener.got(2)
    assert first.type == second.type == "interactive"
    assert first.payload["type"] == "message_action" and first.payload["callback_id"] == "send_to_soar"
    assert first.payload["message"]["text"] == "evil.example.com seen"
    assert first.payload["message"]["user"] == sb.user("alice")["id"]
    assert first.payload["user"]["id"] == sb.user("bob")["id"] and first.payload["channel"]["id"] == general
    assert second.payload["type"] == "shortcut" and "response_url" not in second.payload
    assert second.payload["user"]["id"] == sb.user("carol")["id"]


def test_a_trigger_opens_one_modal_within_three_seconds(sb, app, make_client):
    app()
    bot = make_client()
    trigger = sb.actions.global_shortcut(sb.user_token("bob"), "declare_incident")["trigger_id"]
    with pytest.raises(SlackApiError) as bad:
        bot.views_open(trigger_id=trigger, view={**MODAL, "title": {"type": "plain_text", "text": "x" * 25}})
    assert bad.value.response["error"] == "invalid_arguments"
    opened = bot.views_open(trigger_id=trigger, view=MODAL)
    assert opened["view"]["id"].startswith("V")
    with pytest.raises(SlackApiError) as again:
        bot.views_open(trigger_id=trigger, view=MODAL)
    assert again.value.response["error"] == "invalid_trigger_id"
    late = sb.actions.global_shortcut(sb.user_token("bob"), "declare_incident")["trigger_id"]
    time.sleep(3.2)
    with pytest.raises(SlackApiError) as expired:
        bot.views_open(trigger_id=late, view=MODAL)
    assert expired.value.response["error"] == "expired_trigger_id"


def test_a_submission_shows_the_apps_errors_or_closes_the_modal(sb, app, make_client):
    def answer(req):
        if req.payload.get("type") != "view_submission":
            return None
        name = req.payload["view"]["state"]["values"]["name"]["v"]["value"]
        return {"response_action": "errors", "errors": {"name": "Too short"}} if len(name) < 3 else None

    listener = app(answer)
    trigger = sb.actions.global_shortcut(sb.user_token("bob"), "declare_incident")["trigger_id"]
    view_id = make_client().views_open(trigger_id=trigger, view=MODAL)["view"]["id"]
    assert sb.actions.submit_view(sb.user_token("bob"), view_id, {"name": {"v": "ab"}})["error"] == \
        "required_input_missing"
    assert sb.actions.submit_view(sb.user_token("carol"), view_id, {"name": {"v": "ab"}, "sev": {"v": "Low"}}
                                  )["error"] == "view_not_found"
    short = sb.actions.submit_view(sb.user_token("bob"), view_id, {"name": {"v": "ab"}, "sev": {"v": "Low"}})
    assert sb.actions.submission_result(view_id, short["envelope_id"]) == {"closed": False,
                                                                           "errors": {"name": "Too short"}}
    good = sb.actions.submit_view(sb.user_token("bob"), view_id, {"name": {"v": "Phish"}, "sev": {"v": "High"}})
    assert sb.actions.submission_result(view_id, good["envelope_id"]) == {"closed": True, "errors": {}}
    submitted = listener.got(3)[-1].payload
    assert submitted["view"]["callback_id"] == "declare"
    assert submitted["view"]["state"]["values"]["sev"]["v"]["selected_option"]["value"] == "High"
    assert sb.actions.open_views() == []


def test_duplicate_actions_switch_sends_an_action_twice(sb, app):
    listener = app()
    sb.socket_mode.duplicate_actions = 1
    sb.actions.slash_command(sb.user_token("bob"), "general", "/soar", "status")
    first, second = listener.got(2)
    assert first.envelope_id != second.envelope_id and first.payload == second.payload


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


BUTTONS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Sent."}},
           {"type": "actions", "block_id": "iocs", "elements": [
               {"type": "button", "action_id": "add_0", "value": "203.0.113.7",
                "text": {"type": "plain_text", "text": "Add 203.0.113.7"}}]}]


def test_a_button_of_an_ephemeral_message_is_clicked_as_slack_sends_it_and_its_response_url_replaces_it(sb, app):
    listener = app()
    general = sb.channel("general")["id"]
    sb.actions.slash_command(sb.user_token("bob"), general, "/soar", "status")
    shortcut = listener.got()[0].payload
    assert _post(shortcut["response_url"], {"text": "Sent.", "blocks": BUTTONS})[0] == 200
    [shown] = sb.ephemerals
    bob = sb.user("bob")["id"]

    assert sb.actions.click_ephemeral(sb.user_token("carol"), general, shown["ts"], "add_0")["error"] == \
        "message_not_found"   # only Bob sees it
    assert sb.actions.click_ephemeral(sb.user_token("bob"), general, shown["ts"], "nope")["error"] == \
        "action_not_found"
    _, answer = _post(f"http://127.0.0.1:{sb.port}/_sandbox/act/click_ephemeral",
                      {"token": sb.user_token("bob"), "channel": general, "ts": shown["ts"], "action_id": "add_0"})
    assert answer["ok"] is True
    click = listener.got(2)[1].payload
    assert click["type"] == "block_actions" and "message" not in click
    assert click["container"] == {"type": "message", "message_ts": shown["ts"], "channel_id": general,
                                  "is_ephemeral": True}
    assert click["user"]["id"] == bob and click["trigger_id"] == answer["trigger_id"]
    assert click["actions"][0]["value"] == "203.0.113.7" and click["actions"][0]["block_id"] == "iocs"

    assert _post(click["response_url"], {"replace_original": True, "text": "Added."})[0] == 200
    assert [(e["user"], e["text"], e["blocks"]) for e in sb.ephemerals] == [(bob, "Added.", [])]
    assert all(m.get("text") != "Added." for m in sb.messages(general))
    assert _post(click["response_url"], {"delete_original": True})[0] == 200
    assert sb.ephemerals == []
    assert _post(click["response_url"], {"replace_original": True, "text": "x"}) == \
        (404, {"ok": False, "error": "message_not_found"})
