"""The example playbooks' scripts, extracted from export.res and run in a SOAR-like playbook context.

A manual playbook is the counterpart of a menu item: given the same values in its activation form, its function
step must send the function the same inputs, and its local script must write the same notes from the result it
reads as ``playbook.functions.results.<result name>``. The automatic playbook on a question's row takes only the
question's id from the row and notes the answer only from the verifying function's result.
"""

from __future__ import annotations

import pytest

from sandbox.soar.scripting import (
    ScriptContext,
    ScriptError,
    activation_holds,
    load_customizations,
    rule_matches,
    run_playbook_script,
    run_post_processing,
    run_pre_processing,
)
from tests.customizations import samples as s

CUSTOMIZATIONS = load_customizations()
# playbook → (the menu item it stands beside, the objects it runs on, the function's result)
CASES = {
    "example_post_incident_to_slack_pb": ("Example: Post Incident to Slack", {}, s.POST_RESULT),
    "example_post_task_to_slack_pb": ("Example: Post Task to Slack", {"task": s.TASK}, s.POST_RESULT),
    "example_post_note_to_slack_pb": ("Example: Post Note to Slack", {"task": s.TASK, "note": s.TASK_NOTE},
                                      s.POST_RESULT),
    "example_post_artifact_to_slack_pb": ("Example: Post Artifact to Slack", {"artifact": s.ARTIFACT},
                                          s.POST_RESULT),
    "example_post_incident__task_attachment_to_slack_pb": (
        "Example: Post Incident / Task Attachment to Slack", {"attachment": s.INCIDENT_ATTACHMENT},
        s.ATTACHMENT_RESULT),
    "example_post_artifact_attachment_to_slack_pb": (
        "Example: Post Artifact Attachment to Slack", {"artifact": s.FILE_ARTIFACT}, s.ATTACHMENT_RESULT),
    "example_archive_incident_slack_channel_pb": ("Example: Archive Incident Slack Channel", {}, s.ARCHIVE_RESULT),
    "example_archive_task_slack_channel_pb": ("Example: Archive Task Slack Channel", {"task": s.TASK},
                                              s.ARCHIVE_RESULT),
    "example_ask_question_in_slack_pb": ("Example: Ask a Question in Slack", {}, s.QUESTION_RESULT),
}


VERIFIED = "example_act_on_verified_slack_answer"
FOLLOWS = "example_slack_channel_follows_the_incident"
CLOSES = "example_archive_the_slack_channel_when_the_incident_closes"


def test_every_playbook_is_covered():
    assert sorted(p.name for p in CUSTOMIZATIONS.playbooks) == sorted([*CASES, VERIFIED, FOLLOWS, CLOSES])


# --- the automatic playbook on the incident's severity, phase, owner and status -----------------------------------
@pytest.mark.parametrize(("field", "value", "starts"), [
    ("severity_code", "High", True), ("phase_id", "Complete", True), ("owner_id", "bob@example.com", True),
    ("plan_status", "C", True), ("description", "changed", False), ("name", "renamed", False)])
def test_the_follow_playbook_starts_on_the_fields_the_channel_shows(field, value, starts):
    playbook = CUSTOMIZATIONS.playbook(FOLLOWS)
    assert (playbook.activation_type, playbook.object_type, playbook.function_name) == \
        ("automatic", "incident", "slack_sync_channel")
    before = dict(s.INCIDENT, severity_code="Low", phase_id="Respond", owner_id="a@example.com", plan_status="A")
    assert activation_holds(playbook, dict(before, **{field: value}), before) is starts
    assert not activation_holds(playbook, before, before)


def test_the_follow_playbook_sends_only_the_incident_never_turning_sync_on():
    playbook = CUSTOMIZATIONS.playbook(FOLLOWS)
    inputs = run_pre_processing(playbook.pre_script, ScriptContext(incident=s.INCIDENT, playbook_inputs={}),
                                input_types=CUSTOMIZATIONS.input_types("slack_sync_channel"))
    assert inputs == {"incident_id": s.INCIDENT["id"]}


# --- the automatic playbook on the incident's close ---------------------------------------------------------------
@pytest.mark.parametrize(("before", "after", "starts"), [
    ("A", "C", True), ("C", "A", False), ("A", "A", False), ("C", "C", False)])
def test_the_close_playbook_starts_only_when_the_incident_closes(before, after, starts):
    playbook = CUSTOMIZATIONS.playbook(CLOSES)
    assert (playbook.activation_type, playbook.object_type, playbook.function_name) == \
        ("automatic", "incident", "slack_archive_channel")
    old = dict(s.INCIDENT, plan_status=before)
    assert activation_holds(playbook, dict(old, plan_status=after), old) is starts


def test_the_close_playbook_archives_the_incidents_linked_channel_and_notes_it():
    playbook = CUSTOMIZATIONS.playbook(CLOSES)
    inputs = run_pre_processing(playbook.pre_script, ScriptContext(incident=s.INCIDENT, playbook_inputs={}),
                                input_types=CUSTOMIZATIONS.input_types("slack_archive_channel"))
    assert inputs == {"incident_id": s.INCIDENT["id"]}
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={})
    ctx.playbook_results[playbook.result_name] = s.v2_payload({"channel": "inc-<1>", "attachment_name": "x.txt"})
    ((script_name, script),) = playbook.scripts
    run_playbook_script(script, ctx, label=script_name)
    (note,) = ctx.notes_added
    assert "#inc-&lt;1&gt; was archived" in note.html and "saved as x.txt" in note.html
    failed = ScriptContext(incident=s.INCIDENT, playbook_inputs={})
    failed.playbook_results[playbook.result_name] = s.v2_payload({}, success=False, reason="No channel <linked>")
    run_playbook_script(script, failed, label=script_name)
    (note,) = failed.notes_added
    assert "could not be archived with the incident: No channel &lt;linked&gt;" in note.html


def _follow_notes(payload: dict) -> list:
    playbook = CUSTOMIZATIONS.playbook(FOLLOWS)
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={})
    ctx.playbook_results[playbook.result_name] = payload
    ((script_name, script),) = playbook.scripts
    run_playbook_script(script, ctx, label=script_name)
    return ctx.notes_added


def test_the_follow_playbook_is_quiet_when_it_worked_and_notes_a_failure():
    assert _follow_notes(s.v2_payload({"synced": True, "written": ["topic"]})) == []
    (note,) = _follow_notes(s.v2_payload({}, success=False, reason="Slack channel #inc-1 is archived"))
    assert note.target == "incident" and "#inc-1 is archived" in note.html


# --- the automatic playbook on a question's row ------------------------------------------------------------------
FORGED_ROW = {"slack_q_id": "4f1c2a9be07d4c1a", "slack_q_status": "answered", "slack_q_answer": "Block everything",
              "slack_q_answered_by": "Mallory", "slack_q_answer_key": "U0MALLORY:1"}


def test_the_verified_answer_playbook_starts_when_a_row_changes_to_answered_and_not_otherwise():
    playbook = CUSTOMIZATIONS.playbook(VERIFIED)
    assert (playbook.activation_type, playbook.object_type, playbook.function_name, playbook.input_names) == \
        ("automatic", "slack_questions_db", "slack_question_answer", ())
    opened = dict(FORGED_ROW, slack_q_status="open")
    assert activation_holds(playbook, FORGED_ROW, opened)
    assert activation_holds(playbook, FORGED_ROW, None)   # a row added as "answered" starts it too
    assert not activation_holds(playbook, FORGED_ROW, FORGED_ROW)   # answered before: no change of the status
    assert not activation_holds(playbook, dict(FORGED_ROW, slack_q_status="expired"), opened)


def test_the_verified_answer_playbook_sends_only_the_questions_id_from_the_row():
    playbook = CUSTOMIZATIONS.playbook(VERIFIED)
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={}, row=FORGED_ROW)
    inputs = run_pre_processing(playbook.pre_script, ctx,
                                input_types=CUSTOMIZATIONS.input_types("slack_question_answer"))
    assert inputs == {"incident_id": s.INCIDENT["id"], "slack_question_id": "4f1c2a9be07d4c1a"}


def _verified_note(payload: dict) -> list:
    playbook = CUSTOMIZATIONS.playbook(VERIFIED)
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={}, row=FORGED_ROW)
    ctx.playbook_results[playbook.result_name] = payload
    ((script_name, script),) = playbook.scripts
    run_playbook_script(script, ctx, label=script_name)
    return ctx.notes_added


def test_the_verified_answer_playbook_notes_the_functions_answer_not_the_rows():
    (note,) = _verified_note(s.v2_payload(s.VERIFIED_ANSWER_RESULT))
    assert note.target == "incident"
    assert note.html == "Verified Slack answer: Yes by Alice Example (U0ALICE)"
    assert "Mallory" not in note.html and "Block everything" not in note.html


def test_the_verified_answer_note_is_plain_text_so_an_answer_cannot_inject_markup():
    (note,) = _verified_note(s.v2_payload(dict(s.VERIFIED_ANSWER_RESULT, answer='<a href="https://evil.example">ok</a>')))
    assert "<a " not in note.html and "&lt;a href=&quot;https://evil.example&quot;&gt;ok&lt;/a&gt;" in note.html


@pytest.mark.parametrize("payload", [
    pytest.param(s.v2_payload(dict(s.VERIFIED_ANSWER_RESULT, status="open", answer="")), id="still-open"),
    pytest.param(s.v2_payload(dict(s.VERIFIED_ANSWER_RESULT, status="expired")), id="expired"),
    pytest.param(s.v2_payload(dict(s.VERIFIED_ANSWER_RESULT, verified=False)), id="not-verified"),
    pytest.param(s.v2_payload({}, success=False, reason="not verified"), id="failed"),
])
def test_the_verified_answer_playbook_notes_nothing_without_a_verified_answer(payload):
    assert _verified_note(payload) == []


def _form(playbook) -> dict:
    """The activation form filled in as the menu item's dialog is in the workflow tests."""
    return {name: s.RULE_PROPERTIES.get(name) for name in playbook.input_names}


@pytest.mark.parametrize("name", sorted(CASES))
def test_playbook_function_step_sends_what_the_menu_item_sends(name):
    rule_name, objects, _ = CASES[name]
    playbook = CUSTOMIZATIONS.playbook(name)
    rule = CUSTOMIZATIONS.rule(rule_name)
    workflow = CUSTOMIZATIONS.workflow(rule.workflows[0])
    assert (playbook.object_type, playbook.function_name) == (rule.object_type, workflow.function_name)
    assert set(playbook.input_names) == set(rule.view_field_names)
    input_types = CUSTOMIZATIONS.input_types(workflow.function_name)

    from_playbook = run_pre_processing(playbook.pre_script, ScriptContext(
        incident=s.INCIDENT, playbook_inputs=_form(playbook), **objects), input_types=input_types)
    from_menu_item = run_pre_processing(workflow.pre_script, ScriptContext(
        incident=s.INCIDENT, rule_properties=s.RULE_PROPERTIES, **objects), input_types=input_types)

    assert from_playbook == from_menu_item
    assert from_playbook["incident_id"] == s.INCIDENT["id"]
    if "rule_slack_channel" in playbook.input_names:
        assert from_playbook["slack_channel"] == s.RULE_PROPERTIES["rule_slack_channel"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_playbook_local_script_writes_the_notes_of_the_menu_item(name):
    rule_name, objects, content = CASES[name]
    playbook = CUSTOMIZATIONS.playbook(name)
    workflow = CUSTOMIZATIONS.workflow(CUSTOMIZATIONS.rule(rule_name).workflows[0])
    payload = s.v2_payload(content)

    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs=_form(playbook), **objects)
    ctx.playbook_results[playbook.result_name] = payload
    ((script_name, script),) = playbook.scripts
    run_playbook_script(script, ctx, label=script_name)
    menu_ctx = ScriptContext(incident=s.INCIDENT, rule_properties=s.RULE_PROPERTIES, **objects)
    run_post_processing(workflow.post_script, menu_ctx, payload)

    assert ctx.notes_added == menu_ctx.notes_added
    (note,) = ctx.notes_added
    assert f"#{content['channel']}" in note.html


@pytest.mark.parametrize("name", sorted(CASES))
def test_playbook_local_script_reports_a_failed_function(name):
    _, objects, content = CASES[name]
    playbook = CUSTOMIZATIONS.playbook(name)
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={}, **objects)
    ctx.playbook_results[playbook.result_name] = s.v2_payload({}, success=False, reason="channel_not_found")
    run_playbook_script(playbook.scripts[0][1], ctx)
    (note,) = ctx.notes_added
    assert "could not be" in note.html and "channel_not_found" in note.html


def test_playbook_scripts_have_no_rule_object():
    """A playbook script reading rule.properties fails in SOAR: the sandbox must not hide that."""
    ctx = ScriptContext(incident=s.INCIDENT, playbook_inputs={"slack_channel_id": None})
    with pytest.raises(ScriptError, match="NameError"):
        run_pre_processing("inputs.incident_id = incident.id\nx = rule.properties.slack_channel_id", ctx)


@pytest.mark.parametrize("artifact_type", ["Log File", "Malware Sample", "IP Address"])
def test_artifact_playbooks_show_where_their_menu_items_show(artifact_type):
    for playbook_name, rule_name in (("example_post_artifact_to_slack_pb", "Example: Post Artifact to Slack"),
                                     ("example_post_artifact_attachment_to_slack_pb",
                                      "Example: Post Artifact Attachment to Slack")):
        artifact = {"type": artifact_type}
        assert rule_matches(CUSTOMIZATIONS.playbook(playbook_name), artifact) == \
            rule_matches(CUSTOMIZATIONS.rule(rule_name), artifact)
