"""The package upgraded before `resilient-circuits customize`: every post still succeeds once, its link is kept,
and the user is told to run customize; a 3.x-only table that is missing stops a function before any Slack write.

The org holds IBM fn_slack 2.1's customizations only (slack_conversations_db with its five columns, no 3.x
table). Whether SOAR refuses a row write naming an unknown column or silently drops the cell is not documented,
so every test runs both ways.
"""

import pytest

from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config()
CUSTOMIZE = "run `resilient-circuits customize -l fn_slack` to finish the upgrade"
SLACK_WRITES = {"chat.postMessage", "conversations.create", "conversations.invite", "conversations.open",
                "files.completeUploadExternal"}


@pytest.fixture(params=["refuse", "drop"])
def old_org(request, soar):
    """The org as IBM's 2.1 left it; SOAR refuses or drops an unknown column."""
    soar.as_ibm_21(INCIDENT, TASK)
    soar.unknown_columns = request.param
    return soar


def customize(soar) -> None:
    soar.customize()


def post(circuits_app, **inputs):
    return run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, **inputs})


def slack_writes(slack) -> list[str]:
    return [call.method for call in slack.calls if call.method in SLACK_WRITES]


def test_a_post_before_customize_succeeds_once_links_by_name_and_says_to_run_customize(circuits_app, slack, old_org):
    outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="first")

    channel = slack.channel("inc-2095")
    assert outcome.content["channel_id"] == channel["id"] and outcome.content["linked"] is True
    [notice] = [s for s in outcome.statuses if CUSTOMIZE in s and "slack_conversations_db" in s]
    assert "slack_conversations_db has no column slack_db_channel_id" in notice
    # No slack_messages_db either: the first post went on without claiming the channel, and said so once.
    assert len([s for s in outcome.statuses if CUSTOMIZE in s and "slack_messages_db is missing" in s]) == 1
    assert "later posts and the archive find the channel by its name" in notice
    assert [m["text"] for m in slack.messages(channel["id"])] == ["first"]   # posted once
    [row] = old_org.rows_of(INCIDENT)
    assert row["slack_db_channel"] == "inc-2095" and row["slack_db_res_id"] == "RES-2095"
    assert "slack_db_channel_id" not in row

    # A later post without a channel finds the link by its name and says again what is left to do.
    again = post(circuits_app, slack_text="second")
    assert again.content["channel"] == "inc-2095" and again.content["channel_id"] == channel["id"]
    assert any(CUSTOMIZE in s for s in again.statuses)
    assert [m["text"] for m in slack.messages(channel["id"])] == ["first", "second"]
    assert len(old_org.rows_of(INCIDENT)) == 1

    # After customize (no restart), the next post fills the channel ID into the same row.
    customize(old_org)
    filled = post(circuits_app, slack_text="third")
    assert not any(CUSTOMIZE in s for s in filled.statuses)
    [row] = old_org.rows_of(INCIDENT)
    assert row["slack_db_channel_id"] == channel["id"]


def test_the_archive_finds_a_link_written_before_customize(circuits_app, slack, old_org):
    post(circuits_app, task_id=TASK, slack_channel="task-7", slack_is_channel_private=True, slack_text="task")

    outcome = run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT, "task_id": TASK})

    assert outcome.error is None, outcome.error
    assert slack.channel("task-7")["is_archived"] is True


def test_an_attachment_before_customize_is_uploaded_once_and_linked(circuits_app, slack, old_org):
    attachment_id = old_org.add_attachment(INCIDENT, "report.txt", b"findings\n")

    outcome = run_function(circuits_app, "slack_post_attachment", {
        "incident_id": INCIDENT, "attachment_id": attachment_id, "slack_channel": "inc-files",
        "slack_is_channel_private": False})

    assert outcome.content["channel"] == "inc-files"
    assert any(CUSTOMIZE in s for s in outcome.statuses)
    assert slack_writes(slack).count("files.completeUploadExternal") == 1
    [row] = old_org.rows_of(INCIDENT)
    assert row["slack_db_channel"] == "inc-files"


def test_a_threaded_post_before_customize_is_posted_and_says_the_thread_was_not_kept(circuits_app, slack, old_org):
    outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="first",
                   slack_thread=True)

    assert outcome.error is None
    assert any("slack_db_thread_ts" in s and CUSTOMIZE in s for s in outcome.statuses)
    assert slack_writes(slack).count("chat.postMessage") == 1


def test_asking_a_question_without_the_questions_table_is_refused_before_anything_is_posted(circuits_app, slack,
                                                                                             old_org):
    outcome = run_function(circuits_app, "slack_ask_question", {
        "incident_id": INCIDENT, "slack_channel": "ask-room", "slack_is_channel_private": False,
        "slack_question": "Isolate the host?", "slack_question_options": "Yes|No",
        "slack_participant_emails": "alice@example.com"})

    assert outcome.error is not None
    assert "SOAR has no data table slack_questions_db, which slack_ask_question needs" in outcome.error
    assert "Nothing was posted to Slack" in outcome.error and CUSTOMIZE in outcome.error
    assert slack_writes(slack) == [] and slack.channel("ask-room") is None


def test_mirroring_without_the_messages_table_is_refused_before_anything_is_posted(circuits_app, slack, old_org):
    outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="hi",
                   slack_mirror=True)

    assert outcome.error is not None
    assert "SOAR has no data table slack_messages_db, which mirroring (slack_mirror) needs" in outcome.error
    assert slack_writes(slack) == []
