"""The SOAR sandbox imports strictly: an object is the org's object only when its name AND its UUID agree.

A clash (a name held with another UUID or type, a UUID held under another name) refuses the whole import,
as a SOAR import would, so that an upgrade test cannot pass on a lenient matcher.
"""

from __future__ import annotations

import copy

import pytest
import resilient

from sandbox.soar import SoarSandbox
from sandbox.soar.ibm21_org import ibm21_export, install_ibm21
from sandbox.soar.state import ImportClash, SoarState
from tools.customizations.build_export import build_export

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

KEY, SECRET = "import-key-id", "import-key-secret"


def org_with_ibm21() -> SoarState:
    state = SoarState()
    install_ibm21(state)
    return state


def counts(state: SoarState) -> dict[str, int]:
    return {"rules": len(state.rules), "workflows": len(state.workflows), "playbooks": len(state.playbooks),
            "functions": len(state.functions), "destinations": len(state.message_destinations),
            "activity fields": len(state.fields["actioninvocation"]),
            "columns": len(state.tables["slack_conversations_db"]["fields"])}


def test_fn_slack_updates_every_ibm_21_object_in_place():
    state = org_with_ibm21()
    ids_before = {name: rule["id"] for name, rule in state.rules.items()}
    wf_ids_before = {name: wf["workflow_id"] for name, wf in state.workflows.items()}
    playbooks_before = {name: (pb["id"], pb["version"]) for name, pb in state.playbooks.items()}

    state.install(build_export())

    # IBM's eight of each, updated in place, plus 3.x's question item, workflow, playbook, function, its four
    # menu fields and the mirror, thread and seal columns, the verifying function with its automatic playbook,
    # and the channel sync: its function, menu item, workflow, automatic playbook and two columns
    assert counts(state) == {"rules": 10, "workflows": 10, "playbooks": 12, "functions": 6, "destinations": 1,
                             "activity fields": 9, "columns": 11}
    assert {name: rule["id"] for name, rule in state.rules.items() if name in ids_before} == ids_before
    assert {name: wf["workflow_id"] for name, wf in state.workflows.items() if name in wf_ids_before} == \
        wf_ids_before
    assert {name: (pb["id"], pb["version"]) for name, pb in state.playbooks.items() if name in playbooks_before} == \
        {name: (pb_id, version + 1) for name, (pb_id, version) in playbooks_before.items()}


def test_a_second_identical_import_changes_nothing_but_versions():
    state = SoarState()
    state.install(build_export())
    before = counts(state)
    state.install(build_export())
    assert counts(state) == before
    assert all(fn["version"] == 2 for fn in state.functions.values())


def test_same_name_with_another_uuid_is_refused_naming_the_object():
    state = org_with_ibm21()
    export = build_export()
    rule = next(a for a in export["actions"] if a["name"] == "Example: Post Note to Slack")
    rule["uuid"] = "773acd3e-b153-5a33-be5a-35200c7e0d09"  # the UUID this package gave it before 3.0

    with pytest.raises(ImportClash) as caught:
        state.install(export)

    assert caught.value.clashes == [
        "rule 'Example: Post Note to Slack' exists with uuid ac5066e7-2644-48e3-9ecb-85ec2c16bb6d; "
        "the import has 773acd3e-b153-5a33-be5a-35200c7e0d09"]
    assert counts(state)["rules"] == 8 and len(state.imported_exports) == 1  # nothing of it was applied


def test_same_uuid_under_another_name_is_refused():
    state = org_with_ibm21()
    export = build_export()
    workflow = next(w for w in export["workflows"] if w["programmatic_name"] == "create_slack_message")
    workflow["programmatic_name"] = "example_post_incident_to_slack"

    with pytest.raises(ImportClash, match="uuid 8df6f333-4423-4e9d-9554-dceacd311cba belongs to workflow "
                                          "'create_slack_message'"):
        state.install(export)
    assert "example_post_incident_to_slack" not in state.workflows


def test_same_name_and_uuid_with_another_type_is_refused():
    """The field type the package used before 3.0 (rule_slack_text as textarea) would clash with IBM's."""
    state = org_with_ibm21()
    export = build_export()
    field = next(f for f in export["fields"] if f["name"] == "rule_slack_text")
    field["input_type"] = "textarea"

    with pytest.raises(ImportClash, match="actioninvocation field 'rule_slack_text' is of type 'text'; "
                                          "the import makes it 'textarea'"):
        state.install(export)
    assert state.fields["actioninvocation"]["rule_slack_text"]["input_type"] == "text"


def test_a_playbook_input_with_another_uuid_is_refused():
    state = org_with_ibm21()
    export = build_export()
    playbook = next(p for p in export["playbooks"] if p["name"] == "example_post_task_to_slack_pb")
    playbook["fields_type"]["fields"]["rule_slack_text"]["uuid"] = "11111111-2222-3333-4444-555555555555"

    with pytest.raises(ImportClash, match="input 'rule_slack_text' exists with uuid 8174b60f"):
        state.install(export)


def test_one_uuid_for_two_objects_of_one_import_is_refused():
    export = build_export()
    export["actions"][1]["uuid"] = export["actions"][0]["uuid"]
    with pytest.raises(ImportClash, match="of the same import"):
        SoarState().install(export)


def test_the_ibm_21_org_itself_imports_cleanly_with_its_own_copies():
    state = SoarState()
    install_ibm21(state, org_copies=True)
    assert counts(state)["rules"] == 16 and counts(state)["playbooks"] == 8
    state.install(copy.deepcopy(ibm21_export(org_copies=True)))  # re-importing IBM's is no clash either


def test_rest_import_with_a_clash_answers_409_and_keeps_no_pending_import():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as soar:
        install_ibm21(soar.state)
        client = soar.rest_client()
        export = build_export()
        export["message_destinations"][0]["uuid"] = "aa656114-90cf-588e-ab1b-f0a675c4bf85"

        with pytest.raises(resilient.SimpleHTTPException) as caught:
            client.post("/configurations/imports", export)

        assert str(caught.value).startswith("CONFLICT")
        assert "message destination 'slack' exists with uuid 611f10f7-1b7d-49c5-8692-3b838156d42b" \
            in str(caught.value)
        assert len(soar.state.imports) == 1  # only the 2.1 install


def test_a_clash_arising_between_post_and_accept_refuses_the_accept():
    state = SoarState()
    pending = state.start_import(build_export())
    install_ibm21(state)  # meanwhile IBM's package was installed... with a rule of the same uuid
    state.rules["Example: Post Task to Slack"]["uuid"] = "99999999-9999-9999-9999-999999999999"

    with pytest.raises(ImportClash):
        state.finish_import(pending["id"], "ACCEPTED")
    assert state.imports[pending["id"]]["record"]["status"] == "PENDING"
