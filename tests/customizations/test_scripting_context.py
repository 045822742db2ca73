"""The SOAR-like script context behaves as SOAR's Python 3 scripting engine does for workflow scripts."""

from __future__ import annotations

import pytest

from sandbox.soar.scripting import (
    AddedNote,
    ScriptContext,
    ScriptError,
    ScriptFailed,
    load_customizations,
    rule_matches,
    run_post_processing,
    run_pre_processing,
)
from tests.customizations import samples as s


def ctx(**kwargs) -> ScriptContext:
    return ScriptContext(incident=s.INCIDENT, **kwargs)


def test_unset_fields_read_as_none_and_nested_objects_have_attribute_access():
    context = ctx(artifact=s.ARTIFACT, rule_properties={"rule_slack_channel": "x"})
    inputs = run_pre_processing(
        "inputs.slack_channel = rule.properties.rule_slack_channel\n"
        "inputs.slack_text = str([incident.no_such_field, rule.properties.rule_slack_text,"
        " incident.properties.custom, artifact.creator.display_name, incident.description.format])\n",
        context)
    assert inputs == {"slack_channel": "x", "slack_text": "[None, None, None, 'Resilient Sysadmin', 'html']"}


def test_objects_also_read_like_dicts():
    inputs = run_pre_processing('inputs.slack_text = incident["name"] + incident.get("missing", "!")', ctx())
    assert inputs == {"slack_text": s.HOSTILE_NAME + "!"}


def test_variables_exist_only_for_the_workflow_object():
    assert run_pre_processing("inputs.slack_text = str(task)", ctx()) == {"slack_text": "None"}
    with pytest.raises(ScriptError, match="NameError"):
        run_pre_processing("inputs.slack_text = note.text", ctx())


def test_pre_processing_cannot_change_objects_or_add_notes():
    context = ctx()
    run_pre_processing("incident.name = 'changed'\nincident.addNote('hi')\ninputs.incident_id = incident.id",
                       context)
    assert context.notes_added == []
    assert context.field_changes == []
    assert run_pre_processing("inputs.slack_text = incident.name", context) == {"slack_text": s.HOSTILE_NAME}


def test_post_processing_notes_plain_text_is_escaped_and_rich_text_kept():
    context = ctx(task=s.TASK)
    run_post_processing("incident.addNote('a < b & c')\n"
                        "task.addNote(helper.createRichText('<b>done</b>'))\n"
                        "incident.addNote(helper.createPlainText('<i>x</i>'))\n", context, s.v2_payload({}))
    assert context.notes_added == [AddedNote("incident", 2103, "a &lt; b &amp; c"),
                                   AddedNote("task", 77, "<b>done</b>"),
                                   AddedNote("incident", 2103, "&lt;i&gt;x&lt;/i&gt;")]


def test_results_are_the_v2_payload_with_attribute_and_item_access():
    context = ctx()
    run_post_processing("incident.addNote(results.content.channel + results['content']['url'] + "
                        "str(results.get('success')) + str(results.content.missing))",
                        context, s.v2_payload({"channel": "c", "url": "u"}))
    assert context.notes_added[0].html == "cuTrueNone"


def test_helper_fail_aborts_and_cancels_the_scripts_changes():
    context = ctx()
    with pytest.raises(ScriptFailed, match="no channel"):
        run_post_processing("incident.addNote('first')\nworkflow.addProperty('p', {'a': 1})\n"
                            "helper.fail('no channel')", context, s.v2_payload({}))
    assert context.notes_added == []
    assert context.workflow_properties == {}


def test_workflow_properties_carry_values_between_steps():
    context = ctx(workflow_properties={"earlier": {"url": "https://x"}})
    run_post_processing("workflow.addProperty('later', {'n': 1})\nincident.addNote(workflow.properties.earlier.url)",
                        context, s.v2_payload({}))
    assert context.workflow_properties["later"] == {"n": 1}
    assert context.notes_added[0].html == "https://x"


def test_scripts_reach_no_files_and_only_approved_modules():
    with pytest.raises(ScriptError, match="not allowed"):
        run_pre_processing("import os", ctx())
    with pytest.raises(ScriptError, match="NameError"):
        run_pre_processing("open('/etc/passwd')", ctx())
    assert run_pre_processing("import json\ninputs.slack_text = json.dumps({'a': 1})", ctx()) == \
        {"slack_text": '{"a": 1}'}


def test_input_names_and_types_are_checked_against_the_function():
    types = load_customizations().input_types("slack_archive_channel")
    with pytest.raises(ScriptError, match="no input named 'slack_text'"):
        run_pre_processing("inputs.slack_text = 'x'", ctx(), input_types=types)
    with pytest.raises(ScriptError, match="number input"):
        run_pre_processing("inputs.incident_id = '2103'", ctx(), input_types=types)
    with pytest.raises(ScriptError, match="number input"):
        run_pre_processing("inputs.incident_id = True", ctx(), input_types=types)
    assert run_pre_processing("inputs.task_id = None", ctx(), input_types=types) == {"task_id": None}


def test_a_script_that_does_not_compile_is_reported_with_its_phase():
    with pytest.raises(ScriptError, match="pre_processing_script does not compile"):
        run_pre_processing("inputs.x = (", ctx())


def test_rule_conditions_in_not_in_and_any():
    customizations = load_customizations()
    rule = customizations.rule("Example: Post Artifact Attachment to Slack")
    assert rule_matches(rule, {"type": {"name": "Log File", "id": 7}})
    assert not rule_matches(rule, {"type": None})
    assert rule_matches(customizations.rule("Example: Post Incident to Slack"), {})
    any_rule = type(rule)(name="r", programmatic_name="r", object_type="incident", workflows=(),
                          conditions=({"field_name": "incident.severity_code", "method": "equals", "value": "High"},
                                      {"field_name": "incident.confirmed", "method": "equals", "value": True}),
                          logic_type="any", view_field_names=())
    assert rule_matches(any_rule, {"severity_code": "Low", "confirmed": True})
    assert not rule_matches(any_rule, {"severity_code": "Low", "confirmed": False})
    with pytest.raises(ValueError, match="not a field of the rule's incident"):
        rule_matches(type(rule)(**{**any_rule.__dict__, "conditions": (
            {"field_name": "artifact.type", "method": "in", "value": []},)}), {})
