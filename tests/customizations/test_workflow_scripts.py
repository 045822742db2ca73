"""The nine example workflows' scripts, extracted from export.res and run in a SOAR-like script context."""

from __future__ import annotations

import json

import pytest

from fn_slack.lib.message_format import parse_container, render_comment, render_message
from sandbox.soar.scripting import ScriptContext, load_customizations, run_post_processing, run_pre_processing
from tests.customizations import samples as s

CUSTOMIZATIONS = load_customizations()
RESERVED = ["Additional Text", "Resilient URL", "Type of data"]
RULE_INPUTS = {"slack_channel": "incident-2103", "slack_is_channel_private": True,
               "slack_participant_emails": "alice@example.com, bob@example.com"}
MESSAGE_DEFAULTS = {"slack_mrkdwn": True, "slack_as_user": False}


# The menu item's additional text as the attachment workflows send it: the container's Additional Text alone.
ANALYST_COMMENT = json.dumps({"Additional Text": {"type": "string", "data": s.RULE_PROPERTIES["rule_slack_text"]}})


def run_pre(workflow_name: str, ctx: ScriptContext) -> dict:
    workflow = CUSTOMIZATIONS.workflow(workflow_name)
    return run_pre_processing(workflow.pre_script, ctx,
                              input_types=CUSTOMIZATIONS.input_types(workflow.function_name))


def run_post(workflow_name: str, ctx: ScriptContext, content: dict, **payload) -> list:
    run_post_processing(CUSTOMIZATIONS.workflow(workflow_name).post_script, ctx,
                        s.v2_payload(content, **payload))
    return [(note.target, note.target_id, note.html) for note in ctx.notes_added]


def container_of(inputs: dict) -> dict:
    container = parse_container(inputs["slack_text"])
    assert container is not None, "slack_text is not a container the function recognises"
    return container


def rendered(inputs: dict):
    message = render_message(inputs["slack_text"], s.soar_link)
    assert message.attachments and len(message.attachments) == 1
    return message, message.attachments[0]


# --- Example: Post Incident to Slack -----------------------------------------------------------------------

def incident_ctx(**kwargs) -> ScriptContext:
    return ScriptContext(incident=s.INCIDENT, rule_properties=s.RULE_PROPERTIES, **kwargs)


def test_post_incident_sets_the_inputs_from_the_incident_and_the_menu_item():
    inputs = run_pre("create_slack_message", incident_ctx())

    assert {k: v for k, v in inputs.items() if k != "slack_text"} == {
        "incident_id": 2103, **RULE_INPUTS, **MESSAGE_DEFAULTS}


def test_post_incident_container_carries_every_incident_field_exactly():
    container = container_of(run_pre("create_slack_message", incident_ctx()))

    assert list(container) == RESERVED + [
        "Incident ID", "Incident name", "Description", "Incident Types", "NIST Attack Vectors", "Confirmed",
        "Date Created", "Date Occurred", "Date Discovered", "Severity"]
    assert container["Additional Text"] == {"type": "string", "data": s.RULE_PROPERTIES["rule_slack_text"]}
    assert container["Resilient URL"] == {"type": "incident", "data": 2103}
    assert container["Incident name"] == {"type": "string", "data": s.HOSTILE_NAME}
    assert container["Description"] == {"type": "richtext", "data": s.HOSTILE_HTML}
    assert container["Incident Types"]["data"] == "Phishing, Malware"
    assert container["Confirmed"] == {"type": "boolean", "data": True}
    assert container["Date Created"] == {"type": "datetime", "data": 1762007634000}


def test_post_incident_renders_as_an_attachment_linking_back_to_soar_with_no_live_mentions():
    message, attachment = rendered(run_pre("create_slack_message", incident_ctx()))

    assert attachment["title"] == "SOAR Incident"
    assert attachment["title_link"] == "https://soar.example.test/#incidents/2103"
    # The analyst's own text keeps its Slack mention syntax...
    assert message.text == s.RULE_PROPERTIES["rule_slack_text"].strip()
    assert "<@UCNC5K34J>" in message.text
    lines = attachment["text"].splitlines()
    assert "*Incident ID*: 2103" in lines
    assert "*Confirmed*: Yes" in lines
    assert "*Severity*: High" in lines
    assert "*Date Created*: <!date^1762007634^{date_num} {time_secs}|2025-11-01 14:33:54>" in lines
    assert not any(line.startswith(("*Date Discovered*", "*Date Occurred*: None")) for line in lines)
    # ...while the incident's data can neither ping the workspace nor inject a link; a real HTML link
    # in the description stays a link, as SOAR shows it.
    body = attachment["text"]
    for live in ("<!channel>", "<!everyone>", "<!here>", "<https://evil.test/n|"):
        assert live not in body
    assert "<https://evil.test/x|click>" in body
    assert "@here" not in body
    assert "Zoë" in body and "日本語" in body and "Jürgen" in body


def test_post_incident_with_a_plain_string_description_and_missing_fields():
    incident = {"id": 9, "name": "Bare", "description": "plain <b>text</b>", "incident_type_ids": [],
                "confirmed": False}
    ctx = ScriptContext(incident=incident, rule_properties={})
    inputs = run_pre("create_slack_message", ctx)

    assert {k: v for k, v in inputs.items() if k != "slack_text"} == {"incident_id": 9, **MESSAGE_DEFAULTS}
    container = container_of(inputs)
    assert container["Description"]["data"] == "plain <b>text</b>"
    assert container["Additional Text"]["data"] == ""
    _, attachment = rendered(inputs)
    assert "pretext" not in attachment
    assert "*Confirmed*: No" in attachment["text"].splitlines()
    assert "Severity" not in attachment["text"]


def test_post_incident_note_links_to_the_slack_message():
    notes = run_post("create_slack_message", incident_ctx(), s.POST_RESULT)

    assert notes == [("incident", 2103, 'Incident was posted to Slack channel '
                      '<a href="https://acme.slack.com/archives/C0AAA/p1700000000000100">#incident-2103</a>')]


def test_post_incident_soft_failure_note_gives_the_reason_escaped():
    notes = run_post("create_slack_message", incident_ctx(), {}, success=False,
                     reason="channel <#x> is archived")

    assert notes == [("incident", 2103,
                      "Incident could not be posted to Slack: channel &lt;#x&gt; is archived")]


# --- Example: Post Task to Slack ---------------------------------------------------------------------------

def test_post_task_targets_the_task_channel_and_sends_the_task_fields():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK, rule_properties=s.RULE_PROPERTIES)
    inputs = run_pre("slack_example_post_message_to_slack__task", ctx)

    assert {k: v for k, v in inputs.items() if k != "slack_text"} == {
        "incident_id": 2103, "task_id": 77, **RULE_INPUTS, **MESSAGE_DEFAULTS}
    container = container_of(inputs)
    assert list(container) == RESERVED + ["Incident ID", "Task Name", "Task Status", "Task Owner",
                                          "Task Due Date"]
    assert container["Resilient URL"]["data"] == "2103?task_id=77"
    assert container["Task Name"]["data"] == s.TASK["name"]
    _, attachment = rendered(inputs)
    assert attachment["title"] == "SOAR Task"
    assert attachment["title_link"] == "https://soar.example.test/#incidents/2103?task_id=77"
    lines = attachment["text"].splitlines()
    assert "*Task Status*: Open" in lines
    assert "*Task Owner*: Bob Builder" in lines
    assert "*Task Name*: Call \"the CFO\" – über &lt;b&gt;urgent&lt;/b&gt;" in lines


def test_post_closed_task_shows_closed():
    task = dict(s.TASK, status="C")
    inputs = run_pre("slack_example_post_message_to_slack__task", ScriptContext(incident=s.INCIDENT, task=task))
    assert container_of(inputs)["Task Status"]["data"] == "Closed"


def test_post_task_note_goes_on_the_task():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK)
    notes = run_post("slack_example_post_message_to_slack__task", ctx, s.POST_RESULT)

    assert notes == [("task", 77, 'Task was posted to Slack channel '
                      '<a href="https://acme.slack.com/archives/C0AAA/p1700000000000100">#incident-2103</a>')]


# --- Example: Post Note to Slack ---------------------------------------------------------------------------

def test_post_incident_note_sends_the_note_html_to_the_incident_channel():
    ctx = ScriptContext(incident=s.INCIDENT, note=s.INCIDENT_NOTE, rule_properties=s.RULE_PROPERTIES)
    inputs = run_pre("create_slack_reply", ctx)

    assert "task_id" not in inputs
    assert inputs["incident_id"] == 2103
    container = container_of(inputs)
    assert list(container) == RESERVED + ["Incident ID", "Task", "Note"]
    assert container["Type of data"]["data"] == "Incident Note"
    assert container["Note"] == {"type": "richtext", "data": s.INCIDENT_NOTE["text"]["content"]}
    _, attachment = rendered(inputs)
    assert attachment["title"] == "SOAR Incident Note"
    assert "✓" in attachment["text"]
    assert run_post("create_slack_reply", ctx, s.POST_RESULT)[0][:2] == ("incident", 2103)


def test_post_task_note_goes_to_the_task_channel_and_is_noted_on_the_task():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK, note=s.TASK_NOTE)
    inputs = run_pre("create_slack_reply", ctx)

    assert inputs["task_id"] == 77
    container = container_of(inputs)
    assert container["Type of data"]["data"] == "Task Note"
    assert container["Resilient URL"]["data"] == "2103?task_id=77"
    assert container["Task"]["data"] == s.TASK["name"]
    assert container["Note"]["data"] == s.TASK_NOTE["text"]  # SOAR may give the note text as a string
    _, attachment = rendered(inputs)
    assert 'Called: no answer & "voicemail"' in attachment["text"].replace("&amp;", "&")
    notes = run_post("create_slack_reply", ctx, s.POST_RESULT)
    assert notes[0][:2] == ("task", 77)
    assert notes[0][2].startswith("Note was posted to Slack channel <a href=")


# --- Example: Post Artifact to Slack -----------------------------------------------------------------------

def test_post_artifact_sends_type_value_creator_and_date():
    ctx = ScriptContext(incident=s.INCIDENT, artifact=s.ARTIFACT, rule_properties=s.RULE_PROPERTIES)
    inputs = run_pre("slack_example_post_message_to_slack__artifact", ctx)

    assert {k: v for k, v in inputs.items() if k != "slack_text"} == {
        "incident_id": 2103, **RULE_INPUTS, **MESSAGE_DEFAULTS}
    container = container_of(inputs)
    assert list(container) == RESERVED + ["Incident ID", "Artifact Type", "Artifact Value",
                                          "Artifact Created By", "Artifact Created on"]
    _, attachment = rendered(inputs)
    assert attachment["title"] == "SOAR Artifact"
    assert attachment["text"].splitlines() == [
        "*Incident ID*: 2103",
        "*Artifact Type*: IP Address",
        "*Artifact Value*: 192.168.56.3",
        "*Artifact Created By*: Resilient Sysadmin",
        "*Artifact Created on*: <!date^1762005828^{date_num} {time_secs}|2025-11-01 14:03:48>",
    ]
    notes = run_post("slack_example_post_message_to_slack__artifact", ctx, s.POST_RESULT)
    assert notes == [("incident", 2103, "Artifact 192.168.56.3 was posted to Slack channel "
                      '<a href="https://acme.slack.com/archives/C0AAA/p1700000000000100">#incident-2103</a>')]


def test_post_artifact_falls_back_to_creator_id_when_soar_gives_no_creator_object():
    ctx = ScriptContext(incident=s.INCIDENT, artifact=dict(s.ARTIFACT, creator=None, creator_id="bob@x.test"))
    container = container_of(run_pre("slack_example_post_message_to_slack__artifact", ctx))
    assert container["Artifact Created By"]["data"] == "bob@x.test"


# --- Example: Post Incident / Task Attachment to Slack -------------------------------------------------------

def test_post_incident_attachment_sends_its_id_and_the_menu_text_as_the_comment():
    ctx = ScriptContext(incident=s.INCIDENT, attachment=s.INCIDENT_ATTACHMENT,
                        rule_properties=s.RULE_PROPERTIES)
    inputs = run_pre("slack_example_post_attachment_to_slack", ctx)

    assert inputs == {"incident_id": 2103, "attachment_id": 12, **RULE_INPUTS, "slack_text": ANALYST_COMMENT}
    # The comment is the analyst's Additional Text: shown as typed, its mention notifies.
    assert render_comment(inputs["slack_text"]) == s.RULE_PROPERTIES["rule_slack_text"].strip()
    notes = run_post("slack_example_post_attachment_to_slack", ctx, s.ATTACHMENT_RESULT)
    assert notes == [("incident", 2103, "Attachment report.pdf was posted to Slack channel "
                      '<a href="https://acme.slack.com/archives/C0AAA/p1700000000000100">#incident-2103</a>')]


def test_post_task_attachment_goes_to_the_task_channel_and_is_noted_on_the_task():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK, attachment=s.TASK_ATTACHMENT)
    inputs = run_pre("slack_example_post_attachment_to_slack", ctx)

    assert inputs == {"incident_id": 2103, "attachment_id": 13, "task_id": 77}
    notes = run_post("slack_example_post_attachment_to_slack", ctx,
                     dict(s.ATTACHMENT_RESULT, file_name="call notes.txt"))
    assert notes[0][:2] == ("task", 77)
    assert "Attachment call notes.txt was posted" in notes[0][2]


# --- Example: Post Artifact Attachment to Slack ------------------------------------------------------------

def test_post_artifact_attachment_sends_the_artifact_id():
    ctx = ScriptContext(incident=s.INCIDENT, artifact=s.FILE_ARTIFACT, rule_properties=s.RULE_PROPERTIES)
    inputs = run_pre("example_post_attachment_to_slack__artifact", ctx)

    assert inputs == {"incident_id": 2103, "artifact_id": 32, **RULE_INPUTS, "slack_text": ANALYST_COMMENT}
    assert "<@UCNC5K34J>" in render_comment(inputs["slack_text"])
    notes = run_post("example_post_attachment_to_slack__artifact", ctx,
                     dict(s.ATTACHMENT_RESULT, file_name="invoice <1>.eml"))
    assert notes == [("incident", 2103, "Artifact attachment invoice &lt;1&gt;.eml was posted to Slack "
                      'channel <a href="https://acme.slack.com/archives/C0AAA/p1700000000000100">'
                      "#incident-2103</a>")]


# --- Example: Archive Incident / Task Slack Channel --------------------------------------------------------

def test_archive_incident_channel_sends_only_the_ids():
    ctx = ScriptContext(incident=s.INCIDENT, rule_properties={"slack_channel_id": None})
    assert run_pre("archive_slack_channel", ctx) == {"incident_id": 2103}

    ctx = ScriptContext(incident=s.INCIDENT, rule_properties={"slack_channel_id": "C0ZZZ"})
    assert run_pre("archive_slack_channel", ctx) == {"incident_id": 2103,
                                                                      "slack_channel_id": "C0ZZZ"}


def test_archive_incident_channel_note():
    ctx = ScriptContext(incident=s.INCIDENT)
    notes = run_post("archive_slack_channel", ctx, s.ARCHIVE_RESULT)

    assert notes == [("incident", 2103, "Slack channel #incident-2103 has been archived. The conversation "
                      "history has been saved as an attachment.")]


def test_archive_task_channel_targets_the_task():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK)
    assert run_pre("slack_example_archive_slack_channel__task", ctx) == {"incident_id": 2103, "task_id": 77}

    notes = run_post("slack_example_archive_slack_channel__task", ctx,
                     dict(s.ARCHIVE_RESULT, channel="task-77"))
    assert notes == [("task", 77, "Slack channel #task-77 has been archived. The conversation history has "
                      "been saved as an attachment.")]


def test_archive_failure_note_names_the_reason():
    ctx = ScriptContext(incident=s.INCIDENT, task=s.TASK)
    notes = run_post("slack_example_archive_slack_channel__task", ctx, {}, success=False,
                     reason="no Slack channel is linked to this task")
    assert notes == [("task", 77, "The Slack channel could not be archived: no Slack channel is linked to "
                      "this task")]


# --- Example: Ask a Question in Slack ------------------------------------------------------------------------

def test_ask_question_sends_the_question_the_answers_and_the_channel_choice():
    ctx = ScriptContext(incident=s.INCIDENT, rule_properties=s.RULE_PROPERTIES)
    assert run_pre("example_ask_question_in_slack", ctx) == {
        "incident_id": 2103, "slack_question": "Isolate host-17 now?", "slack_question_options": "Yes|No|Wait for IT",
        "slack_question_free_text": False, **RULE_INPUTS}


def test_ask_question_defaults_to_yes_no_and_can_ask_people_directly():
    props = dict(s.RULE_PROPERTIES, rule_slack_question_options=None, rule_slack_question_direct=True,
                 rule_slack_channel=None, rule_slack_is_channel_private=None)
    inputs = run_pre("example_ask_question_in_slack", ScriptContext(incident=s.INCIDENT, rule_properties=props))
    assert (inputs["slack_question_options"], inputs["slack_question_direct"]) == ("Yes|No", True)
    assert "slack_channel" not in inputs and inputs["slack_participant_emails"] == "alice@example.com, bob@example.com"


def test_ask_question_notes_the_question_id_and_its_link():
    notes = run_post("example_ask_question_in_slack", ScriptContext(incident=s.INCIDENT), s.QUESTION_RESULT)
    assert notes == [("incident", 2103, 'Question 4f1c2a9be07d4c1a asked in Slack (<a href="https://acme.slack.com/'
                      'archives/C0AAA/p1700000000000100">#incident-2103</a>); the answer will be noted here and in the '
                      "Slack Questions data table.")]
    failed = run_post("example_ask_question_in_slack", ScriptContext(incident=s.INCIDENT), {}, success=False,
                      reason="<b>no</b> channel")
    assert failed == [("incident", 2103, "The question could not be asked in Slack: &lt;b&gt;no&lt;/b&gt; channel")]


# --- every workflow --------------------------------------------------------------------------------------

ALL_WORKFLOWS = [w.programmatic_name for w in CUSTOMIZATIONS.workflows]


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_every_script_is_python3_and_imports_nothing_but_json(name):
    workflow = CUSTOMIZATIONS.workflow(name)

    assert (workflow.pre_language, workflow.post_language) == ("python3", "python3")
    for script in (workflow.pre_script, workflow.post_script):
        imports = [line for line in script.splitlines() if line.startswith(("import ", "from "))]
        assert imports in ([], ["import json"])


@pytest.mark.parametrize("name", [n for n in ALL_WORKFLOWS
                                  if CUSTOMIZATIONS.workflow(n).function_name == "slack_post_message"])
def test_message_containers_survive_every_hostile_character_in_every_field(name):
    """Whatever text sits in a field, the container stays valid JSON and returns it unchanged."""
    weird = 'a"b\\c\n\t</p>{"type": "x"}\u2028\U0001f600 <!here>'
    incident = {k: (weird if isinstance(v, str) else v) for k, v in s.INCIDENT.items()}
    task = {k: (weird if isinstance(v, str) and k != "status" else v) for k, v in s.TASK.items()}
    ctx = ScriptContext(incident=incident, task=task, note={"id": 1, "text": weird},
                        artifact=dict(s.ARTIFACT, value=weird, type=weird),
                        rule_properties={"rule_slack_text": weird})
    inputs = run_pre(name, ctx)

    container = json.loads(inputs["slack_text"])
    strings = [entry["data"] for entry in container.values() if isinstance(entry["data"], str)]
    assert weird in strings
    assert container["Additional Text"]["data"] == weird
    message, attachment = rendered(inputs)
    assert "<!here>" not in attachment["text"]


# --- Example: Keep Slack Channel in Step --------------------------------------------------------------------

def test_keep_in_step_turns_sync_on_for_the_incident():
    ctx = ScriptContext(incident=s.INCIDENT)
    assert run_pre("example_keep_slack_channel_in_step", ctx) == {"incident_id": 2103, "slack_sync_start": True}


def test_keep_in_step_notes_the_channel_escaped_or_the_reason():
    ctx = ScriptContext(incident=s.INCIDENT)
    notes = run_post("example_keep_slack_channel_in_step", ctx, {"synced": True, "channel": "inc-<2103>"})
    assert notes == [("incident", 2103, "Slack channel #inc-&lt;2103&gt; now follows this incident: its topic, "
                      "bookmark and pinned summary change with severity, phase, owner and status.")]
    ctx = ScriptContext(incident=s.INCIDENT)
    notes = run_post("example_keep_slack_channel_in_step", ctx, {}, success=False,
                     reason="Slack channel #inc-2103 is archived")
    assert notes == [("incident", 2103, "The Slack channel could not be kept in step: Slack channel #inc-2103 is "
                      "archived")]
