"""Every example menu item, clicked as an analyst would, through a real `resilient-circuits run` process."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
POST_TASK = "Example: Post Task to Slack"
POST_NOTE = "Example: Post Note to Slack"
POST_ARTIFACT = "Example: Post Artifact to Slack"
POST_ATTACHMENT = "Example: Post Incident / Task Attachment to Slack"
POST_ARTIFACT_FILE = "Example: Post Artifact Attachment to Slack"
ARCHIVE_INCIDENT = "Example: Archive Incident Slack Channel"
ARCHIVE_TASK = "Example: Archive Task Slack Channel"


def dialog(channel: str = "", text: str = "", emails: str = "", private: bool | None = False) -> dict:
    """What the analyst types into a post menu item's dialog."""
    return {"rule_slack_channel": channel or None, "rule_slack_text": text or None,
            "rule_slack_participant_emails": emails or None, "rule_slack_is_channel_private": private}


def click(stack, rule: str, **kwargs):
    return stack.driver.click(rule, **kwargs)


def assert_completed(stack, result) -> None:
    assert result.completed, f"{result.report()}\n{stack.logs()}"


def note_texts(stack, incident_id: int, task_id: int | None = None) -> list[str]:
    return [n["text"] for n in stack.soar.state.notes_of(incident_id, task_id)]


def test_post_incident_creates_the_channel_posts_the_summary_links_it_and_adds_a_note(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Phishing wave", "<p>Mails with <b>bad</b> links</p>",
                                          severity_code="High")
    name = f"inc-{incident['id']}-phishing"
    result = click(stack, POST_INCIDENT, incident_id=incident["id"],
                   properties=dialog(name, "Please review", "alice@example.com, nobody@example.com"))
    assert_completed(stack, result)

    channel = stack.slack.channel(name)
    assert channel is not None and not channel["is_private"]
    assert stack.slack.user("alice@example.com")["id"] in channel["members"]
    [message] = stack.slack.messages(channel["id"])
    [attachment] = message["attachments"]
    assert "Please review" in message["text"]  # the analyst's text shows above the attachment
    assert attachment["title"] == "SOAR Incident"
    assert "Phishing wave" in attachment["text"]
    assert result.content["channel"] == name
    assert result.content["url"].startswith("https://sandbox.slack.com/archives/")
    assert any("nobody@example.com" in status for status in result.status_messages)

    [row] = stack.soar.state.rows_of(incident["id"])
    assert row["slack_db_res_id"] == f"RES-{incident['id']}"
    assert (row["slack_db_channel"], row["slack_db_channel_id"]) == (name, channel["id"])
    assert row["slack_db_channel_type"] == "Public"
    [note] = note_texts(stack, incident["id"])
    assert f"#{name}" in note


def test_post_task_creates_a_private_channel_linked_to_the_task_and_notes_the_task(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Lost laptop")
    task = stack.soar.create_task(incident["id"], "Wipe the laptop remotely")
    name = f"task-{task['id']}"
    result = click(stack, POST_TASK, incident_id=incident["id"], task_id=task["id"],
                   properties=dialog(name, "Wipe it today", private=True))
    assert_completed(stack, result)

    channel = stack.slack.channel(name)
    assert channel["is_private"]
    [message] = stack.slack.messages(channel["id"])
    assert message["attachments"][0]["title"] == "SOAR Task"
    assert "Wipe the laptop remotely" in message["attachments"][0]["text"]
    [row] = stack.soar.state.rows_of(incident["id"])
    assert row["slack_db_res_id"] == f"RES-{incident['id']}-{task['id']}"
    assert row["slack_db_channel_type"] == "Private"
    assert note_texts(stack, incident["id"]) == []
    [note] = note_texts(stack, incident["id"], task["id"])
    assert f"#{name}" in note


def test_post_note_and_artifact_without_a_channel_go_to_the_incident_linked_channel(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Ransomware on FS01")
    name = f"inc-{incident['id']}"
    assert_completed(stack, click(stack, POST_INCIDENT, incident_id=incident["id"], properties=dialog(name)))
    note = stack.soar.add_note(incident["id"], "<p>Backups are <b>intact</b></p>")
    artifact = stack.soar.add_artifact(incident["id"], "IP Address", "203.0.113.7", "C2 server")

    on_note = click(stack, POST_NOTE, incident_id=incident["id"], object_id=note["id"], properties=dialog())
    on_artifact = click(stack, POST_ARTIFACT, incident_id=incident["id"], object_id=artifact["id"],
                        properties=dialog(text="Block this"))
    assert_completed(stack, on_note)
    assert_completed(stack, on_artifact)

    messages = stack.slack.messages(stack.slack.channel(name)["id"])
    assert [m["attachments"][0]["title"] for m in messages] == ["SOAR Incident", "SOAR Incident Note",
                                                                "SOAR Artifact"]
    assert "intact" in messages[1]["attachments"][0]["text"]
    assert "203.0.113.7" in messages[2]["attachments"][0]["text"]
    assert len(stack.soar.state.rows_of(incident["id"])) == 1
    assert len(note_texts(stack, incident["id"])) == 4  # the analyst's note and one per post


def test_incident_and_task_attachments_are_uploaded_to_the_channel(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Suspicious invoice")
    task = stack.soar.create_task(incident["id"], "Check the invoice")
    on_incident = stack.soar.add_attachment(incident["id"], "invoice.pdf", b"%PDF-1.4 invoice",
                                            content_type="application/pdf")
    on_task = stack.soar.add_attachment(incident["id"], "headers.txt", b"Received: from evil",
                                        content_type="text/plain", task_id=task["id"])
    name = f"inc-{incident['id']}-files"

    first = click(stack, POST_ATTACHMENT, incident_id=incident["id"], object_id=on_incident["id"],
                  properties=dialog(name, "The invoice"))
    second = click(stack, POST_ATTACHMENT, incident_id=incident["id"], object_id=on_task["id"],
                   properties=dialog(name, "Its headers"))
    assert_completed(stack, first)
    assert_completed(stack, second)

    shared = [f for m in stack.slack.messages(stack.slack.channel(name)["id"]) for f in m.get("files", [])]
    assert [f["name"] for f in shared] == ["invoice.pdf", "headers.txt"]
    assert stack.slack.file(shared[0]["id"])["data"] == b"%PDF-1.4 invoice"
    assert stack.slack.file(shared[1]["id"])["data"] == b"Received: from evil"
    assert any("Task" in f["title"] for f in shared)
    # The task attachment's note goes on the task, the incident attachment's on the incident.
    assert len(note_texts(stack, incident["id"], task["id"])) == 1
    assert len(note_texts(stack, incident["id"])) == 1


def test_artifact_file_is_uploaded_and_a_malware_sample_is_refused_by_the_rule_and_by_the_function(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Dropper seen on laptop")
    log_file = stack.soar.add_artifact(incident["id"], "Log File", "proxy.log", file_name="proxy.log",
                                       data=b"GET http://evil.example/dropper.exe", content_type="text/plain")
    malware = stack.soar.add_artifact(incident["id"], "Malware Sample", "dropper.exe", file_name="dropper.exe",
                                      data=b"MZ\x90\x00dropper")
    name = f"inc-{incident['id']}-art"

    posted = click(stack, POST_ARTIFACT_FILE, incident_id=incident["id"], object_id=log_file["id"],
                   properties=dialog(name, "Proxy log"))
    assert_completed(stack, posted)
    [message] = stack.slack.messages(stack.slack.channel(name)["id"])
    assert [f["name"] for f in message["files"]] == ["proxy.log"]

    uploads_before = len(stack.slack.calls_to("files.getUploadURLExternal"))
    hidden = click(stack, POST_ARTIFACT_FILE, incident_id=incident["id"], object_id=malware["id"],
                   properties=dialog(name))
    assert not hidden.shown and hidden.message_id is None

    forced = click(stack, POST_ARTIFACT_FILE, incident_id=incident["id"], object_id=malware["id"],
                   properties=dialog(name), enforce_conditions=False)
    assert not forced.completed
    assert "Malware Sample" in forced.error
    assert len(stack.slack.calls_to("files.getUploadURLExternal")) == uploads_before
    assert len(stack.slack.messages(stack.slack.channel(name)["id"])) == 1


def test_archive_task_then_incident_channel_saves_each_history_and_archives(running_stack):
    stack = running_stack
    incident = stack.soar.create_incident("Insider exfiltration")
    task = stack.soar.create_task(incident["id"], "Interview the employee")
    inc_channel, task_channel = f"inc-{incident['id']}-ix", f"task-{task['id']}-ix"
    assert_completed(stack, click(stack, POST_INCIDENT, incident_id=incident["id"],
                                  properties=dialog(inc_channel, "Start here")))
    assert_completed(stack, click(stack, POST_TASK, incident_id=incident["id"], task_id=task["id"],
                                  properties=dialog(task_channel, "Interview today")))
    stack.slack.add_message(stack.slack.channel(task_channel)["id"], "bob", "Interview done, notes attached")

    archived_task = click(stack, ARCHIVE_TASK, incident_id=incident["id"], task_id=task["id"], properties={})
    assert_completed(stack, archived_task)
    assert stack.slack.channel(task_channel)["is_archived"]
    assert not stack.slack.channel(inc_channel)["is_archived"]
    [saved] = stack.soar.state.attachments_of(incident["id"], task["id"])
    assert saved["name"] == f"Slack_channel_{task_channel}_history.txt"
    history = stack.soar.state.attachment_files[saved["id"]].decode("utf-8")
    assert history.startswith("1 - SOAR POSTED ON ")
    assert "This channel has been set to be archived from SOAR." in history
    assert "Interview done, notes attached" in history
    assert any("has been archived" in text for text in note_texts(stack, incident["id"], task["id"]))

    archived_incident = click(stack, ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})
    assert_completed(stack, archived_incident)
    assert stack.slack.channel(inc_channel)["is_archived"]
    [saved_incident] = stack.soar.state.attachments_of(incident["id"])
    assert saved_incident["name"] == f"Slack_channel_{inc_channel}_history.txt"

    # Clicking again fails saying the channel is archived (behavior §3.5), saving and noting nothing twice.
    notes_before = note_texts(stack, incident["id"])
    again = click(stack, ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})
    assert not again.completed
    assert f"Slack channel #{inc_channel} is already archived." in (again.error or ""), again.report()
    assert len(stack.soar.state.attachments_of(incident["id"])) == 1
    assert note_texts(stack, incident["id"]) == notes_before
