"""A write Slack carries out after its client gave up (the late after-commit fault), and message metadata from
user tokens, which Slack's chat.postMessage and chat.update refuse (``metadata_must_be_sent_from_app``)."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.errors import SlackApiError

from tests.sandbox_slack.helpers import slack_error

METADATA = {"event_type": "fn_slack_post", "event_payload": {"key": "k1"}}


def test_a_late_post_lands_after_the_client_timed_out_and_the_server_answers_others_meanwhile(sb, make_client):
    sb.faults.add("chat.postMessage", "after_commit", then="late", delay=1.5)
    client = make_client(retry_handlers=[], timeout=0.5)
    started = time.monotonic()

    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="general", text="slow one")

    general = sb.channel("general")["id"]
    assert sb.messages(general) == [], "held: not carried out when the client gave up"
    assert make_client().auth_test()["ok"] is True   # the held request blocks nothing else
    assert time.monotonic() - started < 1.5
    deadline = time.monotonic() + 5
    while not sb.messages(general) and time.monotonic() < deadline:
        time.sleep(0.05)
    [landed] = sb.messages(general)
    assert landed["text"] == "slow one"
    assert time.monotonic() - started >= 1.5
    assert [c.ok for c in sb.calls_to("chat.postMessage")] == [True]


def test_a_late_fault_needs_a_delay(sb):
    with pytest.raises(ValueError, match="late"):
        sb.faults.add("chat.postMessage", "after_commit", then="late")


def test_a_late_write_held_across_a_reset_does_not_touch_the_fresh_workspace(sb, make_client):
    sb.faults.add("chat.postMessage", "after_commit", then="late", delay=0.8)
    client = make_client(retry_handlers=[], timeout=0.2)
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="general", text="from before the reset")
    sb.reset()
    time.sleep(1.2)
    assert sb.messages(sb.channel("general")["id"]) == []


def test_two_late_posts_are_held_side_by_side(sb, make_client):
    sb.faults.add("chat.postMessage", "after_commit", then="late", delay=1.0, times=2)
    errors = []

    def post(text: str) -> None:
        try:
            make_client(retry_handlers=[], timeout=0.3).chat_postMessage(channel="general", text=text)
        except TimeoutError as err:
            errors.append(err)

    threads = [threading.Thread(target=post, args=(t,)) for t in ("a", "b")]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(max(0.0, 1.4 - (time.monotonic() - started)))
    assert len(errors) == 2
    assert sorted(m["text"] for m in sb.messages(sb.channel("general")["id"])) == ["a", "b"]
    assert time.monotonic() - started < 2.0, "held in parallel, not one after the other"


def test_a_user_token_post_with_metadata_is_refused_and_nothing_is_posted(sb, make_client):
    alice = make_client(sb.user_token("alice"))

    answer = slack_error(alice.chat_postMessage, channel="general", text="with metadata", metadata=METADATA)

    assert answer["error"] == "metadata_must_be_sent_from_app"
    assert sb.messages(sb.channel("general")["id"]) == []
    posted = alice.chat_postMessage(channel="general", text="without metadata")
    assert posted["message"]["user"] == sb.user("alice")["id"]


def test_a_user_token_update_with_metadata_is_refused_and_the_message_is_unchanged(sb, make_client, ids):
    alice = make_client(sb.user_token("alice"))
    ts = alice.chat_postMessage(channel="general", text="before")["ts"]

    answer = slack_error(alice.chat_update, channel=ids["general"], ts=ts, text="after", metadata=METADATA)

    assert answer["error"] == "metadata_must_be_sent_from_app"
    assert [m["text"] for m in sb.messages(sb.channel("general")["id"])] == ["before"]


def test_the_apps_bot_token_keeps_posting_and_updating_metadata(sb, client, ids):
    ts = client.chat_postMessage(channel="general", text="hello", metadata=METADATA)["ts"]
    client.chat_update(channel=ids["general"], ts=ts, text="hello again",
                       metadata={"event_type": "fn_slack_post", "event_payload": {"key": "k2"}})

    client.conversations_join(channel=ids["general"])
    message = client.conversations_history(channel=ids["general"], include_all_metadata=True)["messages"][-1]
    assert message["text"] == "hello again"
    assert message["metadata"]["event_payload"] == {"key": "k2"}


def test_the_tidy_switch_accepts_user_token_metadata(sb, make_client):
    sb.set_realism(user_token_metadata="accept")
    alice = make_client(sb.user_token("alice"))

    try:
        alice.chat_postMessage(channel="general", text="with metadata", metadata=METADATA)
    except SlackApiError as err:   # pragma: no cover - the assertion below says what went wrong
        pytest.fail(f"refused: {err.response['error']}")
    assert [m["text"] for m in sb.messages(sb.channel("general")["id"])] == ["with metadata"]
