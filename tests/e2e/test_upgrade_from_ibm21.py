"""Upgrade in place from IBM fn_slack 2.1, end to end.

The SOAR sandbox starts as an org that ran IBM's fn_slack 2.1: IBM's objects with IBM's names and UUIDs,
IBM-style scripts that read the result flat (``results.channel``, ``results.url``, ``for user in
results.user_info``), the org's own copies of the example menu items, and 2.1-era data table rows (no channel
ID column) linking incidents and tasks to channels that exist in the Slack sandbox. Then the real
``resilient-circuits customize -y -l fn_slack`` and ``run``; then every menu item (ours and the org's legacy
copies) and every playbook runs. doc/migration.md is written from what this test shows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.soar import ibm21
from sandbox.soar.circuits import run_cli, write_app_config
from sandbox.soar.ibm21_org import ORG_COPY_PREFIX, install_ibm21
from tests.e2e.conftest import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

TABLE = "slack_conversations_db"
CUSTOMIZE = "run `resilient-circuits customize -l fn_slack` to finish the upgrade"
POSTS = ["Example: Post Incident to Slack", "Example: Post Task to Slack", "Example: Post Note to Slack",
         "Example: Post Artifact to Slack", "Example: Post Incident / Task Attachment to Slack",
         "Example: Post Artifact Attachment to Slack"]
ARCHIVES = ["Example: Archive Task Slack Channel", "Example: Archive Incident Slack Channel"]
PLAYBOOK_OF = {  # menu item → its playbook counterpart
    "Example: Post Incident to Slack": "example_post_incident_to_slack_pb",
    "Example: Post Task to Slack": "example_post_task_to_slack_pb",
    "Example: Post Note to Slack": "example_post_note_to_slack_pb",
    "Example: Post Artifact to Slack": "example_post_artifact_to_slack_pb",
    "Example: Post Incident / Task Attachment to Slack": "example_post_incident__task_attachment_to_slack_pb",
    "Example: Post Artifact Attachment to Slack": "example_post_artifact_attachment_to_slack_pb",
    "Example: Archive Task Slack Channel": "example_archive_task_slack_channel_pb",
    "Example: Archive Incident Slack Channel": "example_archive_incident_slack_channel_pb",
}


@dataclass
class Case:
    """One incident of the 2.1 era: linked (2.1 rows, no channel IDs) to an incident and a task channel."""

    incident: dict
    task: dict
    inc_channel: str
    task_channel: str
    note: dict
    artifact: dict
    file_artifact: dict
    attachment: dict

    def target(self, menu_item: str) -> dict:
        """The object a menu item (or its playbook) is started on, as driver keyword arguments."""
        inc = {"incident_id": self.incident["id"]}
        if "Task" in menu_item and "Attachment" not in menu_item:
            return dict(inc, task_id=self.task["id"])
        if "Note" in menu_item:
            return dict(inc, object_id=self.note["id"])
        if menu_item == "Example: Post Artifact to Slack":
            return dict(inc, object_id=self.artifact["id"])
        if menu_item == "Example: Post Artifact Attachment to Slack":
            return dict(inc, object_id=self.file_artifact["id"])
        if "Attachment" in menu_item:
            return dict(inc, object_id=self.attachment["id"])
        return inc


def _identities(stack: Stack) -> dict[str, tuple]:
    state = stack.soar.state
    with state.lock:
        found = {f"rule {n}": (r["uuid"], r["id"]) for n, r in state.rules.items()}
        found |= {f"workflow {n}": (w["uuid"], w["workflow_id"]) for n, w in state.workflows.items()}
        found |= {f"playbook {n}": (p["uuid"], p["id"]) for n, p in state.playbooks.items()}
        found |= {f"function {n}": (f["uuid"], f["id"]) for n, f in state.functions.items()}
        found |= {f"destination {n}": (d["uuid"], d["id"]) for n, d in state.message_destinations.items()}
        found |= {f"field {t}/{n}": (f["uuid"], f["id"]) for t, b in state.fields.items() for n, f in b.items()}
        found |= {f"column {n}": (c["uuid"], c["id"]) for n, c in state.tables[TABLE]["fields"].items()}
    return found


def _new_case(stack: Stack, label: str) -> Case:
    soar, slack = stack.soar, stack.slack
    incident = soar.create_incident(f"2.1-era incident ({label})", "<p>Linked before the upgrade</p>")
    task = soar.create_task(incident["id"], f"Contain ({label})")
    inc_channel, task_channel = f"inc-{incident['id']}-{label}", f"task-{task['id']}-{label}"
    for key, name in ((f"RES-{incident['id']}", inc_channel), (f"RES-{incident['id']}-{task['id']}", task_channel)):
        slack.add_channel(name, members=[slack.bot_user_id])
        # A row as IBM's 2.1 app wrote it: the five 2.1 columns, no channel ID.
        soar.state.add_row(incident["id"], TABLE, {
            "slack_db_time": {"value": 1685964407499}, "slack_db_res_id": {"value": key},
            "slack_db_channel": {"value": name}, "slack_db_channel_type": {"value": "Public"},
            "slack_db_permalink": {"value": '<a href="https://sandbox.slack.com/archives/x">Link</a>'}})
    return Case(
        incident=incident, task=task, inc_channel=inc_channel, task_channel=task_channel,
        note=soar.add_note(incident["id"], "<p>Seen on the gateway</p>"),
        artifact=soar.add_artifact(incident["id"], "IP Address", "192.0.2.7"),
        file_artifact=soar.add_artifact(incident["id"], "Log File", "gw.log", file_name="gw.log",
                                        data=b"deny 192.0.2.7\n", content_type="text/plain"),
        attachment=soar.add_attachment(incident["id"], "findings.txt", b"first findings\n",
                                       content_type="text/plain"))


@pytest.fixture(scope="module")
def upgrade() -> Iterator[dict]:
    """The 2.1 org, then customize (the hyphen spelling first), then `run`."""
    with tempfile.TemporaryDirectory(prefix="fn-slack-upgrade-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            install_ibm21(stack.soar.state, org_copies=True)
            stack.config = _2x_app_config(stack)   # the upgraded org keeps its app.config
            cases = {label: _new_case(stack, label) for label in ("menu", "legacy", "playbook")}
            before = _identities(stack)
            imports_before = len(stack.soar.state.imports)

            hyphen = run_cli(stack.config, "customize", "-y", "-l", "fn-slack")
            imports_after_hyphen = len(stack.soar.state.imports)
            customize = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
            assert customize.returncode == 0, customize.output
            stack.start_run("run-upgraded")
            yield {"stack": stack, "cases": cases, "before": before, "hyphen": hyphen,
                   "imports": (imports_before, imports_after_hyphen, len(stack.soar.state.imports)),
                   "customize": customize}
        finally:
            stop_stack(stack)


def assert_completed(stack: Stack, result) -> None:
    assert result.completed, f"{result.report()}\n{stack.logs()}"


def rows(stack: Stack, case: Case) -> dict[str, dict]:
    return {row["slack_db_res_id"]: row for row in stack.soar.state.rows_of(case.incident["id"])}


def test_hyphenated_package_name_selects_nothing_and_still_exits_0(upgrade):
    hyphen = upgrade["hyphen"]
    imports_before, imports_after_hyphen, imports_after = upgrade["imports"]
    assert hyphen.returncode == 0, hyphen.output
    assert imports_after_hyphen == imports_before  # `-l fn-slack` imported nothing
    assert imports_after == imports_before + 1


def test_customize_updates_every_ibm_object_in_place_and_adds_only_3x_objects(upgrade):
    stack, before = upgrade["stack"], upgrade["before"]
    after = _identities(stack)
    # Nothing disappeared or changed identity (same uuid, same id), nothing was duplicated.
    assert {key: after[key] for key in before} == before
    assert sorted(set(after) - set(before)) == sorted([
        "column slack_db_channel_id", "column slack_db_mirror", "column slack_db_seal", "column slack_db_thread_ts",
        "column slack_db_sync", "column slack_db_sync_state", "function slack_sync_channel",
        "rule Example: Keep Slack Channel in Step", "workflow example_keep_slack_channel_in_step",
        "playbook example_slack_channel_follows_the_incident", "field __function/slack_sync_start",
        "playbook example_archive_the_slack_channel_when_the_incident_closes",
        "function slack_ask_question", "rule Example: Ask a Question in Slack",
        "workflow example_ask_question_in_slack", "playbook example_ask_question_in_slack_pb",
        "function slack_question_answer", "playbook example_act_on_verified_slack_answer",
        *(f"field __function/{n}" for n in ("slack_mirror", "slack_thread", "slack_direct", "slack_question",
                                              "slack_question_options", "slack_question_free_text",
                                              "slack_question_direct", "slack_question_anyone",
                                              "slack_question_expiry_minutes", "slack_question_id")),
        *(f"field actioninvocation/{n}" for n in ("rule_slack_question", "rule_slack_question_options",
                                                  "rule_slack_question_direct", "rule_slack_question_anyone")),
        "field incident/slack_mirror_channels"])
    state = stack.soar.state
    assert len(state.rules) == 2 * len(ibm21.RULES) + 2  # IBM's (now ours), the org's own copies, and 3.x's
    assert len(state.playbooks) == len(ibm21.PLAYBOOKS) + 4 and len(state.functions) == 6
    assert [d["name"] for d in state.message_destinations.values()] == ["slack"]
    # IBM's workflows now hold fn_slack's scripts; the org's copies keep theirs.
    assert "legacy" not in state.workflows["create_slack_message"]["content"]["xml"]
    assert "legacy 2.1-style" in state.workflows["org_copy_create_slack_message"]["content"]["xml"]


def _run_all(stack: Stack, case: Case, start) -> dict[str, object]:
    """Run the six posts (no channel typed: the 2.1 links decide), then the two archives."""
    results = {}
    for item in POSTS:
        form = {"rule_slack_text": f"upgrade check: {item}"}
        results[item] = start(item, form, case.target(item))
        assert_completed(stack, results[item])
    for item in ARCHIVES:
        results[item] = start(item, {}, case.target(item))
        assert_completed(stack, results[item])
    return results


def _assert_links_kept_and_ids_filled(stack: Stack, case: Case) -> None:
    linked = rows(stack, case)
    inc_key, task_key = f"RES-{case.incident['id']}", f"RES-{case.incident['id']}-{case.task['id']}"
    assert sorted(linked) == sorted([inc_key, task_key])  # the 2.1 rows were reused, none added
    assert linked[inc_key]["slack_db_channel_id"] == stack.slack.channel(case.inc_channel)["id"]
    assert linked[task_key]["slack_db_channel_id"] == stack.slack.channel(case.task_channel)["id"]
    assert stack.slack.channel(case.inc_channel)["is_archived"]
    assert stack.slack.channel(case.task_channel)["is_archived"]
    for channel in (case.inc_channel, case.task_channel):
        texts = [m.get("text", "") for m in stack.slack.messages(stack.slack.channel(channel)["id"])]
        assert any("upgrade check" in text for text in texts), texts


def test_every_menu_item_runs_on_the_2_1_links_and_fills_in_their_channel_ids(upgrade):
    stack, case = upgrade["stack"], upgrade["cases"]["menu"]
    results = _run_all(stack, case, lambda item, form, target: stack.driver.click(
        item, properties=form, **target))

    assert results["Example: Post Incident to Slack"].content["channel"] == case.inc_channel
    assert results["Example: Post Task to Slack"].content["channel"] == case.task_channel
    _assert_links_kept_and_ids_filled(stack, case)


def test_every_legacy_script_still_succeeds_on_the_new_result(upgrade):
    stack, case = upgrade["stack"], upgrade["cases"]["legacy"]
    results = _run_all(stack, case, lambda item, form, target: stack.driver.click(
        ORG_COPY_PREFIX + item, properties=form, **target))

    for item in POSTS:
        result = results[item]
        assert result.results["channel"] == result.content["channel"]  # the flat keys the scripts read
        assert result.results["user_info"] == []
        (note,) = result.notes
        # the legacy loop over user_info ran zero times: no member lines after the link
        assert note["text"] == f"[legacy] posted to Slack channel #{result.content['channel']}: " \
                               f"{result.content['url']}"
    assert results["Example: Archive Incident Slack Channel"].notes[0]["text"] == \
        f"[legacy] Slack channel #{case.inc_channel} has been archived."
    _assert_links_kept_and_ids_filled(stack, case)


def test_every_playbook_runs_like_its_menu_item(upgrade):
    stack, case = upgrade["stack"], upgrade["cases"]["playbook"]
    results = _run_all(stack, case, lambda item, form, target: stack.driver.run_playbook(
        PLAYBOOK_OF[item], inputs={k: v for k, v in form.items()
                                   if k in stack.driver.customizations.playbook(PLAYBOOK_OF[item]).input_names},
        **target))

    for item in POSTS:
        (note,) = results[item].notes
        assert "was posted to Slack channel" in note["text"] or "was uploaded to Slack channel" in note["text"]
    assert "has been archived" in results["Example: Archive Incident Slack Channel"].notes[0]["text"]
    _assert_links_kept_and_ids_filled(stack, case)


def test_nothing_was_duplicated_by_running_everything(upgrade):
    stack = upgrade["stack"]
    after = _identities(stack)
    assert len(after) == len(upgrade["before"]) + 33  # the 3.x objects the test above names, once each
    state = stack.soar.state
    assert sorted(state.tables) == [TABLE, "slack_messages_db", "slack_questions_db"]
    assert len(state.tables[TABLE]["fields"]) == 11


# ---------------------------------------------------------------------------------------------------------------
# The package swapped and `resilient-circuits run` restarted before `customize` (any order must be harmless)
# ---------------------------------------------------------------------------------------------------------------
def _2x_app_config(stack: Stack) -> Path:
    """The app.config the 2.1 installation had: its [fn_slack] section has no result_user_info key."""
    return write_app_config(stack.workdir, stack.soar, stack.slack.base_url, fn_slack={"result_user_info": None})


@pytest.fixture(scope="module", params=["refuse", "drop"])
def swapped(request) -> Iterator[Stack]:
    """An org with IBM 2.1's customizations only, whose SOAR refuses (or silently drops) a row cell of a column
    its table does not have; fn_slack 3.x installed, customize not run."""
    with tempfile.TemporaryDirectory(prefix="fn-slack-swapped-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            stack.soar.state.unknown_columns = request.param
            install_ibm21(stack.soar.state)
            stack.config = _2x_app_config(stack)
            yield stack
        finally:
            stop_stack(stack)


def _described(stack: Stack, who: str) -> str:
    user = stack.slack.user(who)
    return f"{user['profile']['display_name'] or user['real_name']}: {user['profile']['email']}"


def test_package_swapped_before_customize_posts_once_links_by_name_and_customize_fills_the_channel_id(swapped):
    stack, soar, slack = swapped, swapped.soar, swapped.slack
    selftest_before = run_cli(stack.config, "selftest", "-l", "fn_slack")
    assert selftest_before.returncode == 1, selftest_before.output
    assert "SOAR's customizations are missing or older than this fn_slack package" in selftest_before.output
    for missing in ("function slack_ask_question", "data table slack_questions_db",
                    "columns slack_db_channel_id, slack_db_mirror, slack_db_seal, slack_db_sync, slack_db_sync_state, "
                    "slack_db_thread_ts of data table "
                    "slack_conversations_db", "inputs slack_mirror, slack_thread, slack_direct of function "
                    "slack_post_message"):
        assert missing in selftest_before.output, selftest_before.output
    stack.start_run("run-swapped")
    incident = soar.create_incident("Phishing after the package upgrade", "<p>customize not run yet</p>")
    task = soar.create_task(incident["id"], "Contain")
    inc_channel, task_channel = f"inc-{incident['id']}-swapped", f"task-{task['id']}-swapped"

    def click(item: str, form: dict, **target):
        result = stack.driver.click(item, incident_id=incident["id"], properties=form, **target)
        assert_completed(stack, result)
        return result

    first = click("Example: Post Incident to Slack", {
        "rule_slack_channel": inc_channel, "rule_slack_is_channel_private": False,
        "rule_slack_participant_emails": "alice@example.com", "rule_slack_text": "first"})
    [notice] = [m for m in first.status_messages if CUSTOMIZE in m and "slack_messages_db" not in m]
    assert "has no column slack_db_channel_id" in notice, first.status_messages
    # without slack_messages_db the first post cannot claim its channel across servers: it goes on, and says so
    [unclaimed] = [m for m in first.status_messages if "slack_messages_db is missing" in m]
    assert CUSTOMIZE in unclaimed, first.status_messages
    channel_id = slack.channel(inc_channel)["id"]
    # IBM's 2.1 script still lists the channel's people: the section has no result_user_info key
    assert _described(stack, "alice") in first.notes[0]["text"]
    [row] = [r for r in soar.state.rows_of(incident["id"]) if r["slack_db_res_id"] == f"RES-{incident['id']}"]
    assert row["slack_db_channel"] == inc_channel and not row.get("slack_db_channel_id")

    second = click("Example: Post Incident to Slack", {"rule_slack_text": "second"})   # the link decides
    assert any(CUSTOMIZE in m for m in second.status_messages)
    assert second.results["channel"] == inc_channel

    click("Example: Post Task to Slack", {"rule_slack_channel": task_channel, "rule_slack_is_channel_private": False,
                                          "rule_slack_text": "task"}, task_id=task["id"])
    archived = click("Example: Archive Task Slack Channel", {}, task_id=task["id"])
    assert slack.channel(task_channel)["is_archived"], archived.report()

    customize = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
    assert customize.returncode == 0, customize.output
    third = click("Example: Post Incident to Slack", {"rule_slack_text": "third"})   # same process, no restart
    assert not any(CUSTOMIZE in m for m in third.status_messages), third.status_messages

    texts = [m.get("text", "") for m in slack.messages(channel_id)]
    for word in ("first", "second", "third"):
        assert sum(word in text for text in texts) == 1, texts   # each post once: nothing posted twice
    rows_now = soar.state.rows_of(incident["id"])
    assert sorted(r["slack_db_res_id"] for r in rows_now) == sorted([f"RES-{incident['id']}",
                                                                     f"RES-{incident['id']}-{task['id']}"])
    [row] = [r for r in rows_now if r["slack_db_res_id"] == f"RES-{incident['id']}"]
    assert row["slack_db_channel_id"] == channel_id
    selftest_after = run_cli(stack.config, "selftest", "-l", "fn_slack")
    assert selftest_after.returncode == 0, selftest_after.output
    assert "SOAR holds this package's customizations" in selftest_after.output
