"""The fault matrix: Slack 5xx, dropped connections, revoked tokens and lost membership at each step of each
function, with the outcome a SOAR user should see (issue: benchmarks and the fault suite)."""

import pytest
from slack_sdk import WebClient

from fn_slack.lib import slack_uploads
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

# A small wait budget keeps the "fails for good" cases quick: 0.25 s + 0.5 s of backoff, then give up.
# A post whose connection drops may still land: it is looked for write_settle_seconds before being reported.
config_data = make_config(max_rate_limit_wait=1.5, write_settle_seconds=1)

POST_STEPS = ["conversations.create", "users.lookupByEmail", "conversations.invite", "chat.postMessage",
              "chat.getPermalink"]
UPLOAD_STEPS = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal", "chat.getPermalink"]
ARCHIVE_STEPS = ["chat.postMessage", "conversations.history", "conversations.replies", "users.info",
                 "conversations.archive"]


@pytest.fixture(autouse=True)
def short_share_wait(monkeypatch):
    monkeypatch.setattr(slack_uploads, "SHARE_WAIT_SECONDS", 0.5)


def post_message(circuits_app):
    return run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_participant_emails": "alice@example.com", "slack_text": "Phishing wave"})


def post_attachment(circuits_app, soar):
    attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"report body")
    return run_function(circuits_app, "slack_post_attachment", {
        "incident_id": INCIDENT, "attachment_id": attachment_id, "slack_channel": "general"})


def seed_archivable(slack, soar):
    alice = slack.user("alice")["id"]
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, alice])
    parent = slack.add_message(channel_id, alice, "Found it")
    slack.add_message(channel_id, alice, "details", thread_ts=parent)
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "inc-2095",
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel_id,
                            "slack_db_permalink": "", "slack_db_time": 1})
    return channel_id


def archive(circuits_app):
    return run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT})


def assert_fault_fired(slack, step):
    assert any(c.method == step and not c.ok and c.http_status in (0, 500, 502, 503) for c in slack.calls), \
        f"the scripted fault on {step} never fired"


# A dropped chat.postMessage may have been carried out: it is looked for until it can no longer land
# (write_settle_seconds), then sent again.
RIDDEN_THROUGH = pytest.mark.parametrize(("step", "kind"), [
    (step, kind) for step in POST_STEPS for kind in ("http_status", "drop")])
RIDDEN_THROUGH_ARCHIVE = pytest.mark.parametrize(("step", "kind"), [
    (step, kind) for step in ARCHIVE_STEPS for kind in ("http_status", "drop")])


class TestTransientFaultsAreRiddenThrough:
    @RIDDEN_THROUGH
    def test_post_message(self, circuits_app, slack, soar, step, kind):
        slack.faults.add(step, kind, times=1, status=503)

        outcome = post_message(circuits_app)

        assert outcome.error is None, outcome.error
        assert_fault_fired(slack, step)
        channel = slack.channel("inc-2095")
        assert [m["text"] for m in slack.messages(channel["id"])] == ["Phishing wave"]
        assert slack.user("alice")["id"] in channel["members"]
        assert len(soar.rows_of(INCIDENT)) == 1

    @pytest.mark.parametrize("kind", ["http_status", "drop"])
    @pytest.mark.parametrize("step", UPLOAD_STEPS)
    def test_post_attachment(self, circuits_app, slack, soar, step, kind):
        slack.faults.add(step, kind, times=1, status=500)

        outcome = post_attachment(circuits_app, soar)

        assert outcome.error is None, outcome.error
        assert_fault_fired(slack, step)
        files = [f for m in slack.messages(slack.channel("general")["id"]) for f in m.get("files") or []]
        assert [f["name"] for f in files] == ["report.txt"]

    @RIDDEN_THROUGH_ARCHIVE
    def test_archive(self, circuits_app, slack, soar, step, kind):
        seed_archivable(slack, soar)
        slack.faults.add(step, kind, times=1, status=502)

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        assert_fault_fired(slack, step)
        [saved] = soar.saved_attachments(INCIDENT)
        assert b"Found it" in saved["data"] and b"\tdetails" in saved["data"]
        assert slack.channel("inc-2095")["is_archived"] is True


class TestLostPosts:
    """chat.postMessage whose connection drops, and Slack answers none of the look-ups for it until it could no
    longer land: nobody knows whether it is there, so fn_slack says so instead of posting it a second time."""

    def test_post_message(self, circuits_app, slack, soar):
        slack.faults.add("chat.postMessage", "drop")
        slack.faults.add("conversations.history", "http_status", status=503, times=1000)

        outcome = post_message(circuits_app)

        assert "Slack did not answer the post to #inc-2095 (no answer)" in outcome.error
        assert "Check #inc-2095 in Slack: run the action again only if the message is not there." in outcome.error
        assert len(slack.calls_to("chat.postMessage")) == 1
        assert slack.messages(slack.channel("inc-2095")["id"]) == []
        assert soar.rows_of(INCIDENT) == []

    def test_archive_stops_before_archiving(self, circuits_app, slack, soar):
        seed_archivable(slack, soar)
        # The notice's connection drops, and from then on Slack answers no read of the channel.
        slack.faults.add("chat.postMessage", "drop", on_fire=lambda: slack.faults.add(
            "conversations.history", "http_status", status=503, times=1000))

        outcome = archive(circuits_app)

        assert "Slack did not answer the post to #inc-2095 (no answer)" in outcome.error
        assert len(slack.calls_to("chat.postMessage")) == 1
        assert slack.channel("inc-2095")["is_archived"] is False
        assert soar.saved_attachments(INCIDENT) == []


class TestLastingFaultsFailClearly:
    @pytest.mark.parametrize("step", [step for step in POST_STEPS if step != "chat.getPermalink"])
    def test_post_message(self, circuits_app, slack, soar, step):
        slack.faults.add(step, "http_status", times=100, status=500)

        outcome = post_message(circuits_app)

        assert f"Slack failed to answer {step} (HTTP 500) after retrying; try again later." in outcome.error
        assert soar.rows_of(INCIDENT) == []

    def test_post_message_whose_link_never_comes_stays_posted_once_and_linked(self, circuits_app, slack, soar):
        """Failing the call here would make the analyst run it again and post the message twice."""
        slack.faults.add("chat.getPermalink", "http_status", times=100, status=500)

        outcome = post_message(circuits_app)

        assert outcome.error is None, outcome.error
        assert outcome.content["url"] == ""
        assert ("The message is in #inc-2095, but Slack did not give its link; the result and the data table have "
                "no link for it.") in outcome.statuses
        assert [m["text"] for m in slack.messages(slack.channel("inc-2095")["id"])] == ["Phishing wave"]
        assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["inc-2095"]

    def test_post_attachment_whose_share_link_never_comes_links_the_file(self, circuits_app, slack, soar):
        slack.faults.add("chat.getPermalink", "http_status", times=100, status=500)

        outcome = post_attachment(circuits_app, soar)

        assert outcome.error is None, outcome.error
        [shared] = [f for m in slack.messages(slack.channel("general")["id"]) for f in m.get("files") or []]
        assert outcome.content["url"] == slack.file(shared["id"])["permalink"]

    @pytest.mark.parametrize("step", [step for step in UPLOAD_STEPS if step != "chat.getPermalink"])
    def test_post_attachment(self, circuits_app, slack, soar, step):
        slack.faults.add(step, "http_status", times=100, status=500)

        outcome = post_attachment(circuits_app, soar)

        expected = ("Uploading the file to Slack failed (HTTP 500); nothing was shared. Run the action again."
                    if step == "upload" else f"Slack failed to answer {step} (HTTP 500) after retrying")
        assert expected in outcome.error
        assert soar.rows_of(INCIDENT) == []

    @pytest.mark.parametrize("step", ARCHIVE_STEPS)
    def test_archive_never_archives_an_unsaved_channel(self, circuits_app, slack, soar, step):
        seed_archivable(slack, soar)
        slack.faults.add(step, "drop", times=100)

        outcome = archive(circuits_app)

        assert f"Could not reach Slack at {slack.base_url} for {step}" in outcome.error
        assert slack.channel("inc-2095")["is_archived"] is False
        if step != "conversations.archive":
            assert soar.saved_attachments(INCIDENT) == []


class TestStateChangesBetweenCalls:
    def test_token_revoked_mid_run(self, circuits_app, slack, soar):
        assert post_message(circuits_app).error is None
        slack.revoke_token(slack.default_token)

        outcome = run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, "slack_text": "again"})

        assert outcome.error == ("ERROR:\n\nThe Slack token in [fn_slack] api_token has been revoked "
                                 "(token_revoked): reinstall the Slack app and update app.config.")
        assert len(slack.messages(slack.channel("inc-2095")["id"])) == 1

    def test_app_removed_from_its_private_channel(self, circuits_app, slack, soar):
        run_function(circuits_app, "slack_post_message", {
            "incident_id": INCIDENT, "slack_channel": "private-2095", "slack_is_channel_private": True,
            "slack_text": "first"})
        channel_id = slack.channel("private-2095")["id"]
        slack.remove_member(channel_id, slack.bot_user_id)

        outcome = run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, "slack_text": "x"})

        assert "#private-2095" in outcome.error
        assert "invite" in outcome.error.lower()
        assert len(slack.messages(channel_id)) == 1

    def test_app_removed_from_a_public_channel_rejoins_to_archive_it(self, circuits_app, slack, soar):
        channel_id = seed_archivable(slack, soar)
        slack.remove_member(channel_id, slack.bot_user_id)

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        assert slack.channel("inc-2095")["is_archived"] is True
        assert len(soar.saved_attachments(INCIDENT)) == 1

    def test_channel_archived_by_someone_else_after_linking(self, circuits_app, slack, soar):
        channel_id = seed_archivable(slack, soar)
        WebClient(token=slack.default_token, base_url=slack.base_url).conversations_archive(channel=channel_id)

        outcome = run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, "slack_text": "late"})

        assert outcome.error == ("ERROR:\n\nSlack channel #inc-2095 is archived and cannot be used: give another "
                                 "slack_channel.")
