"""export.res gives every object that serves the same purpose as one of IBM fn_slack 2.1's exactly IBM's identity.

The identities come from the project's spec ``shared/spec/ibm-2.1-identities.md``, transcribed in
``sandbox/soar/ibm21.py``; when the spec is reachable next to the repository, the transcription is checked
against the spec's tables too. An org that ran IBM's package then sees `customize` update its objects in place.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the package's own export.res
from pathlib import Path

import pytest

from sandbox.soar import ibm21
from tools.customizations import build_export

EXPORT = json.loads(build_export.EXPORT_PATH.read_text(encoding="utf-8"))
FIELDS = {f["export_key"]: f for f in EXPORT["fields"]}
FIELDS_BY_UUID = {f["uuid"]: f for f in EXPORT["fields"]}
FUNCTIONS = {f["name"]: f for f in EXPORT["functions"]}
RULES = {a["name"]: a for a in EXPORT["actions"]}
WORKFLOWS = {w["programmatic_name"]: w for w in EXPORT["workflows"]}
PLAYBOOKS = {p["name"]: p for p in EXPORT["playbooks"]}
TABLE = next(t for t in EXPORT["types"] if t["type_name"] == "slack_conversations_db")
CHANNEL_ID_COLUMN_UUID = "24db8240-cb75-5dac-805b-1ecb48520d87"  # ours only; must never change
# fn_slack 3.x's own objects beyond IBM's (two-way channels, questions): each has a UUID of its own, derived
# from its kind and name, so it stays the same in every build and never takes one of IBM's.
OUR_INPUTS = {"slack_post_message": ["slack_mirror", "slack_thread", "slack_direct"],
              "slack_post_attachment": ["slack_thread"]}
OUR_FUNCTIONS = {"slack_ask_question": [
    "slack_question", "slack_question_options", "slack_question_free_text", "slack_question_direct",
    "slack_question_anyone", "slack_question_expiry_minutes", "slack_channel", "slack_is_channel_private",
    "slack_channel_id", "slack_participant_emails", "incident_id", "task_id"],
    "slack_question_answer": ["incident_id", "slack_question_id"],
    "slack_sync_channel": ["incident_id", "task_id", "slack_sync_start"]}

OUR_FIELDS = {
    "__function/slack_mirror": ("input", "slack_mirror"),
    "__function/slack_thread": ("input", "slack_thread"),
    "__function/slack_direct": ("input", "slack_direct"),
    "__function/slack_question": ("input", "slack_question"),
    "__function/slack_question_options": ("input", "slack_question_options"),
    "__function/slack_question_free_text": ("input", "slack_question_free_text"),
    "__function/slack_question_direct": ("input", "slack_question_direct"),
    "__function/slack_question_anyone": ("input", "slack_question_anyone"),
    "__function/slack_question_expiry_minutes": ("input", "slack_question_expiry_minutes"),
    "__function/slack_question_id": ("input", "slack_question_id"),
    "__function/slack_sync_start": ("input", "slack_sync_start"),
    "actioninvocation/rule_slack_question": ("field", "rule_slack_question"),
    "actioninvocation/rule_slack_question_options": ("field", "rule_slack_question_options"),
    "actioninvocation/rule_slack_question_direct": ("field", "rule_slack_question_direct"),
    "actioninvocation/rule_slack_question_anyone": ("field", "rule_slack_question_anyone"),
    "incident/slack_mirror_channels": ("field", "slack_mirror_channels"),
}
OUR_RULES = {"Example: Ask a Question in Slack": "example_ask_question_in_slack",
             "Example: Keep Slack Channel in Step": "example_keep_slack_channel_in_step"}
# playbook → its activation fields (the automatic one has none)
OUR_PLAYBOOKS = {"example_ask_question_in_slack_pb": build_export.QUESTION_FIELDS,
                 "example_act_on_verified_slack_answer": [],
                 "example_slack_channel_follows_the_incident": [],
                 "example_archive_the_slack_channel_when_the_incident_closes": []}
OUR_TABLES = ["slack_messages_db", "slack_questions_db"]


def _ours(kind: str, name: str) -> str:
    return build_export.stable_uuid(kind, name)
SPEC = build_export.ROOT.parent / "shared" / "spec" / "ibm-2.1-identities.md"
RESILIENT = "{http://resilient.ibm.com/bpmn}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def test_message_destination_is_ibms():
    (destination,) = EXPORT["message_destinations"]
    assert {key: destination[key] for key in ("programmatic_name", "name", "uuid")} == ibm21.DESTINATION


@pytest.mark.parametrize("name", sorted(ibm21.FUNCTIONS))
def test_function_and_its_inputs_are_ibms_in_ibms_order(name):
    display_name, fn_uuid, inputs = ibm21.FUNCTIONS[name]
    function = FUNCTIONS[name]
    assert (function["display_name"], function["uuid"], function["destination_handle"]) == \
        (display_name, fn_uuid, "slack")
    shown = [FIELDS_BY_UUID[item["content"]] for item in function["view_items"]]
    assert [(f["name"], f["uuid"], f["input_type"]) for f in shown[:len(inputs)]] == [i[:3] for i in inputs]
    assert [f["name"] for f in shown[len(inputs):]] == OUR_INPUTS.get(name, []), "ours come after IBM's"


def test_functions_beyond_ibms_are_ours():
    assert sorted(set(FUNCTIONS) - set(ibm21.FUNCTIONS)) == sorted(OUR_FUNCTIONS)
    for name, inputs in OUR_FUNCTIONS.items():
        assert FUNCTIONS[name]["uuid"] == _ours("function", name)
        assert [FIELDS_BY_UUID[item["content"]]["name"] for item in FUNCTIONS[name]["view_items"]] == inputs


@pytest.mark.parametrize("export_key", [f[0] for f in ibm21.FIELDS])
def test_field_has_ibms_name_uuid_type_and_label(export_key):
    _, text, field_uuid, input_type, type_id, _ = next(f for f in ibm21.FIELDS if f[0] == export_key)
    field = FIELDS[export_key]
    assert (field["name"], field["uuid"], field["input_type"], field["type_id"]) == \
        (export_key.split("/")[1], field_uuid, input_type, type_id)
    if type_id == 6:  # the labels the menu items show
        assert field["text"] == text


def test_fields_beyond_ibms_are_ours_with_stable_uuids():
    assert sorted(set(FIELDS) - {f[0] for f in ibm21.FIELDS}) == sorted(OUR_FIELDS)
    for export_key, (kind, name) in OUR_FIELDS.items():
        assert FIELDS[export_key]["uuid"] == _ours(kind, name), export_key


@pytest.mark.parametrize("rule_name", sorted(ibm21.RULES))
def test_rule_is_ibms_and_starts_the_workflow_ibm_named(rule_name):
    rule_uuid, object_type, method, view_fields, workflow = ibm21.RULES[rule_name]
    rule = RULES[rule_name]  # the exact name, spaces around "/" included
    assert (rule["uuid"], rule["object_type"], rule["workflows"]) == (rule_uuid, object_type, [workflow])
    assert [FIELDS_BY_UUID[item["content"]]["name"] for item in rule["view_items"]] == view_fields
    assert [(c["field_name"], c["method"], sorted(c["value"])) for c in rule["conditions"]] == \
        ([("artifact.type", method, sorted(ibm21.FILE_ARTIFACT_TYPES))] if method else [])


def test_rules_beyond_ibms_are_ours_with_stable_uuids():
    assert sorted(set(RULES) - set(ibm21.RULES)) == sorted(OUR_RULES)
    for name, workflow in OUR_RULES.items():
        assert (RULES[name]["uuid"], RULES[name]["workflows"]) == (_ours("rule", name), [workflow])


@pytest.mark.parametrize("programmatic_name", sorted(ibm21.WORKFLOWS))
def test_workflow_is_ibms_and_calls_the_same_function(programmatic_name):
    name, wf_uuid, object_type, function = ibm21.WORKFLOWS[programmatic_name]
    workflow = WORKFLOWS[programmatic_name]
    assert (workflow["name"], workflow["uuid"], workflow["object_type"], workflow["export_key"]) == \
        (name, wf_uuid, object_type, programmatic_name)
    root = ET.fromstring(workflow["content"]["xml"])  # noqa: S314
    assert root.find(f"{BPMN}process").get("id") == programmatic_name
    (call,) = root.iter(f"{RESILIENT}function")
    assert call.get("uuid") == ibm21.FUNCTIONS[function][1]


def test_workflows_beyond_ibms_are_ours_with_stable_uuids():
    assert sorted(set(WORKFLOWS) - set(ibm21.WORKFLOWS)) == sorted(OUR_RULES.values())
    for workflow in OUR_RULES.values():
        assert WORKFLOWS[workflow]["uuid"] == _ours("workflow", workflow)


def test_data_table_and_ibms_columns_keep_their_identity():
    assert (TABLE["type_name"], TABLE["display_name"], TABLE["uuid"]) == \
        (ibm21.TABLE["type_name"], ibm21.TABLE["display_name"], ibm21.TABLE["uuid"])
    for name, (order, text, col_uuid, input_type, rich_text) in ibm21.TABLE_COLUMNS.items():
        column = TABLE["fields"][name]
        assert (column["order"], column["text"], column["uuid"], column["input_type"], column["rich_text"]) == \
            (order, text, col_uuid, input_type, rich_text)


def test_the_channel_id_column_is_ours_with_a_stable_uuid_after_ibms_columns():
    assert sorted(set(TABLE["fields"]) - set(ibm21.TABLE_COLUMNS)) == \
        ["slack_db_channel_id", "slack_db_mirror", "slack_db_seal", "slack_db_sync", "slack_db_sync_state",
         "slack_db_thread_ts"]
    column = TABLE["fields"]["slack_db_channel_id"]
    assert (column["uuid"], column["order"]) == (CHANNEL_ID_COLUMN_UUID, len(ibm21.TABLE_COLUMNS))


def test_the_mirror_column_is_ours_after_the_channel_id():
    column = TABLE["fields"]["slack_db_mirror"]
    assert (column["uuid"], column["order"], column["input_type"]) == \
        (build_export.stable_uuid("column", "slack_db_mirror"), len(ibm21.TABLE_COLUMNS) + 1, "boolean")
    assert column["uuid"] not in {c[2] for c in ibm21.TABLE_COLUMNS.values()}


@pytest.mark.parametrize("name", sorted(ibm21.PLAYBOOKS))
def test_playbook_is_ibms_with_its_activation_fields_script_and_tag(name):
    spec = ibm21.PLAYBOOKS[name]
    playbook = PLAYBOOKS[name]
    type_name = "playbook_" + spec["uuid"].replace("-", "_")
    assert (playbook["export_key"], playbook["display_name"], playbook["uuid"], playbook["object_type"]) == \
        (name, spec["display_name"], spec["uuid"], spec["object_type"])
    assert (playbook["activation_type"], playbook["status"], playbook["type"]) == ("manual", "enabled", "default")
    assert playbook["deployment_id"] == playbook["field_type_handle"] == type_name
    fields_type = playbook["fields_type"]
    assert (fields_type["uuid"], fields_type["type_name"], fields_type["type_id"], fields_type["parent_types"]) == \
        (spec["fields_type_uuid"], type_name, 28, ["__playbook"])
    assert (playbook["tag"]["uuid"], playbook["tag"]["name"], playbook["tag"]["type"]) == \
        (spec["tag_uuid"], type_name, "playbook")
    (script,) = playbook["local_scripts"]
    assert (script["name"], script["uuid"], script["programmatic_name"], script["language"]) == \
        (*spec["script"], "python3")
    by_uuid = {f["uuid"]: f for f in fields_type["fields"].values()}
    shown = [by_uuid[item["content"]] for item in playbook["manual_settings"]["view_items"]]
    assert [(f["name"], f["text"], f["uuid"], f["input_type"]) for f in shown] == spec["fields"]
    assert all(f["export_key"] == f"{type_name}/{f['name']}" for f in shown)
    root = ET.fromstring(playbook["content"]["xml"])  # noqa: S314
    (call,) = root.iter(f"{RESILIENT}function")
    assert call.get("uuid") == ibm21.FUNCTIONS[spec["function"]][1]
    assert [s.get("uuid") for s in root.iter(f"{RESILIENT}script")] == [spec["script"][1]]
    conditions = playbook["manual_settings"]["activation_conditions"]["conditions"]
    assert [(c["field_name"], c["method"], sorted(c["value"])) for c in conditions] == \
        ([("artifact.type", spec["condition"], sorted(ibm21.FILE_ARTIFACT_TYPES))] if spec["condition"] else [])


def test_playbooks_beyond_ibms_are_ours_with_stable_uuids():
    assert sorted(set(PLAYBOOKS) - set(ibm21.PLAYBOOKS)) == sorted(OUR_PLAYBOOKS)
    for name in OUR_PLAYBOOKS:
        assert PLAYBOOKS[name]["uuid"] == _ours("playbook", name)


def _ibm_uuids() -> set[str]:
    uuids = {ibm21.DESTINATION["uuid"], ibm21.TABLE["uuid"], "bfeec2d4-3770-11e8-ad39-4a0004044aa0"}
    uuids |= {f[1] for f in ibm21.FUNCTIONS.values()} | {f[2] for f in ibm21.FIELDS}
    uuids |= {r[0] for r in ibm21.RULES.values()} | {w[1] for w in ibm21.WORKFLOWS.values()}
    uuids |= {c[2] for c in ibm21.TABLE_COLUMNS.values()}
    for spec in ibm21.PLAYBOOKS.values():
        uuids |= {spec["uuid"], spec["fields_type_uuid"], spec["tag_uuid"], spec["script"][1]}
        uuids |= {f[2] for f in spec["fields"]}
    return uuids


def _export_uuids() -> set[str]:
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            if isinstance(value.get("uuid"), str):
                found.add(value["uuid"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(EXPORT)
    return found


def _our_uuids() -> set[str]:
    uuids = {CHANNEL_ID_COLUMN_UUID, _ours("column", "slack_db_mirror"), _ours("column", "slack_db_thread_ts"),
             _ours("column", "slack_db_seal"), _ours("column", "slack_db_sync"), _ours("column", "slack_db_sync_state")}
    uuids |= {_ours("function", name) for name in OUR_FUNCTIONS} | {_ours(*v) for v in OUR_FIELDS.values()}
    uuids |= {_ours("rule", name) for name in OUR_RULES} | {_ours("workflow", w) for w in OUR_RULES.values()}
    for table in OUR_TABLES:
        uuids.add(_ours("table", table))
        uuids |= {_ours("column", c) for c in next(t for t in EXPORT["types"] if t["type_name"] == table)["fields"]}
    for name, fields in OUR_PLAYBOOKS.items():
        uuids |= {_ours(kind, name) for kind in ("playbook", "playbook-fields", "playbook-tag", "script")}
        uuids |= {_ours("playbook-field", f"{name}/{f}") for f in fields}
    return uuids


def test_every_uuid_ibm_does_not_have_is_one_of_ours():
    assert _export_uuids() - _ibm_uuids() == _our_uuids()
    assert not _our_uuids() & _ibm_uuids()


# --- the transcription against the spec ----------------------------------------------------------------------

def _spec_rows(text: str, heading: str, index: int = 0) -> list[dict[str, str]]:
    """The rows of the index-th table after a heading, cells stripped of backticks."""
    section = text[text.index(heading):]
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    tables, current = [], None
    for line in section.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("`", "") for c in line.strip().strip("|").split("|")]
            if current is None:
                current = {"head": cells, "rows": []}
            elif not set("".join(cells)) <= set("-: "):
                current["rows"].append(dict(zip(current["head"], cells, strict=False)))
        elif current is not None:
            tables.append(current["rows"])
            current = None
    if current is not None:
        tables.append(current["rows"])
    return tables[index]


@pytest.mark.skipif(not SPEC.is_file(), reason="the project's shared spec is not next to this checkout")
def test_the_transcription_matches_the_spec_tables():
    text = Path(SPEC).read_text(encoding="utf-8")
    dest = _spec_rows(text, "## 1. Message destination")[0]
    assert (dest["programmatic_name"], dest["name"], dest["uuid"]) == tuple(ibm21.DESTINATION.values())
    fields = _spec_rows(text, "## 3. Fields")
    assert [(r["export_key"], r["text"], r["uuid"], r["input_type"], int(r["type_id"]), r["required"] == "always")
            for r in fields] == ibm21.FIELDS
    rules = _spec_rows(text, "## 4. Rules")
    assert {r["name"]: (r["uuid"], r["object_type"], r["workflows"]) for r in rules} == \
        {name: (r[0], r[1], r[4]) for name, r in ibm21.RULES.items()}
    workflows = _spec_rows(text, "## 5. Workflows")
    assert {r["programmatic_name"]: (r["name"], r["uuid"], r["object_type"]) for r in workflows} == \
        {name: w[:3] for name, w in ibm21.WORKFLOWS.items()}
    columns = _spec_rows(text, "## 6. Data table")
    assert {r["name"]: r["uuid"] for r in columns} == {n: c[2] for n, c in ibm21.TABLE_COLUMNS.items()}
    playbooks = _spec_rows(text, "## 7. Playbooks")
    assert {r["name"]: (r["display_name"], r["uuid"], r["object_type"]) for r in playbooks} == \
        {n: (p["display_name"], p["uuid"], p["object_type"]) for n, p in ibm21.PLAYBOOKS.items()}
    activation = _spec_rows(text, "## 7. Playbooks", 2)
    assert [(r["playbook"], r["name"], r["text"], r["uuid"], r["input_type"]) for r in activation] == \
        [(n, *f) for n, p in ibm21.PLAYBOOKS.items() for f in p["fields"]]
    for row in _spec_rows(text, "## 7. Playbooks", 1):
        spec = ibm21.PLAYBOOKS[row["name"]]
        assert (row["fields_type uuid"], row["tag uuid / id"].split(" / ")[0]) == \
            (spec["fields_type_uuid"], spec["tag_uuid"])
        assert re.search(spec["script"][1], row["local script name / uuid / programmatic_name"])
