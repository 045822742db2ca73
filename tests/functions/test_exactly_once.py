"""Exactly once under failures after a write took effect (behavior §7, Slack's "it's possible some aspect of the
operation succeeded"): the write lands in Slack, then its answer is a 5xx, a dropped connection or a timeout.
fn_slack must find out instead of writing again — one message, one channel, one file, one row, one archive."""

import pytest

from fn_slack.lib import slack_utils
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_mock import SoarMock

# A short client timeout so that an answer held back "after commit" times out quickly.
config_data = make_config(timeout=2, max_rate_limit_wait=10)
resilient_mock = SoarMock

THEN = [("http_status", {"status": 503}), ("http_status", {"status": 502, "body": "html"}), ("drop", {}),
        ("timeout", {"delay": 3.0})]
THEN_IDS = ["503", "html-502", "drop", "timeout"]
NOTICE = "This channel has been set to be archived from SOAR."


@pytest.fixture(autouse=True)
def short_share_wait(monkeypatch):
    monkeypatch.setattr(slack_utils, "SHARE_WAIT_SECONDS", 1.0)


def after_commit(slack, method, then, extra):
    slack.faults.add(method, "after_commit", then=then, **extra)


def assert_lost_answer_happened(slack, method):
    assert slack.faults.pending() == [], f"the after-commit fault on {method} never fired"


@pytest.mark.parametrize(("then", "extra"), THEN, ids=THEN_IDS)
@pytest.mark.parametrize("method", ["conversations.create", "conversations.invite", "chat.postMessage"])
def test_post_message_writes_once_when_an_answer_is_lost(circuits_app, slack, soar, method, then, extra):
    after_commit(slack, method, then, extra)

    outcome = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_participant_emails": "alice@example.com", "slack_text": "Phishing wave"})

    assert outcome.error is None, outcome.error
    assert_lost_answer_happened(slack, method)
    named = [c for c in slack.state_json()["channels"] if c["name"] == "inc-2095"]
    assert len(named) == 1
    assert [m["text"] for m in slack.messages(named[0]["id"])] == ["Phishing wave"]
    assert slack.user("alice")["id"] in slack.channel("inc-2095")["members"]
    assert len(soar.table(INCIDENT)) == 1
    assert outcome.content["ts"] == slack.messages(named[0]["id"])[0]["ts"]


@pytest.mark.parametrize(("then", "extra"), THEN, ids=THEN_IDS)
@pytest.mark.parametrize("method", ["upload", "files.completeUploadExternal"])
def test_post_attachment_shares_the_file_once_when_an_answer_is_lost(circuits_app, slack, soar, method, then,
                                                                       extra):
    attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"report body")
    after_commit(slack, method, then, extra)

    outcome = run_function(circuits_app, "slack_post_attachment", {
        "incident_id": INCIDENT, "attachment_id": attachment_id, "slack_channel": "general"})

    assert outcome.error is None, outcome.error
    files = [f for m in slack.messages(slack.channel("general")["id"]) for f in m.get("files") or []]
    assert [f["name"] for f in files] == ["report.txt"]
    assert len(soar.table(INCIDENT)) == 1


@pytest.mark.parametrize(("then", "extra"), THEN, ids=THEN_IDS)
@pytest.mark.parametrize("method", ["chat.postMessage", "conversations.archive"])
def test_archive_notices_saves_and_archives_once_when_an_answer_is_lost(circuits_app, slack, soar, method, then,
                                                                         extra):
    alice = slack.user("alice")["id"]
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, alice])
    slack.add_message(channel_id, alice, "Found it")
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "inc-2095",
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel_id,
                            "slack_db_permalink": "", "slack_db_time": 1})
    after_commit(slack, method, then, extra)

    outcome = run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT})

    assert outcome.error is None, outcome.error
    assert_lost_answer_happened(slack, method)
    notices = [m for m in slack.messages(channel_id) if m["text"] == NOTICE]
    assert len(notices) == 1
    assert len(soar.saved_attachments(INCIDENT)) == 1
    assert slack.channel("inc-2095")["is_archived"] is True
    assert "was already archived" not in " ".join(outcome.statuses)


def test_a_lost_answer_that_did_not_take_effect_is_sent_again_once(circuits_app, slack, soar):
    slack.faults.add("chat.postMessage", "http_status", status=503)   # refused before anything was stored

    outcome = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "general", "slack_text": "once"})

    assert outcome.error is None, outcome.error
    assert [m["text"] for m in slack.messages(slack.channel("general")["id"])] == ["once"]
    assert len(slack.calls_to("chat.postMessage")) == 2
