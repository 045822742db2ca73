"""Posting with a user token (``api_token = xoxp-…``): Slack refuses message metadata from user tokens
(chat.postMessage and chat.update: ``metadata_must_be_sent_from_app``), so fn_slack sends none and recognises
its own post by the token's user, the text and the time — and still posts exactly once when an answer is lost."""

import time

import pytest

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function, slack_sandbox, wait_for_messages

TIMEOUT, SETTLE = 1, 3
config_data = make_config(api_token=slack_sandbox().user_token("alice"), timeout=TIMEOUT,
                          write_settle_seconds=SETTLE, max_rate_limit_wait=10)
TEXT = "Phishing wave: Q&A <draft> for *everyone*"


def post(circuits_app, channel="general", **extra):
    return run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": channel, "slack_as_user": True, "slack_text": TEXT, **extra})


def test_user_token_posts_succeed_as_the_person_without_metadata(circuits_app, slack, soar):
    outcome = post(circuits_app, "inc-2095", slack_is_channel_private=False,
                   slack_participant_emails="bob@example.com")

    assert outcome.error is None, outcome.error
    [message] = slack.messages(slack.channel("inc-2095")["id"])
    assert message["user"] == slack.user("alice")["id"]
    assert "metadata" not in message
    assert "Q&amp;A &lt;draft&gt;" in message["text"]
    assert outcome.content["ts"] == message["ts"]
    assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["inc-2095"]
    assert all("metadata" not in call.params for call in slack.calls_to("chat.postMessage"))


def test_a_user_token_post_to_an_existing_thread_sends_no_metadata_either(circuits_app, slack, soar):
    first = post(circuits_app, "inc-2095", slack_is_channel_private=False, slack_thread=True)
    assert first.error is None, first.error

    reply = post(circuits_app, slack_thread=True, slack_channel=None)

    assert reply.error is None, reply.error
    [root] = slack.messages(slack.channel("inc-2095")["id"])
    assert [r["text"] for r in root["replies"]] == [root["text"]]
    assert all("metadata" not in call.params for call in slack.calls_to("chat.postMessage"))


LOST = [("after_commit", {"then": "drop"}), ("after_commit", {"then": "timeout", "delay": TIMEOUT + 1.0}),
        ("after_commit", {"then": "late", "delay": TIMEOUT + 1.5}),
        ("after_commit", {"then": "http_status", "status": 502, "body": "html"})]


@pytest.mark.parametrize(("fault", "extra"), LOST, ids=["drop", "timeout", "late", "html-502"])
def test_a_lost_answer_to_a_user_token_post_still_posts_exactly_once(circuits_app, slack, soar, fault, extra):
    arrived = []
    slack.faults.add("chat.postMessage", fault, on_fire=lambda: arrived.append(time.monotonic()), **extra)

    outcome = post(circuits_app)

    assert outcome.error is None, outcome.error
    general = slack.channel("general")["id"]
    time.sleep(max(0.0, arrived[0] + extra.get("delay", 0) + 0.5 - time.monotonic()))
    messages = wait_for_messages(slack, general, 1)
    assert [m["user"] for m in messages] == [slack.user("alice")["id"]]
    assert outcome.content["ts"] == messages[0]["ts"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_an_older_identical_message_of_the_person_is_not_taken_for_the_lost_post(circuits_app, slack, soar):
    """The same text by the same person ten minutes earlier is not this post. A user token's post is recognised
    by its text, so not finding it proves nothing: the post is reported as uncertain (and not sent twice),
    never passed off as the old message."""
    slack.reset({"channels": [{"name": "general", "is_general": True, "members": ["alice", "bob", "carol"],
                               "messages": [{"user": "alice", "ts": f"{time.time() - 600:.6f}",
                                             "text": "Phishing wave: Q&amp;A &lt;draft&gt; for *everyone*"}]}]})
    slack.faults.add("chat.postMessage", "drop")

    outcome = post(circuits_app)

    assert outcome.error is not None and "Slack did not answer the post to #general" in outcome.error
    assert f"{SETTLE} s later fn_slack still cannot tell whether the message is there" in outcome.error
    assert len(slack.messages(slack.channel("general")["id"])) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
