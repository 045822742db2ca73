"""Builds fn_slack/util/data/export.res from the definitions below and the workflow scripts in scripts/.

The export is the SOAR customization package (see the README's "Customizations" section). Its workflow
scripts pass through three layers of escaping (script → JSON → XML text → JSON string), so they are kept
here as plain Python files and assembled by this module instead of being edited inside export.res.

Regenerate after changing a script or a definition:

    python -m tools.customizations.build_export

tests/customizations/test_export_consistency.py fails when export.res differs from what this produces.

Identities: every object that serves the same purpose as one of IBM's fn_slack 2.1 (destination, functions,
inputs, menu-item fields, rules, workflows, data table, columns, playbooks) carries IBM's name, UUID and type
(the project's spec ibm-2.1-identities.md), so `customize` on an org that ran IBM's package updates those
objects in place instead of adding duplicates or clashing with them. Objects IBM does not have (the channel-ID
column) take stable UUIDs of their own (stable_uuid).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
EXPORT_PATH = ROOT / "fn_slack" / "util" / "data" / "export.res"
SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"

# Stable UUIDs for the objects behavior.md does not fix: regenerating the export keeps them, so an
# upgrade updates the objects in SOAR instead of duplicating them.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/fn-slack/fn_slack/customizations")

EXPORT_DATE = 1795737600000  # 2026-11-27 00:00 UTC, fixed so that rebuilding is reproducible
SERVER_VERSION = {"build_number": 0, "major": 41, "minor": 0, "version": "41.0.0"}
AUTHOR = "fn-slack-maintainers@fn-slack.dev"

CHANNEL_RULE = ("Lowercase letters, digits, - and _, at most 80 characters (Slack's rule); a leading # is "
                "ignored.")

FILE_ARTIFACT_TYPES = ["RFC 822 Email Message File", "Email Attachment", "Log File", "Other File",
                       "X509 Certificate File"]


def stable_uuid(kind: str, name: str) -> str:
    """Return the UUID of an object that behavior.md does not name, derived from its kind and name."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{name}"))


# --- function inputs (behavior.md §1: names, types and UUIDs are fixed) -------------------------------
# name: (uuid, input_type, required, tooltip)
FUNCTION_INPUTS: dict[str, tuple[str, str, bool, str]] = {
    "incident_id": ("3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number", True,
                    "ID of the SOAR incident."),
    "task_id": ("958f0953-8b6f-4472-b786-b9ae4351ddfe", "number", False,
                "ID of the SOAR task, when the object is a task or belongs to one. The task's own linked "
                "channel is then used."),
    "artifact_id": ("d63d16a1-c5bd-4015-9850-05316b22564c", "number", False,
                    "ID of the artifact whose file is uploaded."),
    "attachment_id": ("9997e04c-bdbe-4f7c-9b87-2bc0390826fe", "number", False,
                      "ID of the incident attachment to upload, or of the task attachment when task_id "
                      "is given."),
    "slack_channel": ("9caadb86-3cb1-44f8-81f4-4da30e68a106", "text", False,
                      "Name of an existing or new Slack channel. " + CHANNEL_RULE + " Empty: the channel "
                      "linked to the incident or task in the Slack Conversations data table."),
    "slack_is_channel_private": ("cc231126-4f49-4237-998b-d9570664d662", "boolean", False,
                                 "Whether the channel is private. Needed when the channel has to be "
                                 "created; checked against an existing channel."),
    "slack_participant_emails": ("ae82a20a-d6ae-4f77-98d8-1388dfa4b2f7", "text", False,
                                 "Comma-separated e-mail addresses of workspace members to invite to "
                                 "the channel."),
    "slack_text": ("85d20b77-734f-4930-9c4b-b5f8d98c581c", "text", False,
                   "Plain message text, or the JSON container built by the example workflows. For a "
                   "file upload, the comment shown with the file."),
    "slack_mrkdwn": ("2388be49-283f-4b77-bbeb-86a2ee1dcf08", "boolean", False,
                     "No: Slack shows the text without markup (bold, italics, links). Default: Yes."),
    "slack_as_user": ("48e593f4-3cc4-4f3e-a809-38e5fed70f20", "boolean", False,
                      "Yes: post as the token's own identity and ignore slack_username (meaningful for "
                      "legacy user tokens)."),
    "slack_username": ("74365ed2-635a-446a-ba39-65b264b7ad54", "text", False,
                       "Author name shown on the message instead of the app's name. Needs the "
                       "chat:write.customize scope; ignored when slack_as_user is Yes."),
    "slack_channel_id": ("9846df31-5b76-4299-b12b-17e0c6551791", "text", False,
                         "Slack channel ID (for example C0123456789). When given it wins over "
                         "slack_channel and the data table."),
    # 3.x, two-way channels: not in IBM's 2.1, so a UUID of our own.
    "slack_mirror": (stable_uuid("input", "slack_mirror"), "boolean", False,
                     "Yes: from now on, what people write in this channel (messages, thread replies, files, "
                     "edits and deletions) becomes notes of the incident or task. Needs the Socket Mode "
                     "listener ([fn_slack] app_token). Empty or No: the link's setting stays as it is."),
    "slack_thread": (stable_uuid("input", "slack_thread"), "boolean", False,
                     "Yes: post (or share the file) in the thread of the incident's or task's first message in its "
                     "linked channel, so one incident stays one thread in a shared channel; the first such post "
                     "starts the thread. Empty or No: a message of its own, as before."),
    "slack_direct": (stable_uuid("input", "slack_direct"), "boolean", False,
                     "Yes: post to the people of slack_participant_emails in a direct message (a group DM for "
                     "several, at most 8) instead of a channel; no channel is created or linked."),
    "slack_sync_start": (stable_uuid("input", "slack_sync_start"), "boolean", False,
                         "Yes: from now on, keep the linked channel's topic, bookmark and pinned summary in step with "
                         "the incident (recorded on the link). Empty or No: bring the channel in step only when its "
                         "link already says so; otherwise nothing is written."),
    "slack_question": (stable_uuid("input", "slack_question"), "text", False,
                       "The question to ask in Slack (plain text, at most 2900 characters)."),
    "slack_question_options": (stable_uuid("input", "slack_question_options"), "text", False,
                               "The answers, shown as buttons: one per line, or on one line separated by a "
                               "vertical bar. At most 10, each at most 75 characters."),
    "slack_question_free_text": (stable_uuid("input", "slack_question_free_text"), "boolean", False,
                                 "Yes: a reply in the question's thread also answers it, in the person's own "
                                 "words."),
    "slack_question_direct": (stable_uuid("input", "slack_question_direct"), "boolean", False,
                              "Yes: ask the people of slack_participant_emails in a direct message (a group DM "
                              "for several) instead of a channel."),
    "slack_question_anyone": (stable_uuid("input", "slack_question_anyone"), "boolean", False,
                              "Yes: any member of the question's channel may answer (the people of "
                              "slack_participant_emails are still invited). Empty or No: only the people of "
                              "slack_participant_emails may answer; without them the question is not asked."),
    "slack_question_expiry_minutes": (stable_uuid("input", "slack_question_expiry_minutes"), "number", False,
                                      "Minutes until the question expires; later answers are refused in Slack. "
                                      "Empty: [fn_slack] question_expiry_minutes (default 1440)."),
    "slack_question_id": (stable_uuid("input", "slack_question_id"), "text", True,
                          "The question's id: question_id of slack_ask_question's result, or the row's slack_q_id "
                          "(Question ID) in the Slack Questions data table."),
}

# --- functions (behavior.md §1) ------------------------------------------------------------------------
# name: (uuid, display name, description, inputs in display order)
FUNCTIONS: dict[str, tuple[str, str, str, list[str]]] = {
    "slack_post_message": (
        "ded2826c-6528-4a26-b2c8-0cf215dce3c3", "Post message to Slack",
        "Post a message to a Slack channel: plain text, or SOAR incident, task, note or artifact data sent "
        "as the JSON container of the example workflows. Creates the channel and invites people as "
        "needed, and links the channel to the incident or task in the Slack Conversations data table.",
        ["slack_channel", "slack_is_channel_private", "slack_participant_emails", "slack_text", "slack_mrkdwn",
         "slack_as_user", "slack_channel_id", "slack_username", "incident_id", "task_id", "slack_mirror",
         "slack_thread", "slack_direct"]),
    "slack_post_attachment": (
        "5fed4dd5-9ccc-492a-90e1-4f17e6a5c5c8", "Post attachment to Slack",
        "Upload an incident attachment, a task attachment or an artifact's file to a Slack channel, "
        "with slack_text as its comment. Artifacts of type Malware Sample are refused unless "
        "allow_malware_samples is set in app.config.",
        ["slack_channel", "slack_is_channel_private", "slack_participant_emails", "slack_text", "slack_channel_id",
         "incident_id", "task_id", "artifact_id", "attachment_id", "slack_thread"]),
    "slack_archive_channel": (
        "8f3a9d1d-8182-4c5b-b422-cfeee33de0dc", "Archive Slack Channel",
        "Save the whole conversation of the Slack channel linked to the incident or task (threads "
        "included) as an attachment, then archive the channel. The channel is not archived when the "
        "history could not be saved.",
        ["incident_id", "slack_channel_id", "task_id"]),
    "slack_sync_channel": (
        stable_uuid("function", "slack_sync_channel"), "Keep Slack channel in step",
        "Bring the Slack channel linked to the incident (or task) in step with the incident: its topic (severity, "
        "phase/status, owner, a link to SOAR), a bookmark to the incident and one pinned summary updated in place. "
        "One Slack write per part that changed, none when nothing changed. slack_sync_start turns it on for the "
        "link; without it, links that are not on are left alone. An archived channel fails, with nothing written.",
        ["incident_id", "task_id", "slack_sync_start"]),
    "slack_ask_question": (
        stable_uuid("function", "slack_ask_question"), "Ask a question in Slack",
        "Ask a question with answer buttons in a Slack channel (the same channel choice as Post message to "
        "Slack) or directly of people by e-mail, and return at once with the question's id. The answer - who, "
        "which, when - arrives through the Socket Mode listener ([fn_slack] app_token) as a note and in the "
        "Slack Questions data table. Only the people asked (or, with slack_question_anyone, the members of the "
        "channel) may answer; the question expires.",
        ["slack_question", "slack_question_options", "slack_question_free_text", "slack_question_direct",
         "slack_question_anyone", "slack_question_expiry_minutes", "slack_channel", "slack_is_channel_private",
         "slack_channel_id", "slack_participant_emails", "incident_id", "task_id"]),
    "slack_question_answer": (
        stable_uuid("function", "slack_question_answer"), "Read a verified Slack answer",
        "Return a question's outcome (status, answer, who, when) from its row in the Slack Questions data table, "
        "only when the row holds what fn_slack wrote: its seal is checked over every cell fn_slack decides on. A "
        "row added, edited or copied outside fn_slack fails the function, naming what changed, so a playbook "
        "that acts on an answer stops there. Makes no call to Slack.",
        ["incident_id", "slack_question_id"]),
}

# --- rule (menu item) fields (behavior.md §8) ----------------------------------------------------------
# name: (IBM 2.1 uuid, label, input_type, placeholder, tooltip). rule_slack_text stays "text" as in IBM's
# export: SOAR does not change the type of an existing field on import.
ACTIVITY_FIELDS: dict[str, tuple[str, str, str, str, str]] = {
    "rule_slack_channel": ("24df3e1c-2c28-4e7d-ac28-4fea0a3877a2", "Slack channel name", "text", "incident-2103",
                           "Existing or new channel. " + CHANNEL_RULE + " Empty: the channel linked to "
                           "this incident or task."),
    "rule_slack_is_channel_private": ("3b1a6628-5ef0-495c-955e-10c3e5f9f4e2", "Slack is channel private",
                                      "boolean", "",
                                      "Whether the channel is private. Needed when the channel is new."),
    "rule_slack_participant_emails": ("b2df44e2-5ae6-43ae-b86c-9c5f475f9c79", "Slack users emails", "text",
                                      "alice@example.com, bob@example.com",
                                      "Comma-separated e-mail addresses of workspace members to invite."),
    "rule_slack_text": ("2f0fcad3-79f1-410b-b7f0-6a6fa0ee3947", "Additional text", "text", "",
                        "Text shown above the data in Slack. Slack mentions such as <@U0123ABCD> and "
                        "#channel work here."),
    "slack_channel_id": ("7cbbbfdf-f1a0-4e32-9e5c-632a1835de1e", "Slack Channel ID", "text", "C0123456789",
                         "Optional Slack channel ID; it wins over the channel name and the linked "
                         "channel."),
    # 3.x: the Ask a Question menu item's own fields.
    "rule_slack_question": (stable_uuid("field", "rule_slack_question"), "Question", "text",
                            "Isolate the host now?", "The question to ask in Slack."),
    "rule_slack_question_options": (stable_uuid("field", "rule_slack_question_options"), "Answers", "text",
                                    "Yes|No", "The answer buttons, separated by a vertical bar (empty: Yes and No)."),
    "rule_slack_question_direct": (stable_uuid("field", "rule_slack_question_direct"), "Ask them directly",
                                   "boolean", "",
                                   "Yes: ask the people of Slack users emails in a direct message."),
    "rule_slack_question_anyone": (stable_uuid("field", "rule_slack_question_anyone"),
                                   "Anyone in the channel may answer", "boolean", "",
                                   "Yes: any member of the question's channel may answer. Empty or No: only the "
                                   "people of Slack users emails."),
}

# The menu items' field order, as in IBM's rules (the Post Artifact item asks for the channel ID last).
POST_FIELDS = ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id",
               "rule_slack_participant_emails", "rule_slack_text"]
QUESTION_FIELDS = ["rule_slack_question", "rule_slack_question_options", "rule_slack_channel",
                   "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails",
                   "rule_slack_question_direct", "rule_slack_question_anyone"]
POST_FIELDS_ID_LAST = ["rule_slack_channel", "rule_slack_is_channel_private", "rule_slack_participant_emails",
                       "rule_slack_text", "slack_channel_id"]

# --- data table (behavior.md §5) ----------------------------------------------------------------------
TABLE_NAME = "slack_conversations_db"
TABLE_UUID = "e2036bf3-61ea-4752-8d6f-2b4ea262bb1b"
# name: (uuid, label, input_type, rich_text, width, tooltip); the first five are IBM 2.1's columns.
TABLE_COLUMNS: dict[str, tuple[str, str, str, bool, int, str]] = {
    "slack_db_time": ("656a7daf-b64a-4559-987d-b789d0ec4c4b", "Time", "datetimepicker", False, 140,
                      "When the channel was linked"),
    "slack_db_res_id": ("ce3c9a1e-2800-47da-a5b9-c37825790943", "Resilient ID", "text", False, 120,
                        "RES-<incident ID>, or RES-<incident ID>-<task ID> for a task"),
    "slack_db_channel": ("df0165d4-6367-4914-b80c-c8877b20c011", "Slack channel name", "text", False, 180, ""),
    "slack_db_channel_type": ("ce4c8399-09e3-481a-976f-b076c98965f7", "Slack channel type", "text", False, 90,
                              "Private or Public"),
    "slack_db_permalink": ("2f95366b-dd32-4035-8811-549646c0af5c", "Slack URL", "textarea", True, 120,
                           "Link to the first message posted"),
    "slack_db_channel_id": (stable_uuid("column", "slack_db_channel_id"), "Slack channel ID", "text", False, 120,
                            "Slack's ID of the channel, so later posts need no lookup"),
    "slack_db_mirror": (stable_uuid("column", "slack_db_mirror"), "Mirrored into SOAR", "boolean", False, 90,
                        "Yes: what people write in the channel becomes notes (set by slack_mirror); empty for "
                        "links made by 1.x/2.x"),
    "slack_db_thread_ts": (stable_uuid("column", "slack_db_thread_ts"), "Thread", "text", False, 110,
                           "ts of the message whose thread posts with slack_thread reply in"),
    "slack_db_seal": (stable_uuid("column", "slack_db_seal"), "Seal", "text", False, 120,
                      "fn_slack's seal over the link: a link changed outside fn_slack is refused and never "
                      "mirrors"),
    "slack_db_sync": (stable_uuid("column", "slack_db_sync"), "Kept in step", "boolean", False, 80,
                      "Yes: the channel's topic, bookmark and pinned summary follow the incident (set by "
                      "slack_sync_channel with slack_sync_start)"),
    "slack_db_sync_state": (stable_uuid("column", "slack_db_sync_state"), "Sync state", "text", False, 120,
                            "What slack_sync_channel last wrote: the summary's ts, the bookmark's ID and a digest "
                            "of each part, sealed"),
}
# Columns only fn_slack writes: SOAR's UI does not offer them for editing (a hint; the seal is the protection).
TABLE_READ_ONLY = frozenset({"slack_db_seal", "slack_db_sync_state"})

# --- two-way channels (3.x): the mirrored-messages table and the channel index field --------------------------
MESSAGES_TABLE_NAME = "slack_messages_db"
MESSAGES_TABLE_UUID = stable_uuid("table", MESSAGES_TABLE_NAME)
MESSAGES_TABLE_COLUMNS: dict[str, tuple[str, str, str, bool, int, str]] = {
    "slack_msg_key": (stable_uuid("column", "slack_msg_key"), "Slack event", "text", False, 220,
                      "<channel>/<ts>, with /edit/<ts> or /deleted for edits and deletions"),
    "slack_msg_author": (stable_uuid("column", "slack_msg_author"), "Author", "text", False, 140,
                         "Who wrote, edited or deleted the message in Slack"),
    "slack_msg_link": (stable_uuid("column", "slack_msg_link"), "Slack URL", "textarea", True, 80,
                       "The message in Slack"),
    "slack_msg_state": (stable_uuid("column", "slack_msg_state"), "State", "text", False, 80,
                        "claimed, retaking or writing: an integration server holds the event; noted: the note "
                        "is written; failed: it could not be, a note says so"),
    "slack_msg_note_id": (stable_uuid("column", "slack_msg_note_id"), "Note ID", "number", False, 80,
                          "The SOAR note written for it"),
    "slack_msg_owner": (stable_uuid("column", "slack_msg_owner"), "Integration server", "text", False, 140,
                        "host:process that wrote (or is writing) the note"),
    "slack_msg_claimed": (stable_uuid("column", "slack_msg_claimed"), "Claimed", "datetimepicker", False, 140,
                          "When that integration server took the event"),
}
QUESTIONS_TABLE_NAME = "slack_questions_db"
QUESTIONS_TABLE_UUID = stable_uuid("table", QUESTIONS_TABLE_NAME)
QUESTIONS_TABLE_COLUMNS: dict[str, tuple[str, str, str, bool, int, str]] = {
    name: (stable_uuid("column", name), label, input_type, rich, width, tip)
    for name, label, input_type, rich, width, tip in [
        ("slack_q_asked_at", "Asked", "datetimepicker", False, 130, "When the question was asked"),
        ("slack_q_question", "Question", "text", False, 220, "The question"),
        ("slack_q_options", "Answers offered", "text", False, 140, "The buttons, one per line"),
        ("slack_q_status", "Status", "text", False, 80, "open, answered or expired: a rule can fire on its change"),
        ("slack_q_answer", "Answer", "text", False, 140, "The button clicked, or the words replied"),
        ("slack_q_answered_by", "Answered by", "text", False, 120, "Who answered in Slack"),
        ("slack_q_answered_at", "Answered", "datetimepicker", False, 130, "When"),
        ("slack_q_expires", "Expires", "datetimepicker", False, 130, "Answers after this are refused in Slack"),
        ("slack_q_link", "Slack URL", "textarea", True, 80, "The question in Slack"),
        ("slack_q_id", "Question ID", "text", False, 130, "The id slack_ask_question returned"),
        ("slack_q_channel_id", "Slack channel ID", "text", False, 110, "Where it was asked"),
        ("slack_q_ts", "Slack message ts", "text", False, 110, "The question message"),
        ("slack_q_allowed", "May answer", "text", False, 120, "Slack user IDs of the people asked (empty: the "
                                                                "members of the channel, with Anyone in the channel)"),
        ("slack_q_free_text", "Free-text answers", "boolean", False, 70, "Whether a thread reply answers it"),
        ("slack_q_answer_key", "Answer key", "text", False, 100, "Which click or reply was recorded"),
        ("slack_q_anyone", "Anyone in the channel", "boolean", False, 70, "Yes: any member of the question's channel "
                                                                           "may answer"),
        ("slack_q_seal", "Seal", "text", False, 120, "fn_slack's seal over the row: a row changed outside fn_slack "
                                                      "is refused"),
    ]
}
MIRROR_INDEX_FIELD = "slack_mirror_channels"
MIRROR_INDEX_FIELD_UUID = stable_uuid("field", MIRROR_INDEX_FIELD)

# --- rules and workflows (behavior.md §8; identities of IBM 2.1) -------------------------------------------
@dataclass(frozen=True)
class RuleSpec:
    """A menu item and the workflow it starts (both with IBM 2.1's identity)."""

    uuid: str
    object_type: str
    workflow: str          # programmatic name
    workflow_uuid: str
    scripts: str           # stem of the script files in scripts/ (<stem>_pre.py, <stem>_post.py)
    function: str
    conditions: list[dict[str, Any]]
    fields: list[str]
    description: str


def _artifact_condition(method: str) -> list[dict[str, Any]]:
    return [{"evaluation_id": None, "field_name": "artifact.type", "method": method, "type": None,
             "value": FILE_ARTIFACT_TYPES}]


RULES: dict[str, RuleSpec] = {
    "Example: Post Incident to Slack": RuleSpec(
        "c915619e-ca11-4fb1-ba9d-a2d9439c92f2", "incident", "create_slack_message",
        "8df6f333-4423-4e9d-9554-dceacd311cba", "example_post_incident_to_slack", "slack_post_message", [],
        POST_FIELDS, "Posts the incident's main fields to Slack and notes the post on the incident."),
    "Example: Post Task to Slack": RuleSpec(
        "154221cd-f1c1-4c6c-b4d2-61ff709e23fb", "task", "slack_example_post_message_to_slack__task",
        "eba8f270-2d03-4da8-a812-2c8783742454", "example_post_task_to_slack", "slack_post_message", [],
        POST_FIELDS, "Posts the task to the task's Slack channel and notes the post on the task."),
    "Example: Post Note to Slack": RuleSpec(
        "ac5066e7-2644-48e3-9ecb-85ec2c16bb6d", "note", "create_slack_reply",
        "d9edaa38-20df-4c0e-a017-9fe721368025", "example_post_note_to_slack", "slack_post_message", [],
        POST_FIELDS, "Posts an incident or task note to Slack and notes the post on its task or incident."),
    "Example: Post Artifact to Slack": RuleSpec(
        "dfd73b22-4438-46ea-9e01-888edc0174e7", "artifact", "slack_example_post_message_to_slack__artifact",
        "b3846e02-e1f9-420e-86ac-5bf0b8f95a9f", "example_post_artifact_to_slack", "slack_post_message",
        _artifact_condition("not_in"), POST_FIELDS_ID_LAST,
        "Posts an artifact's type and value to Slack and notes the post on the incident."),
    "Example: Post Incident / Task Attachment to Slack": RuleSpec(
        "4bd47712-bc92-405d-9367-39affe544b91", "attachment", "slack_example_post_attachment_to_slack",
        "dc4c831c-a444-4aac-aa1c-c74899ef9a50", "example_post_attachment_to_slack", "slack_post_attachment", [],
        POST_FIELDS,
        "Uploads an incident or task attachment to Slack and notes the upload on its task or incident."),
    "Example: Post Artifact Attachment to Slack": RuleSpec(
        "0a8570be-c6ba-4f1d-83a1-67bd95647975", "artifact", "example_post_attachment_to_slack__artifact",
        "27254f22-8ebb-4790-a557-0a83cb802196", "example_post_artifact_attachment_to_slack",
        "slack_post_attachment", _artifact_condition("in"), POST_FIELDS,
        "Uploads a file artifact (never a Malware Sample) to Slack and notes the upload on the incident."),
    "Example: Archive Incident Slack Channel": RuleSpec(
        "1835248d-cb58-45c6-8bb6-e30be25fe5e3", "incident", "archive_slack_channel",
        "390425c1-1ce6-4f31-a522-372c19ba2370", "example_archive_incident_slack_channel", "slack_archive_channel",
        [], ["slack_channel_id"],
        "Saves the history of the incident's Slack channel as an incident attachment, then archives "
        "the channel."),
    "Example: Archive Task Slack Channel": RuleSpec(
        "0ce98ccf-197d-45ed-9543-8a9d59f0e767", "task", "slack_example_archive_slack_channel__task",
        "fcc94828-cb91-4781-b706-f3a6ae01e805", "example_archive_task_slack_channel", "slack_archive_channel",
        [], ["slack_channel_id"],
        "Saves the history of the task's Slack channel as a task attachment, then archives the channel."),
    # 3.x: not one of IBM's items, so identities of our own.
    "Example: Ask a Question in Slack": RuleSpec(
        stable_uuid("rule", "Example: Ask a Question in Slack"), "incident", "example_ask_question_in_slack",
        stable_uuid("workflow", "example_ask_question_in_slack"), "example_ask_question_in_slack",
        "slack_ask_question", [], QUESTION_FIELDS,
        "Asks a question with answer buttons in the incident's Slack channel (or directly of people); the answer "
        "arrives as a note and in the Slack Questions data table."),
    "Example: Keep Slack Channel in Step": RuleSpec(
        stable_uuid("rule", "Example: Keep Slack Channel in Step"), "incident", "example_keep_slack_channel_in_step",
        stable_uuid("workflow", "example_keep_slack_channel_in_step"), "example_keep_slack_channel_in_step",
        "slack_sync_channel", [], [],
        "Turns on keeping the incident's linked Slack channel in step with the incident (topic, bookmark, pinned "
        "summary) and brings it in step now."),
}

RESULT_NAMES = {"slack_ask_question": "ask_question_result",
                "slack_question_answer": "question_answer_result",
                "slack_post_message": "post_message_result",
                "slack_post_attachment": "post_attachment_result",
                "slack_archive_channel": "archive_channel_result",
                "slack_sync_channel": "sync_result"}

DESTINATION = {"api_keys": [], "destination_type": 0, "expect_ack": True, "export_key": "slack",
               "name": "slack", "programmatic_name": "slack", "tags": [], "users": [],
               "uuid": "611f10f7-1b7d-49c5-8692-3b838156d42b"}

INTERNAL_FIELD = {"export_key": "incident/internal_customizations_field", "id": 0, "input_type": "text",
                  "internal": True, "name": "internal_customizations_field", "read_only": True,
                  "text": "Customizations Field (internal)", "type_id": 0,
                  "uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa1"}

INTERNAL_INCIDENT_TYPE = {"create_date": EXPORT_DATE, "description": "Customization Packages (internal)",
                          "enabled": False, "export_key": "Customization Packages (internal)",
                          "hidden": False, "id": 0, "name": "Customization Packages (internal)",
                          "parent_id": None, "system": False, "update_date": EXPORT_DATE,
                          "uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa0"}

BPMN_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
    ' xmlns:omgdc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:omgdi="http://www.omg.org/spec/DD/20100524/DI"'
    ' xmlns:resilient="http://resilient.ibm.com/bpmn"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' targetNamespace="http://www.camunda.org/test">')


def _field(name: str, *, export_type: str, type_id: int, field_id: int, label: str, input_type: str,
           field_uuid: str, tooltip: str, placeholder: str = "", required: bool = False,
           prefix: str | None = None, rich_text: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {
        "allow_default_value": False, "blank_option": False, "calculated": False, "changeable": True,
        "chosen": False, "default_chosen_by_server": False, "deprecated": False,
        "export_key": f"{export_type}/{name}", "hide_notification": False, "id": field_id,
        "input_type": input_type, "internal": False, "is_tracked": False, "name": name,
        "operation_perms": {}, "operations": [], "placeholder": placeholder, "prefix": prefix,
        "read_only": False, "rich_text": rich_text, "tags": [], "templates": [], "text": label,
        "tooltip": tooltip, "type_id": type_id, "uuid": field_uuid, "values": [],
    }
    if required:
        field["required"] = "always"
    return field


def _view_item(field_uuid: str, field_type: str) -> dict[str, Any]:
    return {"content": field_uuid, "element": "field_uuid", "field_type": field_type, "show_if": None,
            "show_link_header": False, "step_label": None}


def read_script(workflow: str, kind: str) -> str:
    """Return the script text of one workflow, without the lint directives that only the repo needs."""
    text = (SCRIPTS_DIR / f"{workflow}_{kind}.py").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("# ruff:")]
    return "\n".join(lines).strip("\n") + "\n"


def workflow_xml(programmatic_name: str, name: str, description: str, function_name: str, scripts: str) -> str:
    """Return the BPMN XML of a start → function → end workflow calling ``function_name``."""
    fn_uuid, fn_display, _, _ = FUNCTIONS[function_name]
    fn_json = json.dumps({
        "inputs": {},
        "post_processing_script": read_script(scripts, "post"),
        "post_processing_script_language": "python3",
        "pre_processing_script": read_script(scripts, "pre"),
        "pre_processing_script_language": "python3",
        "result_name": RESULT_NAMES[function_name],
    }, separators=(",", ":"), sort_keys=True)
    attr = {'"': "&quot;"}
    start, task, end = "StartEvent_155asxm", "ServiceTask_slack", "EndEvent_done"
    flow_in, flow_out = "SequenceFlow_in", "SequenceFlow_out"
    return (
        BPMN_HEADER
        + f'<process id="{programmatic_name}" isExecutable="true" name="{escape(name, attr)}">'
        + f"<documentation>{escape(description)}</documentation>"
        + f'<startEvent id="{start}"><outgoing>{flow_in}</outgoing></startEvent>'
        + f'<serviceTask id="{task}" name="{escape(fn_display, attr)}" resilient:type="function">'
        + f'<extensionElements><resilient:function uuid="{fn_uuid}">{escape(fn_json)}'
        + "</resilient:function></extensionElements>"
        + f"<incoming>{flow_in}</incoming><outgoing>{flow_out}</outgoing></serviceTask>"
        + f'<endEvent id="{end}"><incoming>{flow_out}</incoming></endEvent>'
        + f'<sequenceFlow id="{flow_in}" sourceRef="{start}" targetRef="{task}"/>'
        + f'<sequenceFlow id="{flow_out}" sourceRef="{task}" targetRef="{end}"/>'
        + "</process>"
        + '<bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane bpmnElement="undefined" id="BPMNPlane_1">'
        + f'<bpmndi:BPMNShape bpmnElement="{start}" id="{start}_di">'
        + '<omgdc:Bounds height="36" width="36" x="162" y="188"/></bpmndi:BPMNShape>'
        + f'<bpmndi:BPMNShape bpmnElement="{task}" id="{task}_di">'
        + '<omgdc:Bounds height="80" width="100" x="290" y="166"/></bpmndi:BPMNShape>'
        + f'<bpmndi:BPMNShape bpmnElement="{end}" id="{end}_di">'
        + '<omgdc:Bounds height="36" width="36" x="480" y="188"/></bpmndi:BPMNShape>'
        + f'<bpmndi:BPMNEdge bpmnElement="{flow_in}" id="{flow_in}_di">'
        + '<omgdi:waypoint x="198" y="206"/><omgdi:waypoint x="290" y="206"/></bpmndi:BPMNEdge>'
        + f'<bpmndi:BPMNEdge bpmnElement="{flow_out}" id="{flow_out}_di">'
        + '<omgdi:waypoint x="390" y="206"/><omgdi:waypoint x="480" y="206"/></bpmndi:BPMNEdge>'
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>"
    )


# --- playbooks (IBM 2.1's eight, with their identities; soar-export-format.md §10) ------------------------
PLAYBOOK_RESULT = "slack_info"  # result_name of the function step, read as playbook.functions.results.slack_info


@dataclass(frozen=True)
class PlaybookSpec:
    """A manual playbook: the counterpart of one menu item, calling the same function with the same scripts."""

    display_name: str
    uuid: str
    rule: str                      # the menu item it stands beside (object type, function, conditions, scripts)
    fields_type_uuid: str
    tag_uuid: str
    script_name: str
    script_uuid: str
    fields: list[tuple[str, str]]  # (activation field name, uuid) in view order


PLAYBOOKS: dict[str, PlaybookSpec] = {
    "example_archive_incident_slack_channel_pb": PlaybookSpec(
        "Example: Archive Incident Slack Channel (PB)", "f64c0ae6-cf29-4ca9-82cb-12804c304a58",
        "Example: Archive Incident Slack Channel", "dcf1fff6-1f8b-4cf7-86f2-454cbd70404f",
        "37f6a781-1a51-43f7-a7a3-1dd89306009c", "Archive Slack Channel Post-Process Script",
        "9ad279d3-f265-497e-ba74-747e7a7f138b", [("slack_channel_id", "ed6eedab-21b3-47f9-8ed8-b8cf399af97e")]),
    "example_archive_task_slack_channel_pb": PlaybookSpec(
        "Example: Archive Task Slack Channel (PB)", "ec053ff0-3316-4e30-8498-e03efad45d95",
        "Example: Archive Task Slack Channel", "d14dcee7-b9ef-45c3-bd91-32e0d76021cc",
        "ded14058-2fbd-4fbb-87a3-6b546fb97f8c", "Archive Slack Channel Post-Process Script",
        "69011e0f-54ff-47f7-9319-2b36730df65e", [("slack_channel_id", "53c08b62-5149-4e43-a0b5-fb5e32a6889b")]),
    "example_post_artifact_attachment_to_slack_pb": PlaybookSpec(
        "Example: Post Artifact Attachment to Slack (PB)", "edbbfb37-f3a9-4993-8000-dc3c9f1630af",
        "Example: Post Artifact Attachment to Slack", "57f1afdf-59e4-429f-8c0a-591c190e54b4",
        "80e4182e-171f-410a-ab03-2c7fe8c96791", "Post attachment to Slack Post-Process Script",
        "b1a156b3-b2bd-41b0-a3e7-fadca2232386", [
            ("rule_slack_channel", "5a8cd4ee-212b-42bf-bf05-9bd569bbc291"),
            ("rule_slack_is_channel_private", "769edc9e-777a-4252-85df-5930b9cf873d"),
            ("slack_channel_id", "1c9c244f-6c8e-4789-976a-2a06aa15ba4c"),
            ("rule_slack_participant_emails", "37472dd2-3596-4c5b-b6a8-7383b85be8da"),
            ("rule_slack_text", "015d9760-6f73-474d-8043-fa564bf95408")]),
    "example_post_artifact_to_slack_pb": PlaybookSpec(
        "Example: Post Artifact to Slack (PB)", "983c792d-6396-4caa-afbd-15db8d91dbb9",
        "Example: Post Artifact to Slack", "514a4e78-f359-45be-890e-f7b870ea383d",
        "added629-9037-45c7-9e37-132c719cbf61", "Post message to Slack",
        "078d6518-62bb-47a8-b91e-9a72ec34878b", [
            ("rule_slack_channel", "1d3847d0-b639-46b6-8fd8-7dd81464475d"),
            ("rule_slack_is_channel_private", "9c743954-4f87-412a-a21c-64d39c872d44"),
            ("rule_slack_participant_emails", "c1cc0f48-b7fc-4b15-8d21-a09f6c0fb5cc"),
            ("rule_slack_text", "b803b5f7-b789-49b7-b9bb-14598e141594"),
            ("slack_channel_id", "4c358baf-1d51-4713-a4fd-11b61e90cfdd")]),
    "example_post_incident__task_attachment_to_slack_pb": PlaybookSpec(
        "Example: Post Incident / Task Attachment to Slack (PB)", "8cbc1fd1-6da8-4f58-aeb3-45783ff6c318",
        "Example: Post Incident / Task Attachment to Slack", "7393a3a3-6e2d-4955-90f0-7966fc0a6f30",
        "e3305743-e52a-4104-89b3-03f7fe940440", "Post attachment to Slack Post-Process Script",
        "0157189b-8e2f-4d9e-a1b8-ca88d965def0", [
            ("rule_slack_channel", "4021ae7b-3ba0-49f8-a6bc-d6a80c6bfef0"),
            ("rule_slack_is_channel_private", "b593cc52-e1c0-426c-9440-61dced2d7dc5"),
            ("slack_channel_id", "1ae882ee-09ae-4cf2-af4b-934f985fb6ac"),
            ("rule_slack_participant_emails", "c4f14c34-d2ba-4f23-9f46-9dbc95801e09"),
            ("rule_slack_text", "3d0143cc-e161-4277-9d1e-f221988045ee")]),
    "example_post_incident_to_slack_pb": PlaybookSpec(
        "Example: Post Incident to Slack (PB)", "7e56abfb-53ba-49ca-9c67-f5a023b313e6",
        "Example: Post Incident to Slack", "515ec18e-6c3f-4c1b-ba66-9a335ca72bdb",
        "34fa4bdb-fbcd-429f-88e7-ef5f48d61ccc", "Post message to Slack Post-Process Script",
        "0fe49f12-e387-405a-8771-4d7de5454034", [
            ("rule_slack_channel", "4f0c6dfc-5afd-4e4e-85ab-012e109b6bca"),
            ("rule_slack_is_channel_private", "b7552e08-b4fb-4900-91fa-23dbe448b431"),
            ("slack_channel_id", "16dfec53-9777-4ac5-aba2-f09e7f649ccf"),
            ("rule_slack_participant_emails", "4cb7cf15-5053-43c8-9e15-e14ad14613d6"),
            ("rule_slack_text", "19562da3-7f2e-41e2-bf42-6252619b8743")]),
    "example_ask_question_in_slack_pb": PlaybookSpec(
        "Example: Ask a Question in Slack (PB)", stable_uuid("playbook", "example_ask_question_in_slack_pb"),
        "Example: Ask a Question in Slack", stable_uuid("playbook-fields", "example_ask_question_in_slack_pb"),
        stable_uuid("playbook-tag", "example_ask_question_in_slack_pb"), "Ask a question in Slack Post-Process Script",
        stable_uuid("script", "example_ask_question_in_slack_pb"),
        [(name, stable_uuid("playbook-field", f"example_ask_question_in_slack_pb/{name}")) for name in
         ["rule_slack_question", "rule_slack_question_options", "rule_slack_channel", "rule_slack_is_channel_private",
          "slack_channel_id", "rule_slack_participant_emails", "rule_slack_question_direct",
          "rule_slack_question_anyone"]]),
    "example_post_note_to_slack_pb": PlaybookSpec(
        "Example: Post Note to Slack (PB)", "75ed7c8c-78ef-4d6d-8208-9cfcfcff17b4",
        "Example: Post Note to Slack", "ae06b9d7-1529-4300-8112-7ce9f6045614",
        "cf0964b8-5b71-4dc5-bccc-a5cddc5f1ee0", "Post Note to Slack Post-Process Script",
        "04af258b-e38c-41f8-8246-9d178bac1454", [
            ("rule_slack_channel", "3a7fe4bc-a145-4bed-8870-26d3be4bdee9"),
            ("rule_slack_is_channel_private", "c3549f01-5e65-4ad5-bf61-4a85bac91b15"),
            ("slack_channel_id", "0fc5bf72-c0e1-4fc7-a79c-fc8d8323da66"),
            ("rule_slack_participant_emails", "25ab3583-32ba-48e5-a57c-045060be9f72"),
            ("rule_slack_text", "c693609c-3e59-4e0c-b45a-7ade7379b363")]),
    "example_post_task_to_slack_pb": PlaybookSpec(
        "Example: Post Task to Slack (PB)", "2bcb265a-9fee-4659-be16-d90ffed74dda",
        "Example: Post Task to Slack", "e8755cd9-18ab-4367-b279-762dd880181b",
        "746b16e4-f7f1-48a9-85e0-1847e5ea45e0", "Post Task to Slack Post-Process Script",
        "2974d37b-560f-4945-af74-ae486c74b1fd", [
            ("rule_slack_channel", "6e12e09d-86aa-4dd4-a60c-3bacb1a4b7e1"),
            ("rule_slack_is_channel_private", "8af203e0-1485-4cc1-81d5-ca571d350fe0"),
            ("slack_channel_id", "89898279-318a-4d96-ab49-dd4b99593c6d"),
            ("rule_slack_participant_emails", "43c57513-8fcd-4e73-91d3-8716c5290a18"),
            ("rule_slack_text", "8174b60f-8935-4c69-9122-0da6bc0801b0")]),
}


def playbook_type_name(playbook_uuid: str) -> str:
    """The playbook's deployment id, which also names its inputs' type: ``playbook_<uuid with _>``."""
    return "playbook_" + playbook_uuid.replace("-", "_")


def playbook_pre_script(spec: PlaybookSpec) -> str:
    """The function step's pre-processing script: the menu item's, reading the playbook's inputs.

    A playbook has no ``rule``: its activation fields (same names as the menu item's fields) are
    ``playbook.inputs.<name>``.
    """
    text = read_script(RULES[spec.rule].scripts, "pre").replace("rule.properties.", "playbook.inputs.")
    if "rule." in text:
        raise ValueError(f"{spec.display_name}: the pre-processing script still reads rule.*")
    head = f"# {spec.display_name}: the function step's pre-processing, reading the playbook's inputs.\n"
    return head + text


def playbook_post_script(spec: PlaybookSpec) -> str:
    """The local script after the function step: the menu item's post-processing on the playbook's result."""
    return (f"# {spec.display_name}: runs after the function step; its result is "
            f"playbook.functions.results.{PLAYBOOK_RESULT}.\n"
            f"results = playbook.functions.results.{PLAYBOOK_RESULT}\n\n"
            + read_script(RULES[spec.rule].scripts, "post"))


def playbook_xml(name: str, spec: PlaybookSpec) -> str:
    """Return the BPMN XML of a start → function → local script → end playbook."""
    rule = RULES[spec.rule]
    return _playbook_bpmn(playbook_type_name(spec.uuid), name, function=rule.function,
                          pre_script=playbook_pre_script(spec), result_name=PLAYBOOK_RESULT,
                          script_name=spec.script_name, script_uuid=spec.script_uuid)


def _playbook_bpmn(type_name: str, name: str, *, function: str, pre_script: str, result_name: str,
                   script_name: str, script_uuid: str) -> str:
    """The BPMN XML of a start → function (``pre_script``, ``result_name``) → local script → end playbook."""
    fn_uuid, fn_display, _, _ = FUNCTIONS[function]
    fn_json = json.dumps({
        "inputs": {},
        "pre_processing_script": pre_script,
        "pre_processing_script_language": "python3",
        "result_name": result_name,
    }, separators=(",", ":"), sort_keys=True)
    attr = {'"': "&quot;"}
    start, task, script, end = "StartEvent_155asxm", "ServiceTask_1", "ScriptTask_2", "EndPoint_3"
    flows = [("Flow_start", start, task), ("Flow_result", task, script), ("Flow_end", script, end)]
    shapes = [(start, 36, 36, 162, 188), (task, 80, 100, 250, 166), (script, 80, 100, 420, 166),
              (end, 36, 36, 592, 188)]
    waypoints = {"Flow_start": (198, 350), "Flow_result": (350, 420), "Flow_end": (520, 592)}
    return (
        BPMN_HEADER
        + f'<process id="{type_name}" isExecutable="true" name="{escape(name, attr)}">'
        + f'<startEvent id="{start}"><outgoing>Flow_start</outgoing></startEvent>'
        + f'<serviceTask id="{task}" name="{escape(fn_display, attr)}" resilient:type="function">'
        + f'<extensionElements><resilient:function uuid="{fn_uuid}">{escape(fn_json)}'
        + "</resilient:function></extensionElements>"
        + "<incoming>Flow_start</incoming><outgoing>Flow_result</outgoing></serviceTask>"
        + f'<scriptTask id="{script}" name="{escape(script_name, attr)}">'
        + f'<extensionElements><resilient:script uuid="{script_uuid}"/></extensionElements>'
        + "<incoming>Flow_result</incoming><outgoing>Flow_end</outgoing><script>script</script></scriptTask>"
        + f'<endEvent id="{end}" resilient:documentation="End point"><incoming>Flow_end</incoming></endEvent>'
        + "".join(f'<sequenceFlow id="{flow}" sourceRef="{src}" targetRef="{dst}"/>' for flow, src, dst in flows)
        + "</process>"
        + '<bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane bpmnElement="undefined" id="BPMNPlane_1">'
        + "".join(f'<bpmndi:BPMNShape bpmnElement="{el}" id="{el}_di"><omgdc:Bounds height="{h}" width="{w}" '
                  f'x="{x}" y="{y}"/></bpmndi:BPMNShape>' for el, h, w, x, y in shapes)
        + "".join(f'<bpmndi:BPMNEdge bpmnElement="{flow}" id="{flow}_di"><omgdi:waypoint x="{waypoints[flow][0]}" '
                  f'y="206"/><omgdi:waypoint x="{waypoints[flow][1]}" y="206"/></bpmndi:BPMNEdge>'
                  for flow, _, _ in flows)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>"
    )


def _local_script(playbook: str, index: int, script_name: str, *, object_type: str, text: str,
                  script_uuid: str) -> dict[str, Any]:
    """The local script a playbook runs after its function step."""
    return {
        "actions": [], "created_date": EXPORT_DATE, "description": "", "enabled": False,
        "export_key": script_name, "id": index + 1, "language": "python3",
        "last_modified_by": AUTHOR, "last_modified_time": EXPORT_DATE, "name": script_name,
        "object_type": object_type, "playbook_handle": playbook,
        "programmatic_name": f"{playbook}_" + re.sub(r"[^a-z0-9]+", "_", script_name.lower()).strip("_"),
        "script_text": text, "tags": [], "uuid": script_uuid,
    }


def build_playbook(name: str, spec: PlaybookSpec, index: int) -> dict[str, Any]:
    """Return one ``playbooks[]`` entry: a manual playbook with the menu item's fields as its inputs."""
    rule = RULES[spec.rule]
    type_name = playbook_type_name(spec.uuid)
    fields = {}
    for order, (field_name, field_uuid) in enumerate(spec.fields):
        _, label, input_type, placeholder, tooltip = ACTIVITY_FIELDS[field_name]
        field = _field(field_name, export_type=type_name, type_id=28, field_id=401 + 10 * index + order,
                       label=label, input_type=input_type, field_uuid=field_uuid, tooltip=tooltip,
                       placeholder=placeholder, prefix="properties")
        fields[field_name] = field
    author = {"display_name": "fn_slack maintainers", "id": 1, "name": AUTHOR, "type": "user"}
    return {
        "activation_type": "manual",
        "content": {"content_version": 1, "xml": playbook_xml(name, spec)},
        "create_date": EXPORT_DATE, "creator_principal": author, "deployment_id": type_name,
        "description": {"content": rule.description + " Playbook counterpart of the menu item "
                        f"{spec.rule!r}.", "format": "text"},
        "display_name": spec.display_name, "export_key": name, "field_type_handle": type_name,
        "fields_type": {
            "actions": [], "display_name": spec.display_name, "export_key": type_name, "fields": fields,
            "for_actions": False, "for_custom_fields": False, "for_notifications": False, "for_workflows": False,
            "id": None, "parent_types": ["__playbook"],
            "properties": {"can_create": False, "can_destroy": False, "for_who": []}, "scripts": [], "tags": [],
            "type_id": 28, "type_name": type_name, "uuid": spec.fields_type_uuid,
        },
        "has_logical_errors": False, "id": index + 1, "is_deleted": False, "is_locked": False,
        "last_modified_principal": author, "last_modified_time": EXPORT_DATE,
        "local_scripts": [_local_script(name, index, spec.script_name, object_type=rule.object_type,
                                        text=playbook_post_script(spec), script_uuid=spec.script_uuid)],
        "manual_settings": {
            "activation_conditions": {"conditions": rule.conditions, "logic_type": "all"},
            "view_items": [_view_item(field_uuid, type_name) for _, field_uuid in spec.fields],
        },
        "name": name, "object_type": rule.object_type, "status": "enabled",
        "tag": {"display_name": "Playbook_" + spec.uuid, "id": index + 1, "name": type_name, "type": "playbook",
                "uuid": spec.tag_uuid},
        "type": "default", "uuid": spec.uuid, "version": 1,
    }


# --- automatic playbooks (3.x; soar-export-format.md §10: activation_details on a data table object) -------
@dataclass(frozen=True)
class AutomaticPlaybookSpec:
    """An automatic playbook: SOAR starts it when an object of ``object_type`` changes so that ``conditions``
    hold; one function step (its pre-processing from scripts/<scripts>_pre.py), then one local script
    (scripts/<scripts>_post.py) reading ``playbook.functions.results.<result_name>``."""

    display_name: str
    object_type: str
    function: str
    result_name: str
    scripts: str
    script_name: str
    conditions: list[dict[str, Any]]
    description: str
    logic_type: str = "all"


def _changed(field: str) -> dict[str, Any]:
    return {"evaluation_id": None, "field_name": f"incident.{field}", "method": "changed", "type": None,
            "value": None}


AUTOMATIC_PLAYBOOKS: dict[str, AutomaticPlaybookSpec] = {
    "example_act_on_verified_slack_answer": AutomaticPlaybookSpec(
        "Example: Act on a verified Slack answer", QUESTIONS_TABLE_NAME, "slack_question_answer", "verified_answer",
        "example_act_on_verified_slack_answer", "Note the verified answer",
        [{"evaluation_id": None, "field_name": f"{QUESTIONS_TABLE_NAME}.slack_q_status", "method": "changed_to",
          "type": None, "value": "answered"}],
        "When a question's row in the Slack Questions data table changes to Status answered, reads the answer "
        "through Read a verified Slack answer, which fails when the row was changed outside fn_slack, and notes "
        "the verified answer on the incident. Add the steps that act on the answer after the note, reading the "
        "function's result, never the row."),
    "example_slack_channel_follows_the_incident": AutomaticPlaybookSpec(
        "Example: Slack channel follows the incident", "incident", "slack_sync_channel", "sync_result",
        "example_slack_channel_follows_the_incident", "Note a channel that could not follow",
        [_changed("severity_code"), _changed("phase_id"), _changed("owner_id"), _changed("plan_status")],
        "When the incident's severity, phase, owner or status changes, brings its linked Slack channel in step "
        "(topic, bookmark, pinned summary) through Keep Slack channel in step: only channels turned on with "
        "Example: Keep Slack Channel in Step are written to, one Slack write per part that changed.",
        logic_type="any"),
    "example_archive_the_slack_channel_when_the_incident_closes": AutomaticPlaybookSpec(
        "Example: Archive the Slack channel when the incident closes", "incident", "slack_archive_channel",
        "archive_result", "example_archive_the_slack_channel_when_the_incident_closes", "Note the archive",
        [{"evaluation_id": None, "field_name": "incident.plan_status", "method": "changed_to", "type": None,
          "value": "C"}],
        "When the incident is closed, saves its linked Slack channel's whole conversation as an incident "
        "attachment and archives the channel through Archive Slack channel. A channel kept in step with the "
        "incident gets the incident's closing summary first (resolution, owner, final severity, tasks), so the "
        "saved conversation holds it. Reopening the incident links a new channel (Slack apps cannot unarchive)."),
}


def build_automatic_playbook(name: str, spec: AutomaticPlaybookSpec, index: int) -> dict[str, Any]:
    """Return one ``playbooks[]`` entry: an automatic playbook with no activation form."""
    playbook_uuid = stable_uuid("playbook", name)
    type_name = playbook_type_name(playbook_uuid)
    script_uuid = stable_uuid("script", name)
    pre_script = read_script(spec.scripts, "pre")
    post_script = (f"# {spec.display_name}: runs after the function step; its result is "
                   f"playbook.functions.results.{spec.result_name}.\n"
                   f"results = playbook.functions.results.{spec.result_name}\n\n" + read_script(spec.scripts, "post"))
    author = {"display_name": "fn_slack maintainers", "id": 1, "name": AUTHOR, "type": "user"}
    return {
        "activation_details": {"activation_conditions": {"conditions": spec.conditions,
                                                         "logic_type": spec.logic_type}},
        "activation_type": "automatic",
        "content": {"content_version": 1, "xml": _playbook_bpmn(
            type_name, name, function=spec.function, pre_script=pre_script, result_name=spec.result_name,
            script_name=spec.script_name, script_uuid=script_uuid)},
        "create_date": EXPORT_DATE, "creator_principal": author, "deployment_id": type_name,
        "description": {"content": spec.description, "format": "text"},
        "display_name": spec.display_name, "export_key": name, "field_type_handle": type_name,
        "fields_type": {
            "actions": [], "display_name": spec.display_name, "export_key": type_name, "fields": {},
            "for_actions": False, "for_custom_fields": False, "for_notifications": False, "for_workflows": False,
            "id": None, "parent_types": ["__playbook"],
            "properties": {"can_create": False, "can_destroy": False, "for_who": []}, "scripts": [], "tags": [],
            "type_id": 28, "type_name": type_name, "uuid": stable_uuid("playbook-fields", name),
        },
        "has_logical_errors": False, "id": index + 1, "is_deleted": False, "is_locked": False,
        "last_modified_principal": author, "last_modified_time": EXPORT_DATE,
        "local_scripts": [_local_script(name, index, spec.script_name, object_type=spec.object_type,
                                        text=post_script, script_uuid=script_uuid)],
        "name": name, "object_type": spec.object_type, "status": "enabled",
        "tag": {"display_name": "Playbook_" + playbook_uuid, "id": index + 1, "name": type_name, "type": "playbook",
                "uuid": stable_uuid("playbook-tag", name)},
        "type": "default", "uuid": playbook_uuid, "version": 1,
    }


def _table(name: str, table_uuid: str, display_name: str, spec: dict[str, tuple[str, str, str, bool, int, str]],
           first_id: int, *, read_only: frozenset[str] = frozenset()) -> dict[str, Any]:
    columns = {}
    for order, (col_name, (col_uuid, label, input_type, rich_text, width, tooltip)) in enumerate(spec.items()):
        column = _field(col_name, export_type=name, type_id=1000, field_id=first_id + order, label=label,
                        input_type=input_type, field_uuid=col_uuid, tooltip=tooltip, rich_text=rich_text)
        column.update(order=order, width=width, read_only=col_name in read_only)
        columns[col_name] = column
    return {
        "actions": [], "display_name": display_name, "export_key": name, "fields": columns,
        "for_actions": False, "for_custom_fields": False, "for_notifications": False,
        "for_workflows": False, "id": None, "parent_types": ["incident"],
        "properties": {"can_create": False, "can_destroy": False, "for_who": []}, "scripts": [],
        "tags": [], "type_id": 8, "type_name": name, "uuid": table_uuid,
    }


def build_export() -> dict[str, Any]:
    """Return the complete export as a JSON-ready dict."""
    fields: list[dict[str, Any]] = []
    for index, (name, (field_uuid, input_type, required, tooltip)) in enumerate(FUNCTION_INPUTS.items()):
        fields.append(_field(name, export_type="__function", type_id=11, field_id=101 + index, label=name,
                             input_type=input_type, field_uuid=field_uuid, tooltip=tooltip,
                             required=required))
    for index, (name, (field_uuid, label, input_type, placeholder, tooltip)) in enumerate(ACTIVITY_FIELDS.items()):
        fields.append(_field(name, export_type="actioninvocation", type_id=6, field_id=201 + index,
                             label=label, input_type=input_type, field_uuid=field_uuid,
                             tooltip=tooltip, placeholder=placeholder, prefix="properties"))
    # codegen --reload writes the package's incident fields before SOAR's internal one: the same order here.
    fields.append(_field(MIRROR_INDEX_FIELD, export_type="incident", type_id=0, field_id=391,
                         label="Slack channels mirrored", input_type="text", field_uuid=MIRROR_INDEX_FIELD_UUID,
                         tooltip="IDs of the Slack channels whose conversation fn_slack writes into this incident "
                                 "(set by slack_post_message with slack_mirror; fn_slack finds the incident of a "
                                 "channel by it)", prefix="properties"))
    fields.append(INTERNAL_FIELD)

    workflows, actions = [], []
    function_backrefs: dict[str, list[dict[str, Any]]] = {name: [] for name in FUNCTIONS}
    for index, (rule_name, rule) in enumerate(RULES.items()):
        workflow_id = index + 1
        xml = workflow_xml(rule.workflow, rule_name, rule.description, rule.function, rule.scripts)
        workflows.append({
            "actions": [], "content": {"version": 1, "workflow_id": rule.workflow, "xml": xml},
            "content_version": 1, "description": rule.description, "export_key": rule.workflow,
            "last_modified_by": AUTHOR, "last_modified_time": EXPORT_DATE, "name": rule_name,
            "object_type": rule.object_type, "programmatic_name": rule.workflow, "tags": [],
            "uuid": rule.workflow_uuid, "workflow_id": workflow_id,
        })
        function_backrefs[rule.function].append({
            "actions": [], "description": None, "name": rule_name, "object_type": rule.object_type,
            "programmatic_name": rule.workflow, "tags": [], "uuid": None, "workflow_id": workflow_id,
        })
        actions.append({
            "automations": [], "conditions": rule.conditions, "enabled": True, "export_key": rule_name,
            "id": index + 1, "logic_type": "all", "message_destinations": [], "name": rule_name,
            "object_type": rule.object_type, "tags": [], "timeout_seconds": 86400, "type": 1,
            "uuid": rule.uuid,
            "view_items": [_view_item(ACTIVITY_FIELDS[name][0], "actioninvocation") for name in rule.fields],
            "workflows": [rule.workflow],
        })
    playbooks = [build_playbook(name, spec, index) for index, (name, spec) in enumerate(PLAYBOOKS.items())]
    playbooks += [build_automatic_playbook(name, spec, len(playbooks) + index)
                  for index, (name, spec) in enumerate(AUTOMATIC_PLAYBOOKS.items())]

    functions = []
    for index, (name, (fn_uuid, display, description, inputs)) in enumerate(FUNCTIONS.items()):
        functions.append({
            "created_date": EXPORT_DATE, "description": {"content": description, "format": "text"},
            "destination_handle": DESTINATION["programmatic_name"], "display_name": display,
            "export_key": name, "id": index + 1,
            "last_modified_by": {"display_name": "fn_slack maintainers", "id": 1, "name": AUTHOR,
                                 "type": "user"},
            "last_modified_time": EXPORT_DATE, "name": name, "tags": [], "uuid": fn_uuid, "version": 1,
            "view_items": [_view_item(FUNCTION_INPUTS[field][0], "__function") for field in inputs],
            "workflows": function_backrefs[name],
        })

    table = _table(TABLE_NAME, TABLE_UUID, "Slack Conversations", TABLE_COLUMNS, 301, read_only=TABLE_READ_ONLY)
    messages_table = _table(MESSAGES_TABLE_NAME, MESSAGES_TABLE_UUID, "Slack Messages", MESSAGES_TABLE_COLUMNS,
                            351)
    # fn_slack maintains the whole questions table: every column read-only in SOAR's UI (the seal protects it).
    questions_table = _table(QUESTIONS_TABLE_NAME, QUESTIONS_TABLE_UUID, "Slack Questions", QUESTIONS_TABLE_COLUMNS,
                             361, read_only=frozenset(QUESTIONS_TABLE_COLUMNS))

    return {
        "action_order": [], "actions": actions, "apps": [], "automatic_tasks": [],
        "export_date": EXPORT_DATE, "export_format_version": 2, "fields": fields, "functions": functions,
        "geos": None, "groups": None, "id": 1, "inbound_destinations": [], "inbound_mailboxes": None,
        "incident_artifact_types": [], "incident_types": [INTERNAL_INCIDENT_TYPE], "industries": None,
        "layouts": [], "locale": None, "message_destinations": [DESTINATION], "notifications": None,
        "overrides": None, "phases": [], "playbooks": playbooks, "regulators": None, "roles": [], "scripts": [],
        "server_version": SERVER_VERSION, "tags": [], "task_order": [], "timeframes": None,
        "types": [table, messages_table, questions_table], "workflows": workflows, "workspaces": [],
    }


def render_export() -> str:
    """Return the export file's text: sorted, indented, ASCII-only JSON (customize.py reads it as text)."""
    return json.dumps(build_export(), indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def main() -> int:
    """Write export.res; with --check, only report whether it is up to date."""
    text = render_export()
    if "--check" in sys.argv[1:]:
        current = EXPORT_PATH.read_text(encoding="utf-8") if EXPORT_PATH.exists() else ""
        if current != text:
            print(f"{EXPORT_PATH} is out of date: run python -m tools.customizations.build_export")
            return 1
        print(f"{EXPORT_PATH} is up to date")
        return 0
    EXPORT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {EXPORT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
