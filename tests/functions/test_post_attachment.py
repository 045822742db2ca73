"""slack_post_attachment through resilient-circuits, against the Slack sandbox over HTTP (behavior §3.4)."""

import json
import re

import pytest

from fn_slack.lib import slack_uploads
from sandbox.slack.html_view import slack_unescape
from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config()
FN = "slack_post_attachment"
REPORT = b"%PDF-1.7 quarterly report\n" * 100
# Every Slack method that changes the workspace and that a post could send.
SLACK_WRITES = {"conversations.create", "conversations.invite", "conversations.join", "chat.postMessage",
                "files.getUploadURLExternal", "files.completeUploadExternal", "chat.update"}


@pytest.fixture(autouse=True)
def short_share_wait(monkeypatch):
    monkeypatch.setattr(slack_uploads, "SHARE_WAIT_SECONDS", 1.0)


def upload(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    inputs.setdefault("slack_channel", "general")
    return run_function(circuits_app, FN, inputs)


def shared_files(slack, channel_name):
    messages = slack.messages(slack.channel(channel_name)["id"])
    return [(m.get("text"), f) for m in messages for f in m.get("files") or []]


class TestPostAttachment:
    def test_incident_attachment_is_shared_with_title_and_comment(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "report.pdf", REPORT)

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_text="Quarterly report")

        [(comment, file)] = shared_files(slack, "general")
        assert comment == "Quarterly report"
        assert file["name"] == "report.pdf"
        assert file["title"] == "Incident ID 2095 Incident Attachment: report.pdf"
        assert file["size"] == len(REPORT)
        result = outcome.content
        assert result["channel"] == "general" and result["file_name"] == "report.pdf"
        assert result["url"].startswith(f"https://sandbox.slack.com/archives/{slack.channel('general')['id']}/p")
        assert "files.upload" not in [c.method for c in slack.calls]
        assert soar.rows_of(INCIDENT)[0]["slack_db_channel"] == "general"


    def test_task_attachment_title_says_task(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "notes.txt", b"task notes", task_id=TASK)

        upload(circuits_app, task_id=TASK, attachment_id=attachment_id)

        [(_, file)] = shared_files(slack, "general")
        assert file["title"] == "Incident ID 2095 Task Attachment: notes.txt"
        assert soar.rows_of(INCIDENT)[0]["slack_db_res_id"] == "RES-2095-7"


    def test_artifact_file_title_says_artifact(self, circuits_app, slack, soar):
        artifact_id = soar.add_artifact(INCIDENT, "Log File", "auth.log", file_name="auth.log",
                                        data=b"Failed password\n")["id"]

        upload(circuits_app, artifact_id=artifact_id)

        [(_, file)] = shared_files(slack, "general")
        assert file["title"] == "Incident ID 2095 Artifact Attachment: auth.log"


    def test_malware_sample_is_refused_and_nothing_reaches_slack(self, circuits_app, slack, soar):
        artifact_id = soar.add_artifact(INCIDENT, "Malware Sample", "evil.exe", file_name="evil.exe",
                                        data=b"MZ\x90\x00")["id"]

        outcome = upload(circuits_app, artifact_id=artifact_id)

        assert "Malware Sample" in outcome.error and "allow_malware_samples" in outcome.error
        assert slack.calls == []


    def test_no_file_given_fails_naming_the_inputs(self, circuits_app, slack, soar):
        outcome = upload(circuits_app)

        assert "artifact_id" in outcome.error and "attachment_id" in outcome.error
        assert slack.calls == []


    def test_unknown_attachment_fails_naming_the_ids(self, circuits_app, slack, soar):
        outcome = upload(circuits_app, attachment_id=999999)

        assert "attachment_id" in outcome.error
        assert slack.calls == []


    def test_a_new_channel_without_the_private_flag_is_refused_before_any_slack_write(self, circuits_app, slack,
                                                                                        soar):
        attachment_id = soar.add_attachment(INCIDENT, "report.pdf", REPORT)
        soar.calls.clear()

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_channel="new-room",
                         slack_participant_emails="alice@example.com", slack_text="Quarterly report")

        assert "slack_is_channel_private is empty" in outcome.error
        assert "set slack_is_channel_private to Yes (private) or No (public)" in outcome.error
        assert slack.channel("new-room") is None
        assert not {c.method for c in slack.calls} & SLACK_WRITES, [c.method for c in slack.calls]
        assert soar.rows_of(INCIDENT) == [] and [call.method for call in soar.calls if call.method != "GET"] == []

    def test_the_linked_channel_with_an_empty_flag_gets_the_file(self, circuits_app, slack, soar):
        first = soar.add_attachment(INCIDENT, "first.txt", b"first")
        upload(circuits_app, attachment_id=first, slack_channel="inc-2095", slack_is_channel_private=True)
        second = soar.add_attachment(INCIDENT, "second.txt", b"second")

        outcome = upload(circuits_app, attachment_id=second, slack_channel="inc-2095", slack_is_channel_private="")

        assert outcome.content["channel"] == "inc-2095" and outcome.content["channel_type"] == "Private"
        assert [f["name"] for _, f in shared_files(slack, "inc-2095")] == ["first.txt", "second.txt"]
        assert len(slack.calls_to("conversations.create")) == 1

    def test_a_hostile_comment_pings_nobody_and_links_nowhere(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "report.pdf", REPORT)
        comment = "<!here> free gift @channel <https://evil.example/login|Approve>"

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_text=comment)

        assert outcome.error is None, outcome.error
        [message] = slack.messages(slack.channel("general")["id"])
        assert [(n["broadcast"], n["users"]) for n in slack.notifications if n["ts"] == message["ts"]] == [([], [])]
        # Slack links the bare address to itself; no mention and no labelled link survived.
        assert re.findall(r"<([^<>]*)>", message["text"]) == ["https://evil.example/login%7CApprove"]
        # The words read as typed; the "|" inside the address is percent-encoded, so it starts no link label.
        shown = re.sub(r"<(https?://[^<>|]*)>", r"\1", message["text"])   # a link to itself shows its address
        assert slack_unescape(shown).replace("\u200b", "") == comment.replace("login|", "login%7C")

    def test_a_container_comment_keeps_the_analysts_mention_and_escapes_the_data(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "report.pdf", REPORT)
        bob = slack.user("bob")["id"]
        comment = json.dumps({"Additional Text": {"type": "string", "data": f"<@{bob}> the report"},
                              "Type of data": {"type": "string", "data": "Attachment"},
                              "File": {"type": "string", "data": "<!here>report.pdf"}})

        upload(circuits_app, attachment_id=attachment_id, slack_text=comment)

        [message] = slack.messages(slack.channel("general")["id"])
        assert message["text"] == f"<@{bob}> the report\n*SOAR Attachment*\n*File*: &lt;!here&gt;report.pdf"
        assert [(n["broadcast"], n["users"]) for n in slack.notifications if n["ts"] == message["ts"]] == \
            [([], [bob])]

    def test_share_that_appears_late_still_gives_the_message_permalink(self, circuits_app, slack, soar):
        slack.share_delay = 0.4
        attachment_id = soar.add_attachment(INCIDENT, "late.txt", b"late")

        outcome = upload(circuits_app, attachment_id=attachment_id)

        assert "/archives/" in outcome.content["url"]
        assert outcome.content["ts"]


    def test_share_that_never_appears_falls_back_to_the_file_permalink(self, circuits_app, slack, soar):
        slack.share_delay = 30
        attachment_id = soar.add_attachment(INCIDENT, "slow.txt", b"slow")

        outcome = upload(circuits_app, attachment_id=attachment_id)

        assert outcome.error is None
        assert "/files/" in outcome.content["url"]
        assert any("links to the file itself" in s for s in outcome.statuses)


class TestUploadsAgainstARealWorkspace:
    """Issue: uploads join first, check the real bytes first, and survive a files.info failure after the share."""

    def test_an_empty_file_is_refused_before_any_channel_is_created(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "empty.log", b"")

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_channel="new-room",
                         slack_is_channel_private=False, slack_participant_emails="alice@example.com")

        assert "empty.log is empty (0 bytes): Slack does not take empty files, so nothing was uploaded." in \
            outcome.error
        assert slack.channel("new-room") is None
        assert [c.method for c in slack.calls] == []
        assert soar.rows_of(INCIDENT) == []

    def test_a_file_larger_than_soar_said_is_refused_before_any_channel_is_created(self, circuits_app, slack, soar,
                                                                                    monkeypatch):
        attachment_id = soar.add_attachment(INCIDENT, "grows.bin", b"x" * (2 * 1024 * 1024))
        [meta] = [m for m in soar.attachments.values() if m["id"] == attachment_id]
        monkeypatch.setitem(meta, "size", 10)   # SOAR's metadata says 10 bytes
        monkeypatch.setitem(circuits_app.app.opts["fn_slack"], "max_upload_mb", "1")

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_channel="new-room",
                         slack_is_channel_private=False)

        assert "grows.bin is 2.0 MB, over the upload limit of 1.0 MB: nothing was uploaded." in outcome.error
        assert slack.channel("new-room") is None and slack.calls == []

    def test_a_public_channel_the_app_is_not_in_is_joined_and_the_upload_completed_once(self, circuits_app, slack,
                                                                                         soar):
        slack.add_channel("ops", members=[slack.user("alice")["id"]])
        attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"report")

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_channel="ops")

        assert outcome.error is None, outcome.error
        assert len(slack.calls_to("files.completeUploadExternal")) == 1
        assert slack.bot_user_id in slack.channel("ops")["members"]
        files = [f["name"] for m in slack.messages(slack.channel("ops")["id"]) for f in m.get("files") or []]
        assert files == ["report.txt"]

    def test_files_info_failing_after_the_share_does_not_fail_a_shared_file(self, circuits_app, slack, soar):
        slack.share_delay = 0.5
        slack.faults.add("files.info", "http_status", status=500, times=50)
        attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"report")

        outcome = upload(circuits_app, attachment_id=attachment_id, slack_channel="general")

        assert outcome.error is None, outcome.error
        assert outcome.content["file_name"] == "report.txt" and outcome.content["url"]
        assert "Slack had not shown the file in the channel yet; the result links to the file itself." in \
            outcome.statuses
