"""An org in the state "IBM fn_slack 2.1 installed": IBM's objects, with IBM's identities, and scripts in
IBM's style that read the function result flat.

The objects come from :mod:`sandbox.soar.ibm21` (names, UUIDs and types transcribed from the project's spec).
The scripts are written here for the sandbox, not copied: they do what IBM's do with a result —
``results.channel``, ``results.url`` and a loop over ``results.user_info`` in workflows,
``playbook.functions.results.slack_info.<key>`` in playbooks — and fail loudly when a key is missing, so an
upgrade test sees a legacy script break. The org may also hold its own copies of IBM's example rules
(as admins made them before upgrading), which `customize` leaves alone.

    from sandbox.soar.ibm21_org import install_ibm21
    install_ibm21(soar.state)                      # IBM's 2.1 customizations, as its customize left them
    install_ibm21(soar.state, org_copies=True)     # ... plus one org-made copy per menu item
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from xml.sax.saxutils import escape

from . import ibm21
from .state import SoarState

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/fn-slack/fn_slack/sandbox/ibm21-org")
EXPORT_DATE = 1685964407499
ORG_COPY_PREFIX = "Org copy of "

BPMN_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
    ' xmlns:omgdc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:omgdi="http://www.omg.org/spec/DD/20100524/DI"'
    ' xmlns:resilient="http://resilient.ibm.com/bpmn"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' targetNamespace="http://www.camunda.org/test">')

# ---------------------------------------------------------------------------------------------------------
# Scripts in IBM's style (written for the sandbox; valid Python 2 and 3, as IBM's "python" scripts were)
# ---------------------------------------------------------------------------------------------------------

# What each object's pre-processing sends, besides the menu item's fields.
_PRE_OBJECT = {
    "incident": "inputs.incident_id = incident.id\n"
                "inputs.slack_text = u'Incident {0}: {1}. {2}'.format(incident.id, incident.name, extra)\n",
    "task": "inputs.incident_id = incident.id\ninputs.task_id = task.id\n"
            "inputs.slack_text = u'Task: {0}. {1}'.format(task.name, extra)\n",
    "note": "inputs.incident_id = incident.id\n"
            "if task:\n    inputs.task_id = task.id\n"
            "inputs.slack_text = u'Note: {0}'.format(note.text.content if note.text else '')\n",
    "artifact": "inputs.incident_id = incident.id\n"
                "inputs.slack_text = u'Artifact {0}: {1}. {2}'.format(artifact.type, artifact.value, extra)\n",
    "artifact_file": "inputs.incident_id = incident.id\ninputs.artifact_id = artifact.id\n"
                     "inputs.slack_text = extra or u'file from SOAR'\n",
    "attachment": "inputs.incident_id = incident.id\ninputs.attachment_id = attachment.id\n"
                  "if attachment.task_id:\n    inputs.task_id = attachment.task_id\n"
                  "inputs.slack_text = extra or u'file from SOAR'\n",
}
_PRE_FORM = (
    "if {src}.rule_slack_channel:\n    inputs.slack_channel = {src}.rule_slack_channel\n"
    "if {src}.rule_slack_is_channel_private is not None:\n"
    "    inputs.slack_is_channel_private = {src}.rule_slack_is_channel_private\n"
    "if {src}.rule_slack_participant_emails:\n"
    "    inputs.slack_participant_emails = {src}.rule_slack_participant_emails\n"
)
_PRE_CHANNEL_ID = "if {src}.slack_channel_id:\n    inputs.slack_channel_id = {src}.slack_channel_id\n"


def _pre_script(kind: str, archive: bool, src: str) -> str:
    """Pre-processing that reads the form from ``src`` (``rule.properties`` or ``playbook.inputs``)."""
    if archive:
        body = "inputs.incident_id = incident.id\n" + ("inputs.task_id = task.id\n" if kind == "task" else "")
        return "# legacy 2.1-style archive pre-processing\n" + body + _PRE_CHANNEL_ID.format(src=src)
    head = f"# legacy 2.1-style pre-processing\nextra = {src}.rule_slack_text or u''\n"
    return head + _PRE_OBJECT[kind] + _PRE_FORM.format(src=src) + _PRE_CHANNEL_ID.format(src=src)


def _post_script(target: str, archive: bool, result: str) -> str:
    """Post-processing reading the result flat from ``result`` (``results`` or a playbook result)."""
    if archive:
        return ("# legacy 2.1-style archive post-processing: reads the result flat\n"
                f"if not {result}.channel:\n"
                "    helper.fail(u'legacy script: no channel in the result')\n"
                f"{target}.addNote(helper.createRichText(u'[legacy] Slack channel #{{0}} has been archived.'"
                f".format({result}.channel)))\n")
    return ("# legacy 2.1-style post-processing: reads the result flat and lists the channel's members\n"
            f"if not {result}.channel or not {result}.url:\n"
            "    helper.fail(u'legacy script: no channel or url in the result')\n"
            f"note = u'[legacy] posted to Slack channel #{{0}}: {{1}}'.format({result}.channel, {result}.url)\n"
            f"for user in {result}.user_info:\n"
            "    note += u'<br>' + user\n"
            f"{target}.addNote(helper.createRichText(note))\n")


def _kind(object_type: str, function: str) -> str:
    if object_type == "artifact" and function == "slack_post_attachment":
        return "artifact_file"
    return object_type


def _note_target(object_type: str) -> str:
    return "task" if object_type == "task" else "incident"


# ---------------------------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------------------------

def _uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{name}"))


def _field(export_key: str, text: str, field_uuid: str, input_type: str, type_id: int, required: bool,  # noqa: PLR0917
           field_id: int) -> dict[str, Any]:
    field: dict[str, Any] = {
        "export_key": export_key, "id": field_id, "input_type": input_type, "internal": type_id == 0,
        "name": export_key.split("/", 1)[1], "prefix": "properties" if type_id in (6, 28) else None,
        "read_only": type_id == 0, "text": text, "tooltip": "", "placeholder": "", "type_id": type_id,
        "uuid": field_uuid, "values": [], "rich_text": False, "templates": [], "tags": [],
    }
    if required:
        field["required"] = "always"
    return field


def _view_item(field_uuid: str, field_type: str) -> dict[str, Any]:
    return {"content": field_uuid, "element": "field_uuid", "field_type": field_type, "show_if": None,
            "show_link_header": False, "step_label": None}


def _conditions(method: str | None) -> list[dict[str, Any]]:
    if method is None:
        return []
    return [{"evaluation_id": None, "field_name": "artifact.type", "method": method, "type": None,
             "value": list(ibm21.FILE_ARTIFACT_TYPES)}]


def _xml(process_id: str, name: str, function: str, settings: dict, script_uuid: str | None = None) -> str:
    fn_uuid = ibm21.FUNCTIONS[function][1]
    fn_display = ibm21.FUNCTIONS[function][0]
    attr = {'"': "&quot;"}
    body = (f'<startEvent id="StartEvent_155asxm"><outgoing>Flow_1</outgoing></startEvent>'
            f'<serviceTask id="ServiceTask_1" name="{escape(fn_display, attr)}" resilient:type="function">'
            f'<extensionElements><resilient:function uuid="{fn_uuid}">'
            f'{escape(json.dumps(settings, separators=(",", ":")))}</resilient:function></extensionElements>'
            "<incoming>Flow_1</incoming><outgoing>Flow_2</outgoing></serviceTask>")
    if script_uuid:
        body += (f'<scriptTask id="ScriptTask_2" name="post-process"><extensionElements>'
                 f'<resilient:script uuid="{script_uuid}"/></extensionElements>'
                 "<incoming>Flow_2</incoming><outgoing>Flow_3</outgoing><script>script</script></scriptTask>"
                 '<endEvent id="EndPoint_3"><incoming>Flow_3</incoming></endEvent>'
                 '<sequenceFlow id="Flow_2" sourceRef="ServiceTask_1" targetRef="ScriptTask_2"/>'
                 '<sequenceFlow id="Flow_3" sourceRef="ScriptTask_2" targetRef="EndPoint_3"/>')
    else:
        body += ('<endEvent id="EndPoint_3"><incoming>Flow_2</incoming></endEvent>'
                 '<sequenceFlow id="Flow_2" sourceRef="ServiceTask_1" targetRef="EndPoint_3"/>')
    body += '<sequenceFlow id="Flow_1" sourceRef="StartEvent_155asxm" targetRef="ServiceTask_1"/>'
    return (BPMN_HEADER + f'<process id="{process_id}" isExecutable="true" name="{escape(name, attr)}">'
            + body + "</process></definitions>")


def _workflow(programmatic_name: str, name: str, wf_uuid: str, object_type: str, function: str,  # noqa: PLR0917
              workflow_id: int) -> dict[str, Any]:
    archive = function == "slack_archive_channel"
    settings = {"inputs": {}, "result_name": "",
                "pre_processing_script": _pre_script(_kind(object_type, function), archive, "rule.properties"),
                "pre_processing_script_language": "python",
                "post_processing_script": _post_script(_note_target(object_type), archive, "results"),
                "post_processing_script_language": "python"}
    return {"actions": [], "content": {"version": 2, "workflow_id": programmatic_name,
                                       "xml": _xml(programmatic_name, name, function, settings)},
            "content_version": 2, "description": None, "export_key": programmatic_name, "name": name,
            "object_type": object_type, "programmatic_name": programmatic_name, "tags": [], "uuid": wf_uuid,
            "workflow_id": workflow_id}


def _rule(name: str, rule_uuid: str, object_type: str, method: str | None, view_fields: list[str],  # noqa: PLR0917
          workflow: str, rule_id: int) -> dict[str, Any]:
    activity = {f[0].split("/", 1)[1]: f[2] for f in ibm21.FIELDS if f[4] == 6}
    return {"automations": [], "conditions": _conditions(method), "enabled": True, "export_key": name,
            "id": rule_id, "logic_type": "all", "message_destinations": [], "name": name,
            "object_type": object_type, "tags": [], "timeout_seconds": 86400, "type": 1, "uuid": rule_uuid,
            "view_items": [_view_item(activity[f], "actioninvocation") for f in view_fields],
            "workflows": [workflow]}


def _playbook(name: str, spec: dict, index: int) -> dict[str, Any]:
    type_name = "playbook_" + spec["uuid"].replace("-", "_")
    function = spec["function"]
    archive = function == "slack_archive_channel"
    result = "playbook.functions.results.slack_info"
    settings = {"inputs": {}, "result_name": "slack_info",
                "pre_processing_script": _pre_script(_kind(spec["object_type"], function), archive,
                                                     "playbook.inputs"),
                "pre_processing_script_language": "python3"}
    script_name, script_uuid, script_programmatic = spec["script"]
    fields = {f[0]: _field(f"{type_name}/{f[0]}", f[1], f[2], f[3], 28, False, 1384 + 10 * index + i)
              for i, f in enumerate(spec["fields"])}
    return {
        "activation_type": "manual", "content": {"content_version": 1, "xml": _xml(
            type_name, name, function, settings, script_uuid)},
        "deployment_id": type_name, "description": {"content": "", "format": "text"},
        "display_name": spec["display_name"], "export_key": name, "field_type_handle": type_name,
        "fields_type": {"display_name": spec["display_name"], "export_key": type_name, "fields": fields,
                        "parent_types": ["__playbook"], "type_id": 28, "type_name": type_name,
                        "uuid": spec["fields_type_uuid"]},
        "id": 23 + index,
        "local_scripts": [{"enabled": False, "export_key": script_name, "language": "python3",
                           "name": script_name, "object_type": spec["object_type"], "playbook_handle": name,
                           "programmatic_name": script_programmatic,
                           "script_text": _post_script(_note_target(spec["object_type"]), archive, result),
                           "uuid": script_uuid}],
        "manual_settings": {"activation_conditions": {"conditions": _conditions(spec["condition"]),
                                                      "logic_type": "all"},
                            "view_items": [_view_item(f[2], type_name) for f in spec["fields"]]},
        "name": name, "object_type": spec["object_type"], "status": "enabled",
        "tag": {"display_name": "Playbook_" + spec["uuid"], "name": type_name, "type": "playbook",
                "uuid": spec["tag_uuid"]},
        "type": "default", "uuid": spec["uuid"], "version": 11,
    }


def org_copy_rules() -> dict[str, str]:
    """The org's own copies: copy rule name → the IBM rule it copies (its workflow is a copy as well)."""
    return {ORG_COPY_PREFIX + name: name for name in ibm21.RULES}


def ibm21_export(org_copies: bool = False) -> dict[str, Any]:
    """IBM fn_slack 2.1's customizations as an export, built from the identities table (see module doc)."""
    fields = [_field(key, text, field_uuid, input_type, type_id, required, 1367 + i)
              for i, (key, text, field_uuid, input_type, type_id, required) in enumerate(ibm21.FIELDS)]
    field_uuids = {f["name"]: f["uuid"] for f in fields if f["type_id"] == 11}
    functions = [{"destination_handle": "slack", "display_name": display, "export_key": name, "id": 61 + i,
                  "name": name, "uuid": fn_uuid, "version": 2, "tags": [], "workflows": [],
                  "view_items": [_view_item(field_uuids[inp[0]], "__function") for inp in inputs]}
                 for i, (name, (display, fn_uuid, inputs)) in enumerate(ibm21.FUNCTIONS.items())]
    workflows = [_workflow(pname, name, wf_uuid, object_type, function, 146 + i)
                 for i, (pname, (name, wf_uuid, object_type, function)) in enumerate(ibm21.WORKFLOWS.items())]
    actions = [_rule(name, r_uuid, object_type, method, view, workflow, 176 + i)
               for i, (name, (r_uuid, object_type, method, view, workflow)) in enumerate(ibm21.RULES.items())]
    if org_copies:
        for i, (copy_name, original) in enumerate(org_copy_rules().items()):
            _, object_type, method, view, workflow = ibm21.RULES[original]
            wf_name, _, _, function = ibm21.WORKFLOWS[workflow]
            copy_wf = "org_copy_" + workflow
            workflows.append(_workflow(copy_wf, ORG_COPY_PREFIX + wf_name, _uuid("workflow", copy_wf),
                                       object_type, function, 300 + i))
            actions.append(_rule(copy_name, _uuid("rule", copy_name), object_type, method, view, copy_wf,
                                 300 + i))
    columns = {name: dict(_field(f"{ibm21.TABLE['type_name']}/{name}", text, col_uuid, input_type, 1025,
                                 False, 1311 + order), order=order, rich_text=rich_text, width=100)
               for name, (order, text, col_uuid, input_type, rich_text) in ibm21.TABLE_COLUMNS.items()}
    table = {"display_name": ibm21.TABLE["display_name"], "export_key": ibm21.TABLE["type_name"],
             "fields": columns, "id": None, "parent_types": ["incident"],
             "properties": {"can_create": False, "can_destroy": False, "for_who": []},
             "type_id": 8, "type_name": ibm21.TABLE["type_name"], "uuid": ibm21.TABLE["uuid"]}
    destination = dict(ibm21.DESTINATION, export_key="slack", destination_type=0, expect_ack=True,
                       api_keys=[], users=[], tags=[])
    return {
        "export_date": EXPORT_DATE, "export_format_version": 2, "id": 29,
        "server_version": {"build_number": 8131, "major": 46, "minor": 0, "version": "46.0.8131"},
        "message_destinations": [destination], "fields": fields, "functions": functions,
        "actions": actions, "workflows": workflows, "types": [table],
        "playbooks": [_playbook(name, spec, i) for i, (name, spec) in enumerate(ibm21.PLAYBOOKS.items())],
        "incident_types": [{"name": "Customization Packages (internal)", "enabled": False,
                            "uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa0", "id": 0}],
    }


def install_ibm21(state: SoarState, org_copies: bool = False) -> dict[str, Any]:
    """Put the org in the state "IBM fn_slack 2.1 installed" (through the sandbox's strict import)."""
    export = ibm21_export(org_copies=org_copies)
    state.install(export)
    return export
