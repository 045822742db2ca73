"""slack_post_message with slack_thread: one incident stays one thread in its channel (function tests)."""

import json

from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config()
FN = "slack_post_message"


def post(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    return run_function(circuits_app, FN, inputs)


def test_the_first_threaded_post_starts_the_thread_and_later_ones_reply_in_it(circuits_app, slack, soar):
    first = post(circuits_app, slack_channel="shared-soc", slack_is_channel_private=False, slack_text="Incident 2095",
                 slack_thread=True)
    assert "This message starts the incident 2095's thread: later posts with slack_thread Yes reply in it." \
        in first.statuses
    [row] = soar.rows_of(INCIDENT)
    assert row["slack_db_thread_ts"] == first.content["ts"]

    second = post(circuits_app, slack_text="update 1", slack_thread=True)
    third = post(circuits_app, slack_text="update 2", slack_thread=True)
    plain = post(circuits_app, slack_text="not threaded")

    channel = slack.channel("shared-soc")["id"]
    top = slack.messages(channel)
    assert [m["text"] for m in top] == ["Incident 2095", "not threaded"]
    assert [r["text"] for r in top[0]["replies"]] == ["update 1", "update 2"]
    assert "Posted in the thread of the incident 2095's first message in this channel." in second.statuses
    assert second.content["url"].endswith(f"?thread_ts={first.content['ts']}&cid={channel}")
    assert third.content["ts"] != second.content["ts"] and plain.content["ts"]
    assert soar.rows_of(INCIDENT)[0]["slack_db_thread_ts"] == first.content["ts"]


def test_a_link_of_1x_gets_its_thread_from_the_first_threaded_post(circuits_app, slack, soar):
    channel = slack.add_channel("legacy-room", members=["bot"])
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "legacy-room",
                            "slack_db_channel_type": "Public"})
    slack.add_message(channel, "alice", "older talk")
    first = post(circuits_app, slack_text="now threaded", slack_thread=True)
    post(circuits_app, slack_text="reply", slack_thread=True)
    [row] = soar.rows_of(INCIDENT)
    assert (row["slack_db_channel_id"], row["slack_db_thread_ts"]) == (channel, first.content["ts"])
    assert [r["text"] for r in slack.messages(channel)[-1]["replies"]] == ["reply"]


def test_a_deleted_first_message_starts_a_new_thread(circuits_app, slack, soar):
    first = post(circuits_app, slack_channel="gone-root", slack_is_channel_private=False, slack_text="root",
                 slack_thread=True)
    channel = slack.channel("gone-root")["id"]
    slack.delete_message(channel, first.content["ts"])
    again = post(circuits_app, slack_text="after the deletion", slack_thread=True)
    assert any("thread in Slack is gone" in s for s in again.statuses), again.statuses
    assert [m["text"] for m in slack.messages(channel)] == ["after the deletion"]
    assert soar.rows_of(INCIDENT)[0]["slack_db_thread_ts"] == again.content["ts"]


def test_a_task_has_its_own_thread(circuits_app, slack, soar):
    post(circuits_app, slack_channel="tasks-room", slack_is_channel_private=False, slack_text="incident root",
         slack_thread=True)
    task_root = post(circuits_app, task_id=TASK, slack_channel="tasks-room", slack_text="task root", slack_thread=True)
    post(circuits_app, task_id=TASK, slack_text="task update", slack_thread=True)
    channel = slack.channel("tasks-room")["id"]
    by_text = {m["text"]: m for m in slack.messages(channel)}
    assert [r["text"] for r in by_text["task root"]["replies"]] == ["task update"]
    assert by_text["incident root"]["replies"] == []
    task_row = next(r for r in soar.rows_of(INCIDENT) if r["slack_db_res_id"] == f"RES-{INCIDENT}-{TASK}")
    assert task_row["slack_db_thread_ts"] == task_root.content["ts"]


def test_without_slack_thread_nothing_is_written_beyond_the_link(circuits_app, slack, soar):
    post(circuits_app, slack_channel="plain-room", slack_is_channel_private=False,
         slack_text=json.dumps({"Type of data": {"type": "string", "data": "Incident"}}))
    [row] = soar.rows_of(INCIDENT)
    assert "slack_db_thread_ts" not in row
    assert [call for call in soar.calls if call.method == "PUT"] == []


def test_slack_direct_posts_to_the_people_in_a_direct_message_without_a_channel_or_link(circuits_app, slack, soar):
    outcome = post(circuits_app, slack_text="Your mailbox was used to send phishing",
                   slack_participant_emails="alice@example.com, nobody@example.com", slack_direct=True)
    result = outcome.content
    assert result["channel_id"].startswith("D") and result["linked"] is False and result["channel_created"] is False
    dm = slack.channel(result["channel_id"])
    assert dm["members"] == [slack.bot_user_id, slack.user("alice")["id"]]
    assert [m["text"] for m in slack.messages(result["channel_id"])] == ["Your mailbox was used to send phishing"]
    assert "User nobody@example.com is not a member of your workspace." in outcome.statuses
    assert "Message posted to 1 person(s) in a direct message; no channel was created or linked." in outcome.statuses
    assert soar.rows_of(INCIDENT) == []
    assert "conversations.create" not in [c.method for c in slack.calls]


def test_slack_direct_to_several_people_is_one_group_dm(circuits_app, slack, soar):
    result = post(circuits_app, slack_text="Both of you", slack_direct=True,
                  slack_participant_emails="alice@example.com, bob@example.com").content
    assert slack.channel(result["channel_id"])["members"] == [slack.bot_user_id, slack.user("alice")["id"],
                                                              slack.user("bob")["id"]]


def test_slack_direct_without_people_is_refused_before_anything_happens(circuits_app, slack, soar):
    outcome = post(circuits_app, slack_text="to whom?", slack_direct=True)
    assert "slack_direct is Yes but slack_participant_emails is empty: say whom to write to." in outcome.error
    assert slack.calls == [] and soar.rows_of(INCIDENT) == []


def test_a_file_shared_with_slack_thread_goes_into_the_incident_s_thread(circuits_app, slack, soar):
    first = post(circuits_app, slack_channel="files-room", slack_is_channel_private=False, slack_text="root",
                 slack_thread=True)
    attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"findings\n")
    shared = run_function(circuits_app, "slack_post_attachment", {
        "incident_id": INCIDENT, "attachment_id": attachment_id, "slack_text": "the report", "slack_thread": True})
    assert shared.error is None, shared.error
    channel = slack.channel("files-room")["id"]
    [root] = slack.messages(channel)
    assert root["ts"] == first.content["ts"]
    [reply] = root["replies"]
    assert [f["name"] for f in reply["files"]] == ["report.txt"]
    assert "Posted in the thread of the incident 2095's first message in this channel." in shared.statuses
