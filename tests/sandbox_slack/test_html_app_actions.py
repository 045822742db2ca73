"""The sandbox view's forms that reach the app as Slack hands a person's actions to it, used as a browser uses
them (no JavaScript): a message's shortcut menu, a slash command typed in the composer, the shortcuts menu, and
a modal the app opened drawn over the page, filled, submitted and closed."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.slack import SlackSandbox
from sandbox.slack.socket_mode import APP_TOKEN
from tests.polling import wait_until
from tests.sandbox_slack.helpers import Browser, error_of

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
REQUIRED = "Please complete this required field."


class App:
    """fn_slack's side of Socket Mode, as slack_sdk's client sees it: every request kept and acked, with the
    payload ``answer`` gives (None: a plain ack)."""

    def __init__(self) -> None:
        self.received: list[SocketModeRequest] = []
        self.lock = threading.Lock()
        self.answer: Callable[[SocketModeRequest], dict | None] = lambda _req: None

    def on_request(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        with self.lock:
            self.received.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=self.answer(req)))

    def payloads(self, kind: str = "interactive") -> list[dict]:
        with self.lock:
            return [r.payload for r in self.received if r.type == kind]


@pytest.fixture
def app(sb: SlackSandbox) -> Iterator[App]:
    app = App()
    client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
    client.socket_mode_request_listeners.append(app.on_request)
    client.connect()
    assert sb.socket_mode.wait_for_connections(1, timeout=10)
    yield app
    client.close()


@pytest.fixture
def room(sb: SlackSandbox) -> str:
    return sb.add_channel("soc-incident-8", members=["bot", "alice", "bob"])


def _bot(sb: SlackSandbox) -> WebClient:
    return WebClient(token=sb.default_token, base_url=sb.base_url)


def _answer_by_response_url(url: str, text: str) -> None:
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as answer:
        assert answer.status == 200


def test_a_messages_menu_offers_the_apps_message_shortcuts_and_sends_the_one_picked(
        sb: SlackSandbox, room: str, app: App) -> None:
    ts = _bot(sb).chat_postMessage(channel=room, text="Host WS-0231 beaconing to 203.0.113.7")["ts"]
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{room}?as=bob")
    menu = soup.select_one(f'details[data-message-menu="{ts}"]')
    assert [b.get_text(" ", strip=True) for b in menu.select("button[data-message-shortcut]")] == [
        "Send to SOAR SOAR"]   # the shortcut's name, then the app's, as Slack lists it

    soup = browser.submit(menu.select_one("form"), menu.select_one('button[data-message-shortcut="send_to_soar"]'))

    assert "Send to SOAR" in soup.select_one("[data-notice]").get_text() and error_of(soup) is None
    assert wait_until(app.payloads, timeout=10)
    [picked] = app.payloads()
    assert picked["type"] == "message_action" and picked["callback_id"] == "send_to_soar"
    assert picked["user"]["id"] == sb.user("bob")["id"] and picked["channel"]["id"] == room
    assert picked["message_ts"] == ts and picked["message"]["text"] == "Host WS-0231 beaconing to 203.0.113.7"
    # Nobody gets no menu.
    assert Browser(sb).get(f"/_sandbox/channels/{room}").select("[data-message-menu]") == []


def test_a_composer_line_starting_with_a_slash_runs_the_command_and_its_ephemeral_answer_shows_to_that_person(
        sb: SlackSandbox, room: str, app: App) -> None:
    browser = Browser(sb)
    soup = browser.submit(browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-compose]"),
                          text="/soar   status")

    assert "/soar status" in soup.select_one("[data-notice]").get_text() and error_of(soup) is None
    assert wait_until(lambda: app.payloads("slash_commands"), timeout=10)
    [command] = app.payloads("slash_commands")
    assert (command["command"], command["text"], command["user_id"], command["channel_id"]) == (
        "/soar", "status", sb.user("bob")["id"], room)
    assert sb.messages(room) == []   # a command is never a message
    _answer_by_response_url(command["response_url"], "Incident 2095: High, Active, owner Bob")

    [answer] = browser.get(f"/_sandbox/channels/{room}").select("[data-ephemeral]")
    assert answer.select_one(".text").get_text() == "Incident 2095: High, Active, owner Bob"
    assert Browser(sb).get(f"/_sandbox/channels/{room}?as=alice").select("[data-ephemeral]") == []


def test_an_unknown_command_is_not_a_valid_command_as_slack_says_and_nothing_is_sent_or_posted(
        sb: SlackSandbox, room: str, app: App) -> None:
    browser = Browser(sb)
    soup = browser.submit(browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-compose]"),
                          text="/x hello")

    assert error_of(soup) == "not_a_valid_command"
    assert soup.select_one('[data-error="not_a_valid_command"]').get_text().startswith(
        "/x is not a valid command.")
    assert app.payloads("slash_commands") == [] and sb.messages(room) == []


def test_the_shortcuts_menu_offers_the_apps_global_shortcuts_and_sends_the_one_picked(
        sb: SlackSandbox, room: str, app: App) -> None:
    browser = Browser(sb)
    menu = browser.get(f"/_sandbox/channels/{room}?as=carol").select_one("details[data-shortcuts-menu]")
    assert [b["value"] for b in menu.select("button[data-global-shortcut]")] == ["declare_incident"]   # manifest's
    sb.actions.shortcuts = [s for s in sb.actions.shortcuts if s["type"] != "global"]
    menu = browser.get(f"/_sandbox/channels/{room}").select_one("details[data-shortcuts-menu]")
    assert menu.select("button[data-global-shortcut]") == [] and "no global shortcuts" in menu.get_text()
    sb.actions.shortcuts.append({"name": HOSTILE, "type": "global", "callback_id": "declare_incident",
                                 "description": "Declare an incident in SOAR"})

    soup = browser.get(f"/_sandbox/channels/{room}")
    assert "<script" not in str(soup) and "<img" not in str(soup)
    menu = soup.select_one("details[data-shortcuts-menu]")
    [button] = menu.select("button[data-global-shortcut]")
    assert button.get_text().startswith(HOSTILE)
    soup = browser.submit(menu.select_one("form"), button)

    assert error_of(soup) is None
    assert wait_until(app.payloads, timeout=10)
    [picked] = app.payloads()
    assert picked["type"] == "shortcut" and picked["callback_id"] == "declare_incident"
    assert picked["user"]["id"] == sb.user("carol")["id"]


MODAL = {
    "type": "modal", "callback_id": "declare", "title": {"type": "plain_text", "text": "Declare incident"},
    "submit": {"type": "plain_text", "text": "Declare"}, "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "A new incident in *SOAR*."}},
        {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"},
         "element": {"type": "plain_text_input", "action_id": "value"}},
        {"type": "input", "block_id": "severity", "label": {"type": "plain_text", "text": "Severity"},
         "hint": {"type": "plain_text", "text": "How bad is it?"},
         "element": {"type": "static_select", "action_id": "value", "options": [
             {"text": {"type": "plain_text", "text": t}, "value": t} for t in ("Low", "Medium", "High")]}},
        {"type": "input", "block_id": "description", "optional": True,
         "label": {"type": "plain_text", "text": "Description"},
         "element": {"type": "plain_text_input", "action_id": "value", "multiline": True}},
    ],
}


def _open_modal(sb: SlackSandbox, person: str, view: dict) -> str:
    trigger = sb.actions.global_shortcut(sb.user_token(person), "declare_incident")["trigger_id"]
    return _bot(sb).views_open(trigger_id=trigger, view=view)["view"]["id"]


def test_a_modal_the_app_opened_is_drawn_for_its_person_with_its_inputs_labels_hints_and_optional(
        sb: SlackSandbox, room: str, app: App) -> None:
    view_id = _open_modal(sb, "bob", MODAL)
    modal = Browser(sb).get(f"/_sandbox/channels/{room}?as=bob").select_one(f'[data-modal="{view_id}"]')

    assert modal.select_one("[data-modal-title]").get_text() == "Declare incident"
    assert modal.select_one(".modal-body .text b").get_text() == "SOAR"
    labels = [block.select_one("label").get_text(" ", strip=True) for block in modal.select(".input-block")]
    assert labels == ["Name", "Severity", "Description (optional)"]
    assert modal.select_one('[data-block-id="severity"] .hint-text').get_text() == "How bad is it?"
    assert [o["value"] for o in modal.select("select option")] == ["", "Low", "Medium", "High"]
    assert modal.select_one('[data-block-id="description"] textarea') is not None
    assert modal.select_one('[data-block-id="name"] input[type="text"]') is not None
    assert modal.select_one("[data-modal-submit]").get_text() == "Declare"
    assert modal.select_one("[data-modal-close]").get_text() == "Cancel"
    # Only its person sees it.
    assert Browser(sb).get(f"/_sandbox/channels/{room}?as=alice").select("[data-modal]") == []


def test_a_blank_required_input_shows_slacks_error_under_it_keeps_what_was_typed_and_sends_nothing(
        sb: SlackSandbox, room: str, app: App) -> None:
    view_id = _open_modal(sb, "bob", MODAL)
    browser = Browser(sb)
    form = browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-modal-form]")
    before = len(app.payloads())

    soup = browser.submit(form, input0="", input1="High", input2="typed before")

    modal = soup.select_one(f'[data-modal="{view_id}"]')
    assert modal.select_one('[data-block-id="name"] [data-input-error]').get_text() == REQUIRED
    assert modal.select('[data-block-id="severity"] [data-input-error]') == []
    assert modal.select_one('[data-block-id="severity"] option[selected]')["value"] == "High"
    assert modal.select_one('[data-block-id="description"] textarea').get_text() == "typed before"
    assert len(app.payloads()) == before and sb.actions.open_views()[0]["open"]


def test_the_apps_errors_stay_under_their_inputs_and_a_plain_ack_closes_the_modal(
        sb: SlackSandbox, room: str, app: App) -> None:
    view_id = _open_modal(sb, "bob", MODAL)
    browser = Browser(sb)
    app.answer = lambda req: ({"response_action": "errors", "errors": {"name": HOSTILE}}
                              if req.payload.get("type") == "view_submission" else None)
    form = browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-modal-form]")

    soup = browser.submit(form, input0="Phish", input1="Medium")

    [submitted] = [p for p in app.payloads() if p["type"] == "view_submission"]
    assert submitted["view"]["id"] == view_id and submitted["user"]["id"] == sb.user("bob")["id"]
    assert submitted["view"]["state"]["values"]["name"]["value"] == {"type": "plain_text_input", "value": "Phish"}
    assert submitted["view"]["state"]["values"]["severity"]["value"]["selected_option"]["value"] == "Medium"
    assert submitted["view"]["state"]["values"]["description"]["value"]["value"] is None
    modal = soup.select_one(f'[data-modal="{view_id}"]')
    assert modal.select_one('[data-block-id="name"] [data-input-error]').get_text() == HOSTILE
    assert "<script" not in str(soup) and "<img" not in str(soup)
    assert modal.select_one('[data-block-id="name"] input')["value"] == "Phish"

    app.answer = lambda _req: None
    soup = browser.submit(modal.select_one("form[data-modal-form]"), input0="Phish", input1="High")
    assert soup.select("[data-modal]") == [] and error_of(soup) is None
    assert sb.actions.open_views() == []


def test_a_modal_without_inputs_shows_its_text_and_close_which_closes_it_telling_the_app_only_when_asked(
        sb: SlackSandbox, room: str, app: App) -> None:
    refusal = {"type": "modal", "title": {"type": "plain_text", "text": "Not allowed"},
               "close": {"type": "plain_text", "text": "Close"},
               "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "You may not declare incidents."}}]}
    view_id = _open_modal(sb, "bob", refusal)
    browser = Browser(sb)
    modal = browser.get(f"/_sandbox/channels/{room}?as=bob").select_one(f'[data-modal="{view_id}"]')
    assert modal.select_one(".modal-body").get_text() == "You may not declare incidents."
    assert modal.select("[data-modal-submit]") == [] and modal.select(".input-block") == []
    assert modal.select_one("[data-modal-close]").get_text() == "Close"
    before = len(app.payloads())

    soup = browser.submit(modal.select_one("form[data-modal-close-form]"))

    assert soup.select("[data-modal]") == [] and error_of(soup) is None
    assert sb.actions.open_views() == [] and len(app.payloads()) == before   # no notify_on_close: nothing sent

    asked = _open_modal(sb, "bob", {**refusal, "notify_on_close": True})
    modal = browser.get(f"/_sandbox/channels/{room}").select_one(f'[data-modal="{asked}"]')
    browser.submit(modal.select_one("form[data-modal-close-form]"))
    assert wait_until(lambda: any(p["type"] == "view_closed" for p in app.payloads()), timeout=10)
    [closed] = [p for p in app.payloads() if p["type"] == "view_closed"]
    assert closed["view"]["id"] == asked and closed["is_cleared"] is False
    # A modal already closed cannot be closed again.
    assert error_of(browser.submit(modal.select_one("form[data-modal-close-form]"))) == "view_not_found"
