"""slack_sync_channel through resilient-circuits, against the Slack sandbox over HTTP: the linked channel's topic,
bookmark and pinned summary follow the incident, one Slack write per part that changed, none when nothing did."""

import json
import threading

import pytest
from slack_sdk import WebClient

from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config

config_data = make_config()
FN = "slack_sync_channel"
WRITES = ("conversations.setTopic", "bookmarks.add", "bookmarks.edit", "bookmarks.remove", "chat.postMessage",
          "chat.update", "pins.add", "pins.remove")


def link(soar, slack, name="inc-2095", **cells):
    channel_id = slack.add_channel(name, members=[slack.bot_user_id, slack.user("alice")["id"]])
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": name,
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel_id,
                            "slack_db_permalink": "", "slack_db_time": 1, **cells})
    return channel_id


def sync(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    return run_function(circuits_app, FN, inputs)


def writes(slack) -> dict[str, int]:
    """The Slack writes made since the last clear, by method (methods not called left out)."""
    counted = {method: len(slack.calls_to(method)) for method in WRITES}
    return {method: count for method, count in counted.items() if count}


def change_incident(soar, **values):
    with soar.state.lock:
        soar.state.incidents[INCIDENT].update(values)
        soar.state.incidents[INCIDENT]["inc_last_modified_date"] += 60_000


def pinned_summary(slack, channel_id):
    [message] = [m for m in slack.messages(channel_id) if m.get("pinned_to")]
    return message


class TestSyncChannel:
    def test_first_run_sets_topic_bookmark_and_pins_one_summary(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        slack.clear_calls()

        outcome = sync(circuits_app, slack_sync_start=True)

        assert outcome.content["written"] == ["topic", "bookmark", "summary"]
        assert writes(slack) == {"conversations.setTopic": 1, "bookmarks.add": 1, "chat.postMessage": 1,
                                 "pins.add": 1}
        topic = slack.channel(channel_id)["topic"]
        assert topic.startswith("Low · Respond/Active · analyst@example.com · <https://")
        assert topic.endswith(f"|SOAR {INCIDENT}>")
        [mark] = slack.channel(channel_id)["bookmarks"]
        assert mark["title"] == f"SOAR incident {INCIDENT}" and f"#incidents/{INCIDENT}" in mark["link"]
        summary = pinned_summary(slack, channel_id)
        assert summary["blocks"][0]["text"]["text"] == "Phishing campaign"
        fields = [f["text"] for f in summary["blocks"][1]["fields"]]
        assert fields[:4] == ["*Severity*\nLow", "*Owner*\nanalyst@example.com", "*Phase/status*\nRespond/Active",
                              "*Open tasks*\n1"]
        [row] = soar.rows_of(INCIDENT)
        assert row["slack_db_sync"] is True
        assert json.loads(row["slack_db_sync_state"])["summary_ts"] == summary["ts"]

    def test_nothing_changed_means_no_slack_write_and_no_soar_write(self, circuits_app, slack, soar):
        link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        [before] = soar.rows_of(INCIDENT)
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert outcome.content["written"] == [] and outcome.content["slack_writes"] == 0
        assert slack.calls == []   # not even a read
        assert soar.rows_of(INCIDENT) == [before]
        assert "nothing was written to Slack" in outcome.statuses[-1]

    def test_a_severity_change_updates_topic_and_the_pinned_summary_once(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        first = pinned_summary(slack, channel_id)["ts"]
        change_incident(soar, severity_code="High")
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert outcome.content["written"] == ["topic", "summary"]
        assert writes(slack) == {"conversations.setTopic": 1, "chat.update": 1}
        assert slack.channel(channel_id)["topic"].startswith("High · Respond/Active")
        summary = pinned_summary(slack, channel_id)
        assert summary["ts"] == first and summary["blocks"][1]["fields"][0]["text"] == "*Severity*\nHigh"
        assert len([m for m in slack.messages(channel_id) if m.get("blocks")]) == 1   # never posted again

    def test_a_link_not_turned_on_is_left_alone(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert outcome.content["synced"] is False and writes(slack) == {}
        assert slack.channel(channel_id)["topic"] == ""
        assert "slack_sync_start = Yes" in outcome.statuses[-1]
        assert soar.rows_of(INCIDENT)[0].get("slack_db_sync") in (None, False)

    def test_an_archived_channel_fails_clearly_with_nothing_written(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        WebClient(token=TOKEN, base_url=slack.base_url).conversations_archive(channel=channel_id)
        change_incident(soar, severity_code="High")
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert outcome.error and "#inc-2095 is archived" in outcome.error and "nothing was written" in outcome.error
        assert writes(slack) == {}

    def test_hostile_incident_data_is_escaped_and_the_topic_fits(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        change_incident(soar, name="<!channel> <https://evil.example|click> @here",
                        owner_id="<@U0BOSS> " + "o" * 400, phase_id="<!everyone>")

        sync(circuits_app, slack_sync_start=True)

        topic = slack.channel(channel_id)["topic"]
        assert len(topic) <= 250 and topic.endswith(f"|SOAR {INCIDENT}>")
        assert "<@U0BOSS>" not in topic and "&lt;@" in topic and "<!everyone>" not in topic
        summary = pinned_summary(slack, channel_id)
        assert "<!channel>" not in summary["text"] and "&lt;!channel&gt;" in summary["text"]
        assert summary["blocks"][0]["text"]["type"] == "plain_text"   # shown as typed, never as a mention
        assert "<@U0BOSS>" not in json.dumps(summary["blocks"][1])

    def test_a_sync_state_changed_outside_fn_slack_is_refused(self, circuits_app, slack, soar):
        link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        with soar.state.lock:
            [row] = soar.state.rows[(INCIDENT, "slack_conversations_db")]
            state = json.loads(row["cells"]["slack_db_sync_state"]["value"])
            row["cells"]["slack_db_sync_state"]["value"] = json.dumps({**state, "summary_ts": "1700000000.000100"})
        change_incident(soar, severity_code="High")
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert outcome.error and "changed outside fn_slack" in outcome.error
        assert writes(slack) == {}

    def test_a_summary_deleted_in_slack_is_posted_and_pinned_again(self, circuits_app, slack, soar):
        channel_id = link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        slack.delete_message(channel_id, pinned_summary(slack, channel_id)["ts"])
        change_incident(soar, owner_id="bob@example.com")
        slack.clear_calls()

        outcome = sync(circuits_app)

        assert writes(slack) == {"conversations.setTopic": 1, "chat.update": 1, "chat.postMessage": 1, "pins.add": 1}
        assert pinned_summary(slack, channel_id)["blocks"][1]["fields"][1]["text"] == "*Owner*\nbob@example.com"
        assert any("deleted in Slack" in status for status in outcome.statuses)

    def test_a_run_that_read_the_incident_before_a_newer_run_wrote_leaves_the_newer_severity(
            self, circuits_app, slack, soar):
        # Two changes in a row start two runs: the first has read the incident (Low) when the severity becomes
        # High and the second run starts. The channel must end showing High, never the older Low.
        channel_id = link(soar, slack)
        sync(circuits_app, slack_sync_start=True)
        change_incident(soar, severity_code="Medium")
        second_started, second_done = threading.Event(), threading.Event()

        def severity_changes_as_the_first_run_reads() -> None:
            change_incident(soar, severity_code="High")
            second_started.set()
            second_done.wait(3)   # the second run finishes now, unless it waits for the first

        soar.on_arrival("GET", rf"/incidents/{INCIDENT}/tasks", severity_changes_as_the_first_run_reads)
        first: dict = {}
        runner = threading.Thread(target=lambda: first.update(outcome=sync(circuits_app)))
        runner.start()
        assert second_started.wait(10)
        second = sync(circuits_app)
        second_done.set()
        runner.join(30)

        assert first["outcome"].error is None and second.error is None
        assert slack.channel(channel_id)["topic"].startswith("High · ")
        assert pinned_summary(slack, channel_id)["blocks"][1]["fields"][0]["text"] == "*Severity*\nHigh"

    @pytest.mark.parametrize("incident_id", ["abc", -1])
    def test_a_bad_incident_id_is_named(self, circuits_app, slack, soar, incident_id):
        slack.clear_calls()
        outcome = sync(circuits_app, incident_id=incident_id)
        assert outcome.error and "incident_id" in outcome.error and writes(slack) == {}
