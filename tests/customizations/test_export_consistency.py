"""export.res is internally consistent, keeps the names and UUIDs of behavior.md §1, and is up to date."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the package's own export.res

import pytest

from fn_slack.util import customize
from sandbox.soar.scripting import load_customizations, rule_matches
from tools.customizations import build_export

EXPORT = json.loads(build_export.EXPORT_PATH.read_text(encoding="utf-8"))
CUSTOMIZATIONS = load_customizations()
FIELDS_BY_UUID = {f["uuid"]: f for f in EXPORT["fields"]}
FUNCTIONS = {f["name"]: f for f in EXPORT["functions"]}
WORKFLOWS = {w["programmatic_name"]: w for w in EXPORT["workflows"]}

FUNCTION_UUIDS = {"slack_post_message": "ded2826c-6528-4a26-b2c8-0cf215dce3c3",
                  "slack_post_attachment": "5fed4dd5-9ccc-492a-90e1-4f17e6a5c5c8",
                  "slack_archive_channel": "8f3a9d1d-8182-4c5b-b422-cfeee33de0dc",
                  "slack_ask_question": build_export.stable_uuid("function", "slack_ask_question"),
                  "slack_question_answer": build_export.stable_uuid("function", "slack_question_answer"),
                  "slack_sync_channel": build_export.stable_uuid("function", "slack_sync_channel")}
DISPLAY_NAMES = {"slack_post_message": "Post message to Slack",
                 "slack_post_attachment": "Post attachment to Slack",
                 "slack_archive_channel": "Archive Slack Channel",
                 "slack_ask_question": "Ask a question in Slack",
                 "slack_question_answer": "Read a verified Slack answer",
                 "slack_sync_channel": "Keep Slack channel in step"}
INPUT_FIELDS = {  # behavior.md §1: name → (uuid, type)
    "slack_sync_start": (build_export.stable_uuid("input", "slack_sync_start"), "boolean"),
    "incident_id": ("3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number"),
    "task_id": ("958f0953-8b6f-4472-b786-b9ae4351ddfe", "number"),
    "artifact_id": ("d63d16a1-c5bd-4015-9850-05316b22564c", "number"),
    "attachment_id": ("9997e04c-bdbe-4f7c-9b87-2bc0390826fe", "number"),
    "slack_channel": ("9caadb86-3cb1-44f8-81f4-4da30e68a106", "text"),
    "slack_is_channel_private": ("cc231126-4f49-4237-998b-d9570664d662", "boolean"),
    "slack_participant_emails": ("ae82a20a-d6ae-4f77-98d8-1388dfa4b2f7", "text"),
    "slack_text": ("85d20b77-734f-4930-9c4b-b5f8d98c581c", "text"),
    "slack_mrkdwn": ("2388be49-283f-4b77-bbeb-86a2ee1dcf08", "boolean"),
    "slack_as_user": ("48e593f4-3cc4-4f3e-a809-38e5fed70f20", "boolean"),
    "slack_username": ("74365ed2-635a-446a-ba39-65b264b7ad54", "text"),
    "slack_channel_id": ("9846df31-5b76-4299-b12b-17e0c6551791", "text"),
    # 3.x, two-way channels and questions: UUIDs of our own
    **{name: (build_export.stable_uuid("input", name), kind) for name, kind in [
        ("slack_mirror", "boolean"), ("slack_thread", "boolean"), ("slack_direct", "boolean"),
        ("slack_question", "text"),
        ("slack_question_options", "text"),
        ("slack_question_free_text", "boolean"), ("slack_question_direct", "boolean"),
        ("slack_question_anyone", "boolean"), ("slack_question_expiry_minutes", "number"),
        ("slack_question_id", "text")]},
}
# The inputs without which no function that has them can work.
REQUIRED_INPUTS = {"incident_id", "slack_question_id"}
# Functions only a playbook calls (no example workflow): the one that verifies a question's answer.
PLAYBOOK_ONLY = {"slack_question_answer": "example_act_on_verified_slack_answer"}
FILE_TYPES = ["Email Attachment", "Log File", "Other File", "RFC 822 Email Message File", "X509 Certificate File"]
RULES = {  # behavior.md §8: rule → (object, function, condition method)
    "Example: Post Incident to Slack": ("incident", "slack_post_message", None),
    "Example: Post Task to Slack": ("task", "slack_post_message", None),
    "Example: Post Note to Slack": ("note", "slack_post_message", None),
    "Example: Post Artifact to Slack": ("artifact", "slack_post_message", "not_in"),
    "Example: Post Incident / Task Attachment to Slack": ("attachment", "slack_post_attachment", None),
    "Example: Post Artifact Attachment to Slack": ("artifact", "slack_post_attachment", "in"),
    "Example: Archive Incident Slack Channel": ("incident", "slack_archive_channel", None),
    "Example: Archive Task Slack Channel": ("task", "slack_archive_channel", None),
    "Example: Ask a Question in Slack": ("incident", "slack_ask_question", None),
    "Example: Keep Slack Channel in Step": ("incident", "slack_sync_channel", None),
}


def test_export_res_is_what_the_builder_produces_from_the_script_sources():
    assert build_export.EXPORT_PATH.read_text(encoding="utf-8") == build_export.render_export(), \
        "export.res is out of date: run python -m tools.customizations.build_export"


def test_export_is_ascii_so_customize_reads_it_in_any_locale():
    build_export.EXPORT_PATH.read_bytes().decode("ascii")


def test_customize_yields_exactly_the_export():
    definitions = list(customize.customization_data())

    assert len(definitions) == 1
    assert json.loads(base64.b64decode(definitions[0].value)) == EXPORT


def test_message_destination_is_slack_and_expects_acks():
    assert [(d["programmatic_name"], d["name"], d["export_key"], d["expect_ack"], d["destination_type"])
            for d in EXPORT["message_destinations"]] == [("slack", "slack", "slack", True, 0)]


@pytest.mark.parametrize("name", sorted(FUNCTION_UUIDS))
def test_function_keeps_its_name_uuid_display_name_and_destination(name):
    function = FUNCTIONS[name]
    assert (function["export_key"], function["uuid"], function["display_name"], function["destination_handle"]) \
        == (name, FUNCTION_UUIDS[name], DISPLAY_NAMES[name], "slack")


def test_function_inputs_keep_their_names_uuids_and_types():
    inputs = {f["name"]: (f["uuid"], f["input_type"]) for f in EXPORT["fields"] if f["type_id"] == 11}
    assert inputs == INPUT_FIELDS
    for field in EXPORT["fields"]:
        if field["type_id"] == 11:
            assert field["export_key"] == f"__function/{field['name']}"
            assert field["prefix"] is None
            assert field.get("required") == ("always" if field["name"] in REQUIRED_INPUTS else None)
            assert field["tooltip"], f"{field['name']} has no tooltip"


def test_channel_tooltips_state_todays_slack_rule_not_the_2018_one():
    channel_fields = [f for f in EXPORT["fields"] if f["name"] in ("slack_channel", "rule_slack_channel")]
    assert len(channel_fields) == 2
    for field in channel_fields:
        assert "lowercase letters, digits, - and _" in field["tooltip"].lower()
        assert "80 characters" in field["tooltip"]
        assert "21" not in field["tooltip"]


def test_each_function_shows_exactly_the_inputs_it_reads():
    shown = {name: [FIELDS_BY_UUID[item["content"]]["name"] for item in f["view_items"]]
             for name, f in FUNCTIONS.items()}
    assert shown == {  # in IBM 2.1's order
        "slack_post_message": ["slack_channel", "slack_is_channel_private", "slack_participant_emails", "slack_text",
                               "slack_mrkdwn", "slack_as_user", "slack_channel_id", "slack_username",
                               "incident_id", "task_id", "slack_mirror", "slack_thread", "slack_direct"],
        "slack_post_attachment": ["slack_channel", "slack_is_channel_private", "slack_participant_emails",
                                  "slack_text", "slack_channel_id", "incident_id", "task_id", "artifact_id",
                                  "attachment_id", "slack_thread"],
        "slack_archive_channel": ["incident_id", "slack_channel_id", "task_id"],
        "slack_ask_question": ["slack_question", "slack_question_options", "slack_question_free_text",
                               "slack_question_direct", "slack_question_anyone", "slack_question_expiry_minutes",
                               "slack_channel",
                               "slack_is_channel_private", "slack_channel_id", "slack_participant_emails",
                               "incident_id", "task_id"],
        "slack_question_answer": ["incident_id", "slack_question_id"],
        "slack_sync_channel": ["incident_id", "task_id", "slack_sync_start"],
    }
    for function in EXPORT["functions"]:
        assert all(item["field_type"] == "__function" for item in function["view_items"])


def test_rule_fields_are_activity_fields_read_as_rule_properties():
    activity = {f["name"]: f for f in EXPORT["fields"] if f["type_id"] == 6}
    assert {name: (f["text"], f["input_type"]) for name, f in activity.items()} == {
        "rule_slack_channel": ("Slack channel name", "text"),
        "rule_slack_is_channel_private": ("Slack is channel private", "boolean"),
        "rule_slack_participant_emails": ("Slack users emails", "text"),
        "rule_slack_text": ("Additional text", "text"),  # text, as in IBM's 2.1 export
        "slack_channel_id": ("Slack Channel ID", "text"),
        "rule_slack_question": ("Question", "text"),
        "rule_slack_question_options": ("Answers", "text"),
        "rule_slack_question_direct": ("Ask them directly", "boolean"),
        "rule_slack_question_anyone": ("Anyone in the channel may answer", "boolean"),
    }
    for name, field in activity.items():
        assert (field["export_key"], field["prefix"]) == (f"actioninvocation/{name}", "properties")


def test_data_table_has_the_eleven_columns_in_order():
    table = next(t for t in EXPORT["types"] if t["type_name"] == "slack_conversations_db")
    assert (table["type_name"], table["display_name"], table["uuid"], table["type_id"], table["parent_types"]) \
        == ("slack_conversations_db", "Slack Conversations", "e2036bf3-61ea-4752-8d6f-2b4ea262bb1b", 8,
            ["incident"])
    columns = sorted(table["fields"].values(), key=lambda c: c["order"])
    assert [(c["name"], c["text"], c["input_type"], c["rich_text"]) for c in columns] == [
        ("slack_db_time", "Time", "datetimepicker", False),
        ("slack_db_res_id", "Resilient ID", "text", False),
        ("slack_db_channel", "Slack channel name", "text", False),
        ("slack_db_channel_type", "Slack channel type", "text", False),
        ("slack_db_permalink", "Slack URL", "textarea", True),
        ("slack_db_channel_id", "Slack channel ID", "text", False),
        ("slack_db_mirror", "Mirrored into SOAR", "boolean", False),
        ("slack_db_thread_ts", "Thread", "text", False),
        ("slack_db_seal", "Seal", "text", False),
        ("slack_db_sync", "Kept in step", "boolean", False),
        ("slack_db_sync_state", "Sync state", "text", False),
    ]
    assert [c["order"] for c in columns] == list(range(11))
    assert [c["name"] for c in columns if c["read_only"]] == ["slack_db_seal", "slack_db_sync_state"], \
        "only fn_slack writes the seal and the sync state"
    for name, column in table["fields"].items():
        assert (column["name"], column["export_key"], column["type_id"]) == \
            (name, f"slack_conversations_db/{name}", 1000)
    assert not table["properties"]["can_create"] and not table["properties"]["can_destroy"]


@pytest.mark.parametrize("rule_name", sorted(RULES))
def test_rule_starts_one_workflow_of_its_object_calling_its_function(rule_name):
    object_type, function_name, method = RULES[rule_name]
    rule = CUSTOMIZATIONS.rule(rule_name)
    (workflow_name,) = rule.workflows
    workflow = CUSTOMIZATIONS.workflow(workflow_name)

    assert rule.object_type == workflow.object_type == object_type
    assert workflow.function_name == function_name
    assert workflow.function_uuid == FUNCTION_UUIDS[function_name]
    assert [c["method"] for c in rule.conditions] == ([method] if method else [])
    for condition in rule.conditions:
        assert condition["field_name"] == "artifact.type"
        assert sorted(condition["value"]) == FILE_TYPES
    expected_fields = (  # IBM 2.1's order: the Post Artifact item alone asks for the channel ID last
        tuple(build_export.QUESTION_FIELDS) if function_name == "slack_ask_question" else
        ("slack_channel_id",) if function_name == "slack_archive_channel" else
        () if function_name == "slack_sync_channel" else   # nothing to ask: the incident's linked channel
        ("rule_slack_channel", "rule_slack_is_channel_private", "rule_slack_participant_emails", "rule_slack_text",
         "slack_channel_id") if rule_name == "Example: Post Artifact to Slack" else
        ("rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails",
         "rule_slack_text"))
    assert rule.view_field_names == expected_fields
    raw = next(a for a in EXPORT["actions"] if a["name"] == rule_name)
    assert (raw["type"], raw["logic_type"], raw["enabled"], raw["export_key"]) == (1, "all", True, rule_name)
    assert all(item["field_type"] == "actioninvocation" for item in raw["view_items"])


@pytest.mark.parametrize("artifact_type", [*FILE_TYPES, "Malware Sample", "IP Address", "URL", "DNS Name"])
def test_exactly_one_artifact_menu_item_shows_and_malware_is_never_uploaded(artifact_type):
    post = rule_matches(CUSTOMIZATIONS.rule("Example: Post Artifact to Slack"), {"type": artifact_type})
    upload = rule_matches(CUSTOMIZATIONS.rule("Example: Post Artifact Attachment to Slack"),
                          {"type": artifact_type})
    assert post != upload
    assert upload == (artifact_type in FILE_TYPES)


def test_functions_list_the_workflows_that_call_them():
    for name, function in FUNCTIONS.items():
        listed = {(w["programmatic_name"], w["workflow_id"], w["object_type"]) for w in function["workflows"]}
        calling = {(w["programmatic_name"], w["workflow_id"], w["object_type"]) for w in WORKFLOWS.values()
                   if CUSTOMIZATIONS.workflow(w["programmatic_name"]).function_name == name}
        assert listed == calling
        if name in PLAYBOOK_ONLY:
            assert not listed and CUSTOMIZATIONS.playbook(PLAYBOOK_ONLY[name]).function_name == name
        else:
            assert listed


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_is_valid_soar_bpmn(name):
    workflow = WORKFLOWS[name]
    assert workflow["export_key"] == workflow["content"]["workflow_id"] == name
    root = ET.fromstring(workflow["content"]["xml"])  # noqa: S314
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    assert root.tag == f"{bpmn}definitions"
    (process,) = root.findall(f"{bpmn}process")
    assert (process.get("id"), process.get("name"), process.get("isExecutable")) == \
        (name, workflow["name"], "true")
    assert process[0].tag == f"{bpmn}documentation"
    assert process.find(f"{bpmn}startEvent").get("id") == "StartEvent_155asxm"
    ids = {element.get("id") for element in process if element.get("id")}
    flows = process.findall(f"{bpmn}sequenceFlow")
    for flow in flows:
        assert flow.get("sourceRef") in ids and flow.get("targetRef") in ids
    # start → function → end, every node drawn in the diagram
    (task,) = process.findall(f"{bpmn}serviceTask")
    assert task.get("{http://resilient.ibm.com/bpmn}type") == "function"
    function_name = CUSTOMIZATIONS.workflow(name).function_name
    assert task.get("name") == DISPLAY_NAMES[function_name]
    drawn = {shape.get("bpmnElement") for shape in root.iter()
             if shape.tag.endswith(("BPMNShape", "BPMNEdge"))}
    assert drawn == ids
    settings = json.loads(task.find(f"{bpmn}extensionElements/{{http://resilient.ibm.com/bpmn}}function").text)
    assert settings["result_name"]
    assert settings["inputs"] == {}


def test_uuids_and_ids_are_unique():
    uuids = [f["uuid"] for f in EXPORT["fields"]] + [f["uuid"] for f in EXPORT["functions"]] \
        + [w["uuid"] for w in EXPORT["workflows"]] + [a["uuid"] for a in EXPORT["actions"]] \
        + [c["uuid"] for t in EXPORT["types"] for c in t["fields"].values()] + [t["uuid"] for t in EXPORT["types"]]
    assert len(uuids) == len(set(uuids))
    field_ids = [f["id"] for f in EXPORT["fields"]] + [c["id"] for t in EXPORT["types"] for c in t["fields"].values()]
    assert len(field_ids) == len(set(field_ids))


def test_two_way_channels_add_the_messages_table_and_the_channel_index_field():
    table = next(t for t in EXPORT["types"] if t["type_name"] == "slack_messages_db")
    assert table["uuid"] == build_export.stable_uuid("table", "slack_messages_db")
    assert sorted(table["fields"]) == sorted(["slack_msg_key", "slack_msg_author", "slack_msg_link", "slack_msg_state",
                                              "slack_msg_note_id", "slack_msg_owner", "slack_msg_claimed"])
    (index,) = [f for f in EXPORT["fields"] if f["name"] == "slack_mirror_channels"]
    assert (index["export_key"], index["type_id"], index["prefix"], index["input_type"]) == \
        ("incident/slack_mirror_channels", 0, "properties", "text")


def test_codegen_reload_data_names_every_object_of_the_export():
    data = customize.codegen_reload_data()
    assert sorted(data["functions"]) == sorted(FUNCTIONS)
    assert sorted(data["workflows"]) == sorted(WORKFLOWS)
    assert sorted(data["actions"]) == sorted(RULES)
    assert data["message_destinations"] == ["slack"]
    assert data["datatables"] == ["slack_conversations_db", "slack_messages_db", "slack_questions_db"]
    assert data["incident_fields"] == ["slack_mirror_channels"]
