"""Builds fn_slack/util/data/export.res from the definitions below and the workflow scripts in scripts/.

The export is the SOAR customization package (see the README's "Customizations" section). Its workflow
scripts pass through three layers of escaping (script → JSON → XML text → JSON string), so they are kept
here as plain Python files and assembled by this module instead of being edited inside export.res.

Regenerate after changing a script or a definition:

    python -m tools.customizations.build_export

tests/customizations/test_export_consistency.py fails when export.res differs from what this produces.
"""

from __future__ import annotations

import json
import sys
import uuid
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

FILE_ARTIFACT_TYPES = ["Email Attachment", "Log File", "Other File", "RFC 822 Email Message File",
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
}

# --- functions (behavior.md §1) ------------------------------------------------------------------------
# name: (uuid, display name, description, inputs in display order)
FUNCTIONS: dict[str, tuple[str, str, str, list[str]]] = {
    "slack_post_message": (
        "ded2826c-6528-4a26-b2c8-0cf215dce3c3", "Post message to Slack",
        "Post a message to a Slack channel: plain text, or SOAR incident, task, note or artifact data sent "
        "as the JSON container of the example workflows. Creates the channel and invites people as "
        "needed, and links the channel to the incident or task in the Slack Conversations data table.",
        ["incident_id", "task_id", "slack_channel", "slack_channel_id", "slack_is_channel_private",
         "slack_participant_emails", "slack_text", "slack_mrkdwn", "slack_as_user", "slack_username"]),
    "slack_post_attachment": (
        "5fed4dd5-9ccc-492a-90e1-4f17e6a5c5c8", "Post attachment to Slack",
        "Upload an incident attachment, a task attachment or an artifact's file to a Slack channel, "
        "with slack_text as its comment. Artifacts of type Malware Sample are refused unless "
        "allow_malware_samples is set in app.config.",
        ["incident_id", "task_id", "artifact_id", "attachment_id", "slack_channel", "slack_channel_id",
         "slack_is_channel_private", "slack_participant_emails", "slack_text"]),
    "slack_archive_channel": (
        "8f3a9d1d-8182-4c5b-b422-cfeee33de0dc", "Archive Slack Channel",
        "Save the whole conversation of the Slack channel linked to the incident or task (threads "
        "included) as an attachment, then archive the channel. The channel is not archived when the "
        "history could not be saved.",
        ["incident_id", "task_id", "slack_channel_id"]),
}

# --- rule (menu item) fields (behavior.md §8) ----------------------------------------------------------
# name: (label, input_type, placeholder, tooltip)
ACTIVITY_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "rule_slack_channel": ("Slack channel name", "text", "incident-2103",
                           "Existing or new channel. " + CHANNEL_RULE + " Empty: the channel linked to "
                           "this incident or task."),
    "rule_slack_is_channel_private": ("Slack is channel private", "boolean", "",
                                      "Whether the channel is private. Needed when the channel is new."),
    "rule_slack_participant_emails": ("Slack users emails", "text", "alice@example.com, bob@example.com",
                                      "Comma-separated e-mail addresses of workspace members to invite."),
    "rule_slack_text": ("Additional text", "textarea", "",
                        "Text shown above the data in Slack. Slack mentions such as <@U0123ABCD> and "
                        "#channel work here."),
    "slack_channel_id": ("Slack Channel ID", "text", "C0123456789",
                         "Optional Slack channel ID; it wins over the channel name and the linked "
                         "channel."),
}

POST_FIELDS = ["rule_slack_channel", "rule_slack_is_channel_private", "rule_slack_participant_emails",
               "rule_slack_text", "slack_channel_id"]

# --- data table (behavior.md §5) ----------------------------------------------------------------------
TABLE_NAME = "slack_conversations_db"
TABLE_UUID = "e2036bf3-61ea-4752-8d6f-2b4ea262bb1b"
# name: (label, input_type, rich_text, width, tooltip)
TABLE_COLUMNS: dict[str, tuple[str, str, bool, int, str]] = {
    "slack_db_time": ("Time", "datetimepicker", False, 140, "When the channel was linked"),
    "slack_db_res_id": ("Resilient ID", "text", False, 120,
                        "RES-<incident ID>, or RES-<incident ID>-<task ID> for a task"),
    "slack_db_channel": ("Slack channel name", "text", False, 180, ""),
    "slack_db_channel_type": ("Slack channel type", "text", False, 90, "Private or Public"),
    "slack_db_permalink": ("Slack URL", "textarea", True, 120, "Link to the first message posted"),
    "slack_db_channel_id": ("Slack channel ID", "text", False, 120,
                            "Slack's ID of the channel, so later posts need no lookup"),
}

# --- rules and workflows (behavior.md §8) -------------------------------------------------------------
# rule name: (object type, workflow programmatic name, function, conditions, rule fields, description)
RULES: dict[str, tuple[str, str, str, list[dict[str, Any]], list[str], str]] = {
    "Example: Post Incident to Slack": (
        "incident", "example_post_incident_to_slack", "slack_post_message", [], POST_FIELDS,
        "Posts the incident's main fields to Slack and notes the post on the incident."),
    "Example: Post Task to Slack": (
        "task", "example_post_task_to_slack", "slack_post_message", [], POST_FIELDS,
        "Posts the task to the task's Slack channel and notes the post on the task."),
    "Example: Post Note to Slack": (
        "note", "example_post_note_to_slack", "slack_post_message", [], POST_FIELDS,
        "Posts an incident or task note to Slack and notes the post on its task or incident."),
    "Example: Post Artifact to Slack": (
        "artifact", "example_post_artifact_to_slack", "slack_post_message",
        [{"evaluation_id": None, "field_name": "artifact.type", "method": "not_in", "type": None,
          "value": FILE_ARTIFACT_TYPES}], POST_FIELDS,
        "Posts an artifact's type and value to Slack and notes the post on the incident."),
    "Example: Post Incident/Task Attachment to Slack": (
        "attachment", "example_post_attachment_to_slack", "slack_post_attachment", [], POST_FIELDS,
        "Uploads an incident or task attachment to Slack and notes the upload on its task or incident."),
    "Example: Post Artifact Attachment to Slack": (
        "artifact", "example_post_artifact_attachment_to_slack", "slack_post_attachment",
        [{"evaluation_id": None, "field_name": "artifact.type", "method": "in", "type": None,
          "value": FILE_ARTIFACT_TYPES}], POST_FIELDS,
        "Uploads a file artifact (never a Malware Sample) to Slack and notes the upload on the incident."),
    "Example: Archive Incident Slack Channel": (
        "incident", "example_archive_incident_slack_channel", "slack_archive_channel", [],
        ["slack_channel_id"],
        "Saves the history of the incident's Slack channel as an incident attachment, then archives "
        "the channel."),
    "Example: Archive Task Slack Channel": (
        "task", "example_archive_task_slack_channel", "slack_archive_channel", [], ["slack_channel_id"],
        "Saves the history of the task's Slack channel as a task attachment, then archives the channel."),
}

RESULT_NAMES = {"slack_post_message": "post_message_result",
                "slack_post_attachment": "post_attachment_result",
                "slack_archive_channel": "archive_channel_result"}

DESTINATION = {"api_keys": [], "destination_type": 0, "expect_ack": True, "export_key": "slack",
               "name": "fn_slack", "programmatic_name": "slack", "tags": [], "users": [],
               "uuid": stable_uuid("destination", "slack")}

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


def workflow_xml(programmatic_name: str, name: str, description: str, function_name: str) -> str:
    """Return the BPMN XML of a start → function → end workflow calling ``function_name``."""
    fn_uuid, fn_display, _, _ = FUNCTIONS[function_name]
    fn_json = json.dumps({
        "inputs": {},
        "post_processing_script": read_script(programmatic_name, "post"),
        "post_processing_script_language": "python3",
        "pre_processing_script": read_script(programmatic_name, "pre"),
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


def build_export() -> dict[str, Any]:
    """Return the complete export as a JSON-ready dict."""
    fields: list[dict[str, Any]] = []
    for index, (name, (field_uuid, input_type, required, tooltip)) in enumerate(FUNCTION_INPUTS.items()):
        fields.append(_field(name, export_type="__function", type_id=11, field_id=101 + index, label=name,
                             input_type=input_type, field_uuid=field_uuid, tooltip=tooltip,
                             required=required))
    activity_uuids = {name: stable_uuid("actioninvocation", name) for name in ACTIVITY_FIELDS}
    for index, (name, (label, input_type, placeholder, tooltip)) in enumerate(ACTIVITY_FIELDS.items()):
        fields.append(_field(name, export_type="actioninvocation", type_id=6, field_id=201 + index,
                             label=label, input_type=input_type, field_uuid=activity_uuids[name],
                             tooltip=tooltip, placeholder=placeholder, prefix="properties"))
    fields.append(INTERNAL_FIELD)

    workflow_ids = {spec[1]: index + 1 for index, spec in enumerate(RULES.values())}
    workflows, actions = [], []
    function_backrefs: dict[str, list[dict[str, Any]]] = {name: [] for name in FUNCTIONS}
    for index, (rule_name, (object_type, wf_name, function, conditions, rule_fields, description)) \
            in enumerate(RULES.items()):
        workflow_id = workflow_ids[wf_name]
        xml = workflow_xml(wf_name, rule_name, description, function)
        workflows.append({
            "actions": [], "content": {"version": 1, "workflow_id": wf_name, "xml": xml},
            "content_version": 1, "description": description, "export_key": wf_name,
            "last_modified_by": AUTHOR, "last_modified_time": EXPORT_DATE, "name": rule_name,
            "object_type": object_type, "programmatic_name": wf_name, "tags": [],
            "uuid": stable_uuid("workflow", wf_name), "workflow_id": workflow_id,
        })
        function_backrefs[function].append({
            "actions": [], "description": None, "name": rule_name, "object_type": object_type,
            "programmatic_name": wf_name, "tags": [], "uuid": None, "workflow_id": workflow_id,
        })
        actions.append({
            "automations": [], "conditions": conditions, "enabled": True, "export_key": rule_name,
            "id": index + 1, "logic_type": "all", "message_destinations": [], "name": rule_name,
            "object_type": object_type, "tags": [], "timeout_seconds": 86400, "type": 1,
            "uuid": stable_uuid("rule", rule_name),
            "view_items": [_view_item(activity_uuids[name], "actioninvocation") for name in rule_fields],
            "workflows": [wf_name],
        })

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

    columns = {}
    for order, (name, (label, input_type, rich_text, width, tooltip)) in enumerate(TABLE_COLUMNS.items()):
        column = _field(name, export_type=TABLE_NAME, type_id=1000, field_id=301 + order, label=label,
                        input_type=input_type, field_uuid=stable_uuid("column", name), tooltip=tooltip,
                        rich_text=rich_text)
        column.update(order=order, width=width)
        columns[name] = column
    table = {
        "actions": [], "display_name": "Slack Conversations", "export_key": TABLE_NAME, "fields": columns,
        "for_actions": False, "for_custom_fields": False, "for_notifications": False,
        "for_workflows": False, "id": None, "parent_types": ["incident"],
        "properties": {"can_create": False, "can_destroy": False, "for_who": []}, "scripts": [],
        "tags": [], "type_id": 8, "type_name": TABLE_NAME, "uuid": TABLE_UUID,
    }

    return {
        "action_order": [], "actions": actions, "apps": [], "automatic_tasks": [],
        "export_date": EXPORT_DATE, "export_format_version": 2, "fields": fields, "functions": functions,
        "geos": None, "groups": None, "id": 1, "inbound_destinations": [], "inbound_mailboxes": None,
        "incident_artifact_types": [], "incident_types": [INTERNAL_INCIDENT_TYPE], "industries": None,
        "layouts": [], "locale": None, "message_destinations": [DESTINATION], "notifications": None,
        "overrides": None, "phases": [], "regulators": None, "roles": [], "scripts": [],
        "server_version": SERVER_VERSION, "tags": [], "task_order": [], "timeframes": None,
        "types": [table], "workflows": workflows, "workspaces": [],
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
