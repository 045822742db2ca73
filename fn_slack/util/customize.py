"""Yields fn_slack's SOAR customizations (util/data/export.res) for ``resilient-circuits customize``."""

import base64
from collections.abc import Iterator
from pathlib import Path

from resilient import ImportDefinition

RES_FILE = Path(__file__).resolve().parent / "data" / "export.res"


def codegen_reload_data() -> dict:
    """Return what ``resilient-sdk codegen --reload`` keeps when it regenerates export.res from a server."""
    return {
        "package": "fn_slack",
        "message_destinations": ["slack"],
        "functions": ["slack_archive_channel", "slack_ask_question", "slack_post_attachment", "slack_post_message",
                      "slack_question_answer", "slack_sync_channel"],
        "workflows": [
            "archive_slack_channel",
            "example_ask_question_in_slack",
            "example_keep_slack_channel_in_step",
            "create_slack_message",
            "create_slack_reply",
            "example_post_attachment_to_slack__artifact",
            "slack_example_archive_slack_channel__task",
            "slack_example_post_attachment_to_slack",
            "slack_example_post_message_to_slack__artifact",
            "slack_example_post_message_to_slack__task",
        ],
        "actions": [
            "Example: Archive Incident Slack Channel",
            "Example: Ask a Question in Slack",
            "Example: Archive Task Slack Channel",
            "Example: Keep Slack Channel in Step",
            "Example: Post Artifact Attachment to Slack",
            "Example: Post Artifact to Slack",
            "Example: Post Incident / Task Attachment to Slack",
            "Example: Post Incident to Slack",
            "Example: Post Note to Slack",
            "Example: Post Task to Slack",
        ],
        "incident_fields": ["slack_mirror_channels"],
        "incident_artifact_types": [],
        "incident_types": [],
        "datatables": ["slack_conversations_db", "slack_messages_db", "slack_questions_db"],
        "automatic_tasks": [],
        "scripts": [],
        "playbooks": [
            "example_act_on_verified_slack_answer",
            "example_archive_incident_slack_channel_pb",
            "example_archive_task_slack_channel_pb",
            "example_ask_question_in_slack_pb",
            "example_post_artifact_attachment_to_slack_pb",
            "example_post_artifact_to_slack_pb",
            "example_post_incident__task_attachment_to_slack_pb",
            "example_post_incident_to_slack_pb",
            "example_post_note_to_slack_pb",
            "example_post_task_to_slack_pb",
            "example_slack_channel_follows_the_incident",
        ],
    }


def customization_data(client: object = None) -> Iterator[ImportDefinition]:
    """Yield the one import definition of fn_slack: the message destination ``slack``, the five
    functions, the ``slack_conversations_db``, ``slack_messages_db`` and ``slack_questions_db`` data tables, the
    ``slack_mirror_channels`` incident field, the nine example rules and their workflows, the nine example
    manual playbooks and the automatic one that acts on a verified answer.
    """
    if not RES_FILE.is_file():
        raise FileNotFoundError(f"{RES_FILE} not found: the fn_slack installation is incomplete")
    yield ImportDefinition(base64.b64encode(RES_FILE.read_text(encoding="utf-8").encode("utf-8")))
