"""Closing the loop through resilient-circuits, against the Slack sandbox over HTTP: a closed incident's channel kept
in step gets a closing summary (once) before it is exported and archived; slack_sync_channel leaves a closed
incident's archived channel alone; a reopened incident gets a new channel, linked once, with its people in it."""

import json

import pytest
from slack_sdk import WebClient

from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config

config_data = make_config()
NOTICE = "This channel has been set to be archived from SOAR."
EXPORT = "Slack_channel_inc-2095_history.txt"
SLACK_WRITES = ("conversations.create", "conversations.invite", "conversations.setTopic", "bookmarks.add",
                "bookmarks.edit", "chat.postMessage", "chat.update", "pins.add", "conversations.archive")


def kept_in_step(circuits_app, soar, slack, name="inc-2095", private=False):
    """A channel linked to the incident and kept in step with it (the link as the follow rule finds it)."""
    alice = slack.user("alice")["id"]
    channel_id = slack.add_channel(name, members=[slack.bot_user_id, alice], is_private=private)
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": name,
                            "slack_db_channel_type": "Private" if private else "Public",
                            "slack_db_channel_id": channel_id, "slack_db_permalink": "", "slack_db_time": 1})
    started = run(circuits_app, "slack_sync_channel", slack_sync_start=True)
    assert started.error is None, started.error
    return channel_id


def run(circuits_app, fn, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    return run_function(circuits_app, fn, inputs)


def change_incident(soar, **values):
    with soar.state.lock:
        soar.state.incidents[INCIDENT].update(values)
        soar.state.incidents[INCIDENT]["inc_last_modified_date"] += 60_000


def close(soar):
    change_incident(soar, plan_status="C", resolution_id="Resolved",
                    resolution_summary="<p>Reset <b>3</b> passwords; told <@U0BOSS> &lt;!channel&gt;</p>")


def slack_writes(slack) -> dict[str, int]:
    counted = {method: len(slack.calls_to(method)) for method in SLACK_WRITES}
    return {method: count for method, count in counted.items() if count}


def summaries(slack, channel_id):
    return [m for m in slack.messages(channel_id) if str(m.get("text", "")).startswith(NOTICE)]


def test_closing_summary_is_posted_once_before_the_export_that_holds_it(circuits_app, slack, soar):
    channel_id = kept_in_step(circuits_app, soar, slack)
    close(soar)
    slack.faults.add("conversations.archive", "drop", times=100)   # the first run stops before the archive
    assert "conversations.archive" in run(circuits_app, "slack_archive_channel").error
    slack.faults.clear()

    rerun = run(circuits_app, "slack_archive_channel")

    assert rerun.error is None, rerun.error
    assert slack.channel(channel_id)["is_archived"] is True
    [summary] = summaries(slack, channel_id)   # the rerun reused it
    assert summary["blocks"][0]["text"]["text"] == "Phishing campaign"
    fields = [f["text"] for f in summary["blocks"][1]["fields"]]
    assert fields == ["*Status*\nClosed", "*Resolution*\nResolved", "*Owner*\nanalyst@example.com",
                      "*Final severity*\nLow", "*Tasks*\n0 closed, 1 open"]
    assert "told &lt;@\u200bU0BOSS&gt; &lt;!channel&gt;" in summary["blocks"][2]["text"]["text"]   # shown as typed
    assert "<@U0BOSS>" not in json.dumps(summary["blocks"]) and "<!channel>" not in summary["text"]
    [saved] = soar.saved_attachments(INCIDENT)
    text = saved["data"].decode("utf-8")
    assert f"{NOTICE}\nIncident {INCIDENT}: Phishing campaign\nStatus: Closed\nResolution: Resolved\n" in text
    assert "Tasks: 0 closed, 1 open" in text


def test_an_active_incident_is_archived_with_the_plain_notice(circuits_app, slack, soar):
    channel_id = kept_in_step(circuits_app, soar, slack)

    assert run(circuits_app, "slack_archive_channel").error is None

    [notice] = summaries(slack, channel_id)
    assert notice["text"] == NOTICE and not notice.get("blocks")


@pytest.mark.parametrize("private", [False, True])
def test_sync_of_a_closed_incident_whose_channel_was_archived_writes_nothing(circuits_app, slack, soar, private):
    kept_in_step(circuits_app, soar, slack, private=private)
    close(soar)
    assert run(circuits_app, "slack_archive_channel").error is None
    [row_before] = soar.rows_of(INCIDENT)
    slack.clear_calls()

    outcome = run(circuits_app, "slack_sync_channel")

    assert outcome.error is None, outcome.error
    assert outcome.content["synced"] is False and outcome.content["written"] == []
    assert "was archived with the incident" in outcome.statuses[-1]
    assert slack_writes(slack) == {}
    assert soar.rows_of(INCIDENT) == [row_before]


def test_reopen_links_a_new_channel_with_the_incidents_people_once(circuits_app, slack, soar):
    old_id = kept_in_step(circuits_app, soar, slack)
    soar.state.set_members(INCIDENT, ["bob@example.com", "analyst-group"], owner="alice@example.com")
    close(soar)
    assert run(circuits_app, "slack_archive_channel").error is None
    change_incident(soar, plan_status="A")
    slack.clear_calls()

    outcome = run(circuits_app, "slack_sync_channel")

    assert outcome.error is None, outcome.error
    new = slack.channel("inc-2095-2")
    assert new["is_archived"] is False and new["is_private"] is False
    assert outcome.content["channel"] == "inc-2095-2" and outcome.content["channel_id"] == new["id"]
    members = {slack.user(name)["id"] for name in ("alice", "bob")}
    assert members <= set(new["members"])
    said = [m for m in slack.messages(new["id"]) if "reopened" in str(m.get("text"))]
    assert len(said) == 1
    assert f"<#{old_id}|inc-2095> is archived" in said[0]["text"] and EXPORT in said[0]["text"]
    [row] = soar.rows_of(INCIDENT)
    assert (row["slack_db_channel"], row["slack_db_channel_id"], row["slack_db_sync"]) == ("inc-2095-2", new["id"],
                                                                                           True)
    assert new["topic"].startswith("Low · Respond/Active · alice@example.com · <https://")
    assert json.loads(row["slack_db_sync_state"])["summary_ts"] in {m["ts"] for m in slack.messages(new["id"])
                                                                   if m.get("pinned_to")}
    assert slack_writes(slack)["conversations.create"] == 1

    slack.clear_calls()
    again = run(circuits_app, "slack_sync_channel")   # the follow rule's next run, or SOAR's redelivery

    assert again.error is None and again.content["channel"] == "inc-2095-2"
    assert slack_writes(slack) == {}
    assert slack.channel("inc-2095-3") is None


def test_a_reopen_that_stopped_before_relinking_uses_the_channel_it_created(circuits_app, slack, soar):
    kept_in_step(circuits_app, soar, slack)
    close(soar)
    assert run(circuits_app, "slack_archive_channel").error is None
    change_incident(soar, plan_status="A")
    failing = soar.fail_requests("PUT", rf"/incidents/{INCIDENT}/table_data/slack_conversations_db/row_data",
                                 times=20)
    first = run(circuits_app, "slack_sync_channel")
    assert first.error and slack.channel("inc-2095-2") is not None
    failing.remaining = 0
    slack.clear_calls()

    rerun = run(circuits_app, "slack_sync_channel")

    assert rerun.error is None, rerun.error
    assert rerun.content["channel"] == "inc-2095-2"
    assert "conversations.create" in slack_writes(slack)   # answered name_taken: found, not created again
    assert slack.channel("inc-2095-3") is None
    new = slack.channel("inc-2095-2")
    assert len([m for m in slack.messages(new["id"]) if "reopened" in str(m.get("text"))]) == 1


def test_a_channel_archived_by_hand_in_slack_is_not_replaced(circuits_app, slack, soar):
    channel_id = kept_in_step(circuits_app, soar, slack)
    WebClient(token=TOKEN, base_url=slack.base_url).conversations_archive(channel=channel_id)
    change_incident(soar, severity_code="High")
    slack.clear_calls()

    outcome = run(circuits_app, "slack_sync_channel")

    assert outcome.error and "#inc-2095 is archived" in outcome.error and "not saved" in outcome.error
    assert slack_writes(slack) == {}


@pytest.mark.parametrize("visible", [False, True])   # Slack does not say what the app sees of it afterwards
def test_a_reopened_private_channel_gets_a_private_successor(circuits_app, slack, soar, visible):
    slack.set_realism(archived_private_visible=visible)
    kept_in_step(circuits_app, soar, slack, private=True)
    close(soar)
    assert run(circuits_app, "slack_archive_channel").error is None
    change_incident(soar, plan_status="A")

    outcome = run(circuits_app, "slack_sync_channel")

    assert outcome.error is None, outcome.error
    assert slack.channel("inc-2095-2")["is_private"] is True
    assert soar.rows_of(INCIDENT)[0]["slack_db_channel_type"] == "Private"

    change_incident(soar, plan_status="C")   # closed again: the new channel is kept in step, not replaced
    assert run(circuits_app, "slack_sync_channel").content["channel"] == "inc-2095-2"
