"""The sandbox view's forms, used as a browser uses them (no JavaScript): pick a person, post, reply, edit,
delete and click a question's button; every action reaches Slack's API and the app as an API call would."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

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


@pytest.fixture
def app(sb: SlackSandbox) -> Iterator[list[SocketModeRequest]]:
    """fn_slack's side of Socket Mode, as slack_sdk's client sees it: every request the sandbox sends, acked."""
    received: list[SocketModeRequest] = []
    lock = threading.Lock()

    def on_request(client: SocketModeClient, req: SocketModeRequest) -> None:
        with lock:
            received.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=sb.base_url))
    client.socket_mode_request_listeners.append(on_request)
    client.connect()
    assert sb.socket_mode.wait_for_connections(1, timeout=10)
    yield received
    client.close()


@pytest.fixture
def room(sb: SlackSandbox) -> str:
    """A channel the app's bot is in (so the app gets its events), with alice and bob, not carol or gina."""
    return sb.add_channel("soc-incident-7", members=["bot", "alice", "bob"])


def test_the_person_is_chosen_with_as_kept_in_a_cookie_and_offered_on_every_page(sb: SlackSandbox, room: str) -> None:
    browser = Browser(sb)
    soup = browser.get("/_sandbox/")
    assert [o["value"] for o in soup.select('form[data-person] select[name="as"] option')] == [
        "alice", "bob", "carol", "gina", "nobody"]
    assert soup.select_one("[data-current-person]")["data-current-person"] == "nobody"
    assert soup.select("form[data-compose]") == []

    browser.get(f"/_sandbox/channels/{room}?as=bob")
    soup = browser.get(f"/_sandbox/channels/{room}")  # no ?as= any more: the cookie remembers bob
    assert soup.select_one("[data-current-person]")["data-current-person"] == "bob"
    assert soup.select_one('form[data-person] option[selected]')["value"] == "bob"
    assert soup.select_one('form[data-compose] textarea[name="text"]') is not None
    assert browser.get("/_sandbox/?as=nobody").select_one("[data-current-person]")["data-current-person"] == \
        "nobody"
    # A name that is nobody's changes nothing.
    browser.get("/_sandbox/?as=bob")
    assert browser.get("/_sandbox/?as=mallory").select_one("[data-current-person]")["data-current-person"] == "bob"


def test_posting_as_bob_is_bobs_message_and_reaches_the_app_as_an_api_post_does(
        sb: SlackSandbox, room: str, app: list[SocketModeRequest]) -> None:
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{room}?as=bob")
    sb.clear_calls()

    soup = browser.submit(soup.select_one("form[data-compose]"), text="Seen on *host-7*, isolating")

    [message] = sb.messages(room)
    assert message["user"] == sb.user("bob")["id"] and message["text"] == "Seen on *host-7*, isolating"
    assert "bot_id" not in message
    [call] = sb.calls_to("chat.postMessage")  # the Web API with bob's own user token
    assert call.token == sb.user_token("bob") and call.ok
    assert wait_until(lambda: any(r.type == "events_api" for r in app), timeout=10)
    [event] = [r.payload["event"] for r in app if r.type == "events_api"]
    assert event["type"] == "message" and "subtype" not in event
    assert event["user"] == sb.user("bob")["id"] and event["ts"] == message["ts"] and event["channel"] == room
    shown = soup.select_one(f'div.msg[data-ts="{message["ts"]}"]')
    assert shown.select_one(".author").get_text() == "Bob"
    assert shown.select_one(".text b").get_text() == "host-7"
    assert error_of(soup) is None


def test_a_reply_goes_into_the_thread_and_is_shown_under_its_parent(
        sb: SlackSandbox, room: str, app: list[SocketModeRequest]) -> None:
    parent = sb.add_message(room, "alice", "Phishing wave reported")
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{room}?as=bob")

    soup = browser.submit(soup.select_one(f'form[data-reply="{parent}"]'), text="Looking at the headers")

    [top] = sb.messages(room)
    [reply] = top["replies"]
    assert reply["user"] == sb.user("bob")["id"] and reply["thread_ts"] == parent
    assert wait_until(lambda: any(r.payload["event"].get("thread_ts") == parent for r in app
                                  if r.type == "events_api"), timeout=10)
    shown = soup.select_one(f'div.msg[data-ts="{parent}"] div.msg[data-ts="{reply["ts"]}"]')
    assert shown["data-thread-ts"] == parent
    assert shown.select_one(".text").get_text() == "Looking at the headers"
    assert "1 reply" in soup.select_one(f'div.msg[data-ts="{parent}"] .thread-summary').get_text()


def test_only_the_author_edits_and_deletes_others_get_slacks_refusal(
        sb: SlackSandbox, room: str, app: list[SocketModeRequest]) -> None:
    bob, alice = Browser(sb), Browser(sb)
    soup = bob.submit(bob.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-compose]"), text="typo")
    ts = sb.messages(room)[0]["ts"]
    # Alice's page offers her no edit or delete for bob's message; a forged edit is refused by Slack.
    alice_page = alice.get(f"/_sandbox/channels/{room}?as=alice")
    assert alice_page.select(f'form[data-edit="{ts}"], form[data-delete="{ts}"]') == []
    forged = {i["name"]: i["value"] for i in soup.select(f'form[data-edit="{ts}"] input[name]')} | {"as": "alice"}
    assert forged["ts"] == ts
    status, headers, _ = alice.open("/_sandbox/actions/edit", forged | {"text": "alice was here"})
    assert status == 303
    assert error_of(alice.get(headers["Location"])) == "cant_update_message"
    status, headers, _ = alice.open("/_sandbox/actions/delete", forged)
    assert error_of(alice.get(headers["Location"])) == "cant_delete_message"
    assert sb.messages(room)[0]["text"] == "typo"

    soup = bob.submit(soup.select_one(f'form[data-edit="{ts}"]'), text="fixed")
    assert sb.messages(room)[0]["text"] == "fixed" and sb.messages(room)[0]["edited"]["user"] == sb.user("bob")["id"]
    assert soup.select_one(f'div.msg[data-ts="{ts}"] .text').get_text() == "fixed"
    soup = bob.submit(soup.select_one(f'form[data-delete="{ts}"]'))
    assert sb.messages(room) == [] and soup.select(f'div.msg[data-ts="{ts}"]') == []
    assert wait_until(lambda: {r.payload["event"].get("subtype") for r in app if r.type == "events_api"} ==
                      {None, "message_changed", "message_deleted"}, timeout=10)
    assert [c.error for c in sb.calls_to("chat.update")] == ["cant_update_message", None]
    assert [c.error for c in sb.calls_to("chat.delete")] == ["cant_delete_message", None]


def test_the_guest_is_refused_outside_its_one_channel(sb: SlackSandbox) -> None:
    general, partners = sb.channel("general")["id"], sb.channel("partners")["id"]
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{general}?as=gina")
    assert "guest" in soup.select_one('form[data-person] option[selected]').get_text()

    soup = browser.submit(soup.select_one("form[data-compose]"), text="hello all")
    assert error_of(soup) == "not_in_channel"
    assert sb.messages(general) == []

    soup = browser.submit(browser.get(f"/_sandbox/channels/{partners}").select_one("form[data-compose]"),
                          text="hello partners")
    assert error_of(soup) is None
    assert [(m["user"], m["text"]) for m in sb.messages(partners)] == [(sb.user("gina")["id"], "hello partners")]


def test_archived_channel_and_nobody_get_slacks_errors_and_nothing_is_posted(sb: SlackSandbox) -> None:
    old = sb.add_channel("incident-1", members=["alice", "bob"], archived=True)
    browser = Browser(sb)
    compose = browser.get(f"/_sandbox/channels/{old}?as=alice").select_one("form[data-compose]")
    assert error_of(browser.submit(compose, text="anyone?")) == "is_archived"
    # The page of someone who has since picked nobody: the post carries no token.
    browser.get("/_sandbox/?as=nobody")
    assert error_of(browser.submit(compose, **{"as": "", "text": "anyone?"})) == "not_authed"
    assert sb.messages(old) == []


def test_a_button_clicks_as_the_person_and_their_ephemeral_answer_is_shown_to_them_only(
        sb: SlackSandbox, room: str, app: list[SocketModeRequest]) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Isolate *host-7*?"}},
              {"type": "actions", "block_id": "q1", "elements": [
                  {"type": "button", "action_id": "answer_yes", "value": "Yes", "style": "primary",
                   "text": {"type": "plain_text", "text": "Yes"}},
                  {"type": "button", "action_id": "answer_no", "value": "No",
                   "text": {"type": "plain_text", "text": "No"}}]}]
    ts = WebClient(token=sb.default_token, base_url=sb.base_url).chat_postMessage(
        channel=room, text="Isolate host-7?", blocks=blocks)["ts"]
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{room}?as=bob")
    question = soup.select_one(f'div.msg[data-ts="{ts}"]')
    assert [b.get_text() for b in question.select("button[data-action-id]")] == ["Yes", "No"]

    clicked = browser.submit(question.select_one("button[data-action-id]").find_parent("form"),
                             question.select_one('button[data-action-id="answer_no"]'))
    assert "answer_no" in clicked.select_one("[data-notice]").get_text() and error_of(clicked) is None

    assert wait_until(lambda: any(r.type == "interactive" for r in app), timeout=10)
    [click] = [r.payload for r in app if r.type == "interactive"]
    assert click["type"] == "block_actions"
    assert click["user"]["id"] == sb.user("bob")["id"] and click["user"]["name"] == "bob"
    assert click["actions"][0]["action_id"] == "answer_no" and click["actions"][0]["value"] == "No"
    assert click["container"]["message_ts"] == ts and click["channel"]["id"] == room
    # The app answers the clicker alone through the response URL.
    request = urllib.request.Request(click["response_url"], data=b'{"text": "Thanks Bob, noted: No"}',
                                     headers={"Content-Type": "application/json"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as answer:
        assert answer.status == 200

    [ephemeral] = browser.get(f"/_sandbox/channels/{room}").select("[data-ephemeral]")
    assert ephemeral.select_one(".text").get_text() == "Thanks Bob, noted: No"
    assert "Only visible to you" in ephemeral.get_text()
    assert Browser(sb).get(f"/_sandbox/channels/{room}?as=alice").select("[data-ephemeral]") == []
    # A click on a button the message no longer has is refused with the sandbox's code.
    form = question.select_one("button[data-action-id]").find_parent("form")
    assert error_of(browser.submit(form, action_id="answer_maybe")) == "action_not_found"
    # Nobody sees the buttons but cannot click them.
    nobody = Browser(sb).get(f"/_sandbox/channels/{room}")
    assert all(b.has_attr("disabled") for b in nobody.select("button[data-action-id]"))


def test_hostile_text_posted_through_the_form_is_shown_escaped(sb: SlackSandbox, room: str) -> None:
    sb.set_user_names("bob", display_name=HOSTILE)
    browser = Browser(sb)
    soup = browser.get(f"/_sandbox/channels/{room}?as=bob")
    soup = browser.submit(soup.select_one("form[data-compose]"), text=HOSTILE)
    raw = str(soup)
    assert "<script" not in raw and "<img" not in raw
    ts = sb.messages(room)[0]["ts"]
    assert soup.select_one(f'div.msg[data-ts="{ts}"] .text').get_text() == HOSTILE
    assert soup.select_one("[data-current-person]").get_text(" ", strip=True).startswith(HOSTILE)
    assert soup.select_one(f'form[data-edit="{ts}"] textarea').get_text() == HOSTILE


def test_angle_brackets_typed_on_the_page_are_sent_as_slacks_client_sends_them(sb: SlackSandbox, room: str) -> None:
    """Slack's clients send what a person types with &, < and > as entities: typed brackets stay text, never a
    link, a mention or a broadcast, in Slack and in what the app reads back."""
    typed = "if a < b && c > d: <b>bold?</b> <!channel> <@U0ALICE01>"
    browser = Browser(sb)
    soup = browser.submit(browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-compose]"),
                          text=typed)
    [message] = sb.messages(room)
    assert message["text"] == ("if a &lt; b &amp;&amp; c &gt; d: &lt;b&gt;bold?&lt;/b&gt; &lt;!channel&gt; "
                               "&lt;@U0ALICE01&gt;")
    shown = soup.select_one(f'div.msg[data-ts="{message["ts"]}"] .text')
    assert shown.get_text() == typed and shown.select("a, .mention") == []
    assert soup.select_one(f'form[data-edit="{message["ts"]}"] textarea').get_text() == typed
    soup = browser.submit(soup.select_one(f'form[data-edit="{message["ts"]}"]'), text=typed + " (edited)")
    assert sb.messages(room)[0]["text"].endswith("&lt;!channel&gt; &lt;@U0ALICE01&gt; (edited)")


@pytest.mark.parametrize("forgery", ["no token", "wrong token", "another site", "an opaque origin"])
def test_a_post_without_the_pages_csrf_token_or_from_another_site_is_refused_and_changes_nothing(
        sb: SlackSandbox, room: str, forgery: str) -> None:
    browser = Browser(sb)
    form = browser.get(f"/_sandbox/channels/{room}?as=bob").select_one("form[data-compose]")
    fields = {i["name"]: i["value"] for i in form.select("input[name]")} | {"text": "forged"}
    headers = {}
    if forgery == "no token":
        del fields["csrf"]
    elif forgery == "wrong token":
        fields["csrf"] = "x" + fields["csrf"][1:]
    elif forgery == "another site":
        headers["Origin"] = "http://evil.example"
    else:
        headers["Origin"] = "null"
    sb.clear_calls()

    status, _, body = browser.open("/_sandbox/actions/post", fields, headers)

    assert status == 403 and b"Forbidden" in body
    assert sb.messages(room) == [] and sb.calls == []


def test_actions_take_only_a_post(sb: SlackSandbox) -> None:
    status, headers, _ = Browser(sb).open("/_sandbox/actions/post")
    assert status == 405 and headers["Allow"] == "POST"
    assert Browser(sb).open("/_sandbox/actions/launch", {"csrf": sb.page_actions.csrf})[0] == 404


def test_a_question_in_a_direct_message_is_listed_for_its_person_only_who_clicks_and_writes_there(
        sb: SlackSandbox, app: list[SocketModeRequest]) -> None:
    bot = WebClient(token=sb.default_token, base_url=sb.base_url)
    dm = bot.conversations_open(users=sb.user("alice")["id"])["channel"]["id"]
    yes = {"type": "button", "action_id": "answer_yes", "value": "Yes", "text": {"type": "plain_text", "text": "Yes"}}
    ts = bot.chat_postMessage(channel=dm, text="Isolate host-7?",
                              blocks=[{"type": "actions", "elements": [yes]}])["ts"]
    assert Browser(sb).get("/_sandbox/?as=bob").select("nav a.dm") == []  # not bob's conversation
    alice = Browser(sb)
    [link] = alice.get("/_sandbox/?as=alice").select("nav a.dm")
    assert link.get_text() == "SOAR" and link["href"] == f"/_sandbox/channels/{dm}"

    soup = alice.get(link["href"])
    assert "direct message" in soup.select_one(".channel-head").get_text()
    button = soup.select_one(f'div.msg[data-ts="{ts}"] button[data-action-id="answer_yes"]')
    alice.submit(button.find_parent("form"), button)
    soup = alice.submit(alice.get(link["href"]).select_one("form[data-compose]"), text="and block the sender")

    assert wait_until(lambda: any(r.type == "interactive" for r in app) and any(
        r.payload["event"].get("text") == "and block the sender" for r in app if r.type == "events_api"), timeout=10)
    [click] = [r.payload for r in app if r.type == "interactive"]
    assert click["user"]["id"] == sb.user("alice")["id"] and click["channel"]["id"] == dm
    [event] = [r.payload["event"] for r in app if r.type == "events_api" and r.payload["event"].get("user")
               == sb.user("alice")["id"]]
    assert event["channel_type"] == "im"
    assert error_of(soup) is None
    assert [m["text"] for m in sb.messages(dm)] == ["Isolate host-7?", "and block the sender"]
