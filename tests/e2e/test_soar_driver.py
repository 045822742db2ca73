"""The driver: what SOAR sends when a menu item is clicked, and what it does with the replies.

A stomp.py client plays the app here, so the message SOAR sends can be inspected field by field."""

from __future__ import annotations

import json

import pytest

from sandbox.soar import SoarSandbox
from sandbox.soar.driver import DriverError, SoarDriver
from sandbox.soar.scripting import default_export_path

from .stomp_client import ScriptedApp

pytestmark = pytest.mark.e2e

QUEUE = "actions.201.slack"
KEY, SECRET = "driver-key", "driver-secret"


@pytest.fixture
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as sandbox:
        pending = sandbox.state.start_import(json.loads(default_export_path().read_text(encoding="utf-8")))
        sandbox.state.finish_import(pending["id"], "ACCEPTED")
        yield sandbox


def FakeApp(soar: SoarSandbox, replies: list[dict]) -> ScriptedApp:  # noqa: N802 - reads as the app it plays
    """Consumes the slack destination and answers each function message with scripted replies."""
    return ScriptedApp(soar, replies, queue=QUEUE, login=(KEY, SECRET))


def _v2(content: dict, success: bool = True, reason: str | None = None) -> dict:
    return {"version": 2.0, "success": success, "reason": reason, "content": content, "raw": None,
            "inputs": {}, "metrics": {}}


def test_a_click_sends_the_function_message_soar_sends_and_the_post_processing_adds_the_note(soar):
    incident = soar.create_incident("Phishing wave", "<p>Many <b>mails</b></p>")
    app = FakeApp(soar, [
        {"message_type": 0, "message": "Channel #phish was created in your workspace", "complete": False},
        {"message_type": 0, "message": "Completed", "complete": True,
         "results": _v2({"channel": "phish", "url": "https://sandbox.slack.com/archives/C1/p1"})},
    ])
    result = SoarDriver(soar, timeout=30).click(
        "Example: Post Incident to Slack", incident_id=incident["id"],
        properties={"rule_slack_channel": "phish", "rule_slack_is_channel_private": False,
                    "rule_slack_text": "Look at this"})
    app.close()

    assert result.completed, result.report()
    [message] = app.seen.messages
    headers = message.headers
    assert headers["destination"] == QUEUE
    assert headers["reply-to"] == "acks.201.slack"
    assert headers["Co3MessagePayload"] == "FunctionDataDTO"
    assert headers["correlation-id"] == result.correlation_id
    assert headers["Co3ContextToken"] and headers["timestamp"].isdigit()
    body = json.loads(message.body)
    assert body["function"]["name"] == "slack_post_message"
    assert body["workflow"]["programmatic_name"] == "create_slack_message"
    assert body["object"] == {"id": incident["id"], "parent_id": None, "type_id": 0, "type_name": "incident",
                              "name": "Phishing wave", "object_type": "incident"}
    assert body["inputs"]["incident_id"] == incident["id"]
    assert body["inputs"]["slack_channel"] == "phish"
    assert body["inputs"]["slack_is_channel_private"] is False
    container = json.loads(body["inputs"]["slack_text"])
    assert container["Additional Text"]["data"] == "Look at this"
    assert "workflow_instance_id" in body["workflow_instance"]

    assert result.status_messages == ["Channel #phish was created in your workspace"]
    [note] = soar.state.notes_of(incident["id"])
    assert "#phish" in note["text"]
    assert result.notes == [note]


def test_a_failed_function_stops_the_workflow_before_post_processing(soar):
    incident = soar.create_incident("x")
    app = FakeApp(soar, [{"message_type": 1, "message": "ERROR:\n\nChannel name 'Bad Name' breaks Slack's rules",
                          "complete": True}])
    result = SoarDriver(soar, timeout=30).click(
        "Example: Post Incident to Slack", incident_id=incident["id"],
        properties={"rule_slack_channel": "Bad Name", "rule_slack_is_channel_private": False})
    app.close()
    assert not result.completed
    assert "breaks Slack's rules" in result.error
    assert soar.state.notes_of(incident["id"]) == []
    assert [s.name for s in result.steps][-1] == "function result"


def test_a_menu_item_whose_conditions_fail_sends_nothing(soar):
    incident = soar.create_incident("x")
    sample = soar.add_artifact(incident["id"], "Malware Sample", "a.exe", file_name="a.exe", data=b"MZ")
    result = SoarDriver(soar, timeout=5).click("Example: Post Artifact Attachment to Slack",
                                               incident_id=incident["id"], object_id=sample["id"])
    assert not result.shown and result.message_id is None
    assert soar.broker.queue_depth(QUEUE) == 0


def test_no_consumer_means_no_result_and_the_message_waits_in_the_queue(soar):
    incident = soar.create_incident("x")
    result = SoarDriver(soar, timeout=0.5).click("Example: Archive Incident Slack Channel",
                                                 incident_id=incident["id"])
    assert not result.completed
    assert "no result" in result.error
    assert soar.broker.queue_depth(QUEUE) == 1


def test_a_function_not_imported_is_reported_without_sending(soar):
    with SoarSandbox() as empty:
        incident = empty.create_incident("x")
        driver = SoarDriver(empty, customizations=SoarDriver(soar).customizations, timeout=1)
        result = driver.click("Example: Archive Incident Slack Channel", incident_id=incident["id"])
        assert "customize" in result.error
        assert empty.broker.queue_depth(QUEUE) == 0


def test_a_playbook_sends_what_its_menu_item_sends_and_its_script_reads_the_playbook_result(soar):
    incident = soar.create_incident("Phishing wave", "<p>Many <b>mails</b></p>")
    app = FakeApp(soar, [
        {"message_type": 0, "message": "Completed", "complete": True,
         "results": _v2({"channel": "phish", "url": "https://sandbox.slack.com/archives/C1/p1"})},
    ])
    result = SoarDriver(soar, timeout=30).run_playbook(
        "Example: Post Incident to Slack (PB)", incident_id=incident["id"],
        inputs={"rule_slack_channel": "phish", "rule_slack_is_channel_private": False,
                "rule_slack_text": "Look at this"})
    app.close()

    assert result.completed, result.report()
    body = json.loads(app.seen.messages[0].body)
    assert body["function"]["name"] == "slack_post_message"
    assert body["workflow"]["programmatic_name"] == "example_post_incident_to_slack_pb"
    assert (body["inputs"]["slack_channel"], body["inputs"]["slack_is_channel_private"]) == ("phish", False)
    assert json.loads(body["inputs"]["slack_text"])["Additional Text"]["data"] == "Look at this"
    [note] = soar.state.notes_of(incident["id"])
    assert note["text"] == 'Incident was posted to Slack channel <a href="https://sandbox.slack.com/archives/C1/p1">' \
                           "#phish</a>"
    assert [s.name for s in result.steps][-2:] == ["script 'Post message to Slack Post-Process Script'",
                                                    f"note added to incident {incident['id']}"]


def test_a_playbook_whose_activation_conditions_fail_sends_nothing(soar):
    incident = soar.create_incident("x")
    sample = soar.add_artifact(incident["id"], "Malware Sample", "a.exe", file_name="a.exe", data=b"MZ")
    result = SoarDriver(soar, timeout=5).run_playbook("example_post_artifact_attachment_to_slack_pb",
                                                      incident_id=incident["id"], object_id=sample["id"])
    assert not result.shown and result.message_id is None
    assert "activation conditions" in result.error
    assert soar.broker.queue_depth(QUEUE) == 0


def test_a_playbook_refuses_a_field_its_form_does_not_have(soar):
    incident = soar.create_incident("x")
    with pytest.raises(DriverError, match="no activation field rule_slack_channel"):
        SoarDriver(soar, timeout=5).run_playbook("example_archive_incident_slack_channel_pb",
                                                 incident_id=incident["id"], inputs={"rule_slack_channel": "x"})
    assert soar.broker.queue_depth(QUEUE) == 0
