"""Exactly once under failures after a write took effect (behavior §7, Slack's "it's possible some aspect of the
operation succeeded"): the write lands in Slack, then its answer is a 5xx, a dropped connection or a timeout.
fn_slack must find out instead of writing again — one message, one channel, one file, one row, one archive."""

import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient

from fn_slack.lib import slack_uploads
from fn_slack.lib.errors import SlackUnreachableError
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_uploads import SlackUploads
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.slack_writes import POST_EVENT_TYPE
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function, wait_for_messages
from tests.functions.harness import config_data as make_config

# A short client timeout so that an answer held back "after commit" times out quickly, and a short time for
# Slack to carry a post out after that (write_settle_seconds): a lost post is looked for until 1 + 3 s.
TIMEOUT, SETTLE = 1, 3
config_data = make_config(timeout=TIMEOUT, write_settle_seconds=SETTLE, max_rate_limit_wait=10)

THEN = [("http_status", {"status": 503}), ("http_status", {"status": 502, "body": "html"}), ("drop", {}),
        ("timeout", {"delay": 3.0})]
THEN_IDS = ["503", "html-502", "drop", "timeout"]
NOTICE = "This channel has been set to be archived from SOAR."


@pytest.fixture(autouse=True)
def short_share_wait(monkeypatch):
    monkeypatch.setattr(slack_uploads, "SHARE_WAIT_SECONDS", 1.0)


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
    assert len(soar.rows_of(INCIDENT)) == 1
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
    assert len(soar.rows_of(INCIDENT)) == 1


def seed_linked_channel(slack, soar):
    """#inc-2095, linked to the incident, with one message of Alice's; returns its ID."""
    alice = slack.user("alice")["id"]
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, alice])
    slack.add_message(channel_id, alice, "Found it")
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "inc-2095",
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel_id,
                            "slack_db_permalink": "", "slack_db_time": 1})
    return channel_id


@pytest.mark.parametrize(("then", "extra"), THEN, ids=THEN_IDS)
@pytest.mark.parametrize("method", ["chat.postMessage", "conversations.archive"])
def test_archive_notices_saves_and_archives_once_when_an_answer_is_lost(circuits_app, slack, soar, method, then,
                                                                         extra):
    channel_id = seed_linked_channel(slack, soar)
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


def post_to_new_channel(circuits_app):
    return run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_text": "Phishing wave"})


def test_a_post_slack_carries_out_after_the_client_gave_up_is_found_not_posted_again(circuits_app, slack, soar):
    """Slack carries the post out 1.5 s after fn_slack's 1 s timeout: the first look finds nothing, a later
    one finds it; posting again after the first look would put the message in the channel twice."""
    arrived = []
    slack.faults.add("chat.postMessage", "after_commit", then="late", delay=TIMEOUT + 1.5,
                     on_fire=lambda: arrived.append(time.monotonic()))

    outcome = post_to_new_channel(circuits_app)

    assert outcome.error is None, outcome.error
    channel_id = slack.channel("inc-2095")["id"]
    time.sleep(max(0.0, arrived[0] + TIMEOUT + 2.0 - time.monotonic()))   # the held post is in by now
    assert [m["text"] for m in slack.messages(channel_id)] == ["Phishing wave"]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert outcome.content["ts"] == slack.messages(channel_id)[0]["ts"]
    assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["inc-2095"]


def test_a_post_that_can_no_longer_land_is_sent_again_once(circuits_app, slack, soar):
    """The connection drops before Slack stores the post: fn_slack looks for it until it can no longer land
    (write_settle_seconds after the answer was lost), then — and only then — sends it again: one message."""
    slack.faults.add("chat.postMessage", "drop")
    started = time.monotonic()

    outcome = post_to_new_channel(circuits_app)

    assert outcome.error is None, outcome.error
    assert time.monotonic() - started >= SETTLE
    channel_id = slack.channel("inc-2095")["id"]
    assert [m["text"] for m in slack.messages(channel_id)] == ["Phishing wave"]
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["inc-2095"]


def test_a_post_nobody_can_tell_about_is_reported_uncertain_never_sent_twice(circuits_app, slack, soar):
    """Slack carries the post out late, and answers none of fn_slack's look-ups until it could no longer land:
    whether it landed is unknown, so fn_slack says so and does not post again (the message appears once)."""
    arrived = []
    slack.faults.add("chat.postMessage", "after_commit", then="late", delay=TIMEOUT + 1.5,
                     on_fire=lambda: arrived.append(time.monotonic()))
    slack.faults.add("conversations.history", "http_status", status=503, times=1000)

    outcome = post_to_new_channel(circuits_app)

    assert outcome.error is not None
    assert "Slack did not answer the post to #inc-2095 (no answer)" in outcome.error
    assert f"{SETTLE} s later fn_slack still cannot tell whether the message is there" in outcome.error
    assert "Check #inc-2095 in Slack: run the action again only if the message is not there." in outcome.error
    slack.faults.clear()
    channel_id = slack.channel("inc-2095")["id"]
    assert [m["text"] for m in wait_for_messages(slack, channel_id, 1)] == ["Phishing wave"]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert soar.rows_of(INCIDENT) == []


@pytest.mark.parametrize(("then", "extra"), THEN, ids=THEN_IDS)
def test_an_ephemeral_message_whose_answer_is_lost_is_not_sent_again(slack, then, extra):
    """chat.postEphemeral cannot be looked for (no history holds it): after a lost answer it is not resent, so
    the person is told once, never twice."""
    settings = SlackSettings.from_app_configs({"api_token": TOKEN, "slack_api_url": slack.base_url,
                                               "timeout": TIMEOUT})
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, "alice"])
    after_commit(slack, "chat.postEphemeral", then, extra)

    with pytest.raises(SlackUnreachableError):
        SlackClient(settings).post_ephemeral(channel_id, slack.user("alice")["id"], "Your answer was not recorded.")

    assert_lost_answer_happened(slack, "chat.postEphemeral")
    assert [e["text"] for e in slack.ephemerals] == ["Your answer was not recorded."]


def test_a_redelivered_post_waits_for_the_first_deliverys_post_still_in_flight(slack):
    """SOAR delivers the function message again because the process holding it died while its post was in
    Slack's hands: the post lands 2 s later, after the redelivered run's first look."""
    settings = SlackSettings.from_app_configs({"api_token": TOKEN, "slack_api_url": slack.base_url,
                                               "timeout": TIMEOUT, "write_settle_seconds": SETTLE})
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
    slack.faults.add("chat.postMessage", "after_commit", then="late", delay=2.0)
    dying = WebClient(token=TOKEN, base_url=slack.base_url, timeout=0.3, retry_handlers=[])
    first = threading.Thread(target=lambda: pytest.raises(TimeoutError, dying.chat_postMessage, channel=channel_id,
                                                          text="Phishing wave", metadata={
                                                              "event_type": POST_EVENT_TYPE,
                                                              "event_payload": {"key": "run-1"}}))
    sent = time.monotonic()
    first.start()
    first.join()

    ts = SlackClient(settings).post_message(Channel.from_slack(slack.channel(channel_id)), "Phishing wave",
                                           key="run-1", check_first=True).ts

    time.sleep(max(0.0, sent + 2.5 - time.monotonic()))   # the first delivery's post is in by now
    assert [m["text"] for m in slack.messages(channel_id)] == ["Phishing wave"]
    assert ts == slack.messages(channel_id)[0]["ts"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_redelivered_upload_waits_for_the_first_deliverys_share_still_in_flight(slack):
    """The first delivery completed its upload and died; Slack shares the file 2 s later. The redelivered run
    must not share the file a second time."""
    settings = SlackSettings.from_app_configs({"api_token": TOKEN, "slack_api_url": slack.base_url,
                                               "timeout": TIMEOUT, "write_settle_seconds": SETTLE})
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
    dying = WebClient(token=TOKEN, base_url=slack.base_url, timeout=0.3, retry_handlers=[])
    ticket = dying.files_getUploadURLExternal(filename="report.txt", length=11)
    urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"report body", method="POST"),
                           timeout=5).read()
    slack.faults.add("files.completeUploadExternal", "after_commit", then="late", delay=2.0)
    sent = time.monotonic()
    with pytest.raises(TimeoutError):
        dying.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "report.txt"}],
                                           channel_id=channel_id)

    uploads = SlackUploads(SlackClient(settings))
    shared = uploads.upload_file(Channel.from_slack(slack.channel(channel_id)), b"report body",
                                 "report.txt", "report.txt", check_first=True)

    time.sleep(max(0.0, sent + 2.5 - time.monotonic()))
    files = [f for m in slack.messages(channel_id) for f in m.get("files") or []]
    assert [f["id"] for f in files] == [ticket["file_id"]]
    assert shared.id == ticket["file_id"]


def test_an_archive_slack_carries_out_just_after_the_look_is_not_reported_as_archived_by_someone_else(
        circuits_app, slack, soar):
    """conversations.archive lands just after fn_slack's look found the channel still open: the second request
    answers already_archived, which here means this run's own archive, not someone else's."""
    seed_linked_channel(slack, soar)
    slack.faults.add("conversations.archive", "after_commit", then="late", delay=TIMEOUT + 0.1)

    outcome = run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT})

    assert outcome.error is None, outcome.error
    assert slack.channel("inc-2095")["is_archived"] is True
    assert "was already archived" not in " ".join(outcome.statuses)
    assert len(soar.saved_attachments(INCIDENT)) == 1
