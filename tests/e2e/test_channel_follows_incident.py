"""The channel follows its incident, end to end through a real `resilient-circuits run`: the menu item *Example:
Keep Slack Channel in Step* turns it on; SOAR starts the automatic playbook *Example: Slack channel follows the
incident* when the severity changes, and the topic and the pinned summary change once (two Slack writes, no new
post); a change the channel does not show starts nothing; an owner change shows. (Closing and reopening:
test_close_the_loop.py.) Prints the Slack calls per incident change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

WRITES = ("conversations.setTopic", "bookmarks.add", "bookmarks.edit", "chat.postMessage", "chat.update",
          "pins.add", "conversations.archive")


@pytest.fixture
def stack(running_stack: Stack) -> Iterator[Stack]:
    running_stack.driver.watch_incidents()
    running_stack.driver.automatic_runs.clear()
    yield running_stack
    running_stack.driver.stop_watching_incidents()


def slack_calls(stack: Stack) -> dict[str, int]:
    counted = {}
    for call in stack.slack.calls:
        counted[call.method] = counted.get(call.method, 0) + 1
    return counted


def writes(calls: dict[str, int]) -> dict[str, int]:
    return {method: count for method, count in calls.items() if method in WRITES}


def one_run(stack: Stack):
    runs = stack.driver.wait_for_automatic_runs(timeout=90)
    assert len(runs) == 1, "\n".join(r.report() for r in runs) or "no automatic playbook ran"
    stack.driver.automatic_runs.clear()
    return runs[0]


def pinned(stack: Stack, channel_id: str) -> list[dict]:
    return [m for m in stack.slack.messages(channel_id) if m.get("pinned_to")]


def test_a_severity_change_updates_topic_and_pinned_summary_once(stack, capsys):
    incident = stack.soar.create_incident("Phishing: the channel follows")
    posted = stack.driver.click("Example: Post Incident to Slack", incident_id=incident["id"],
                                properties={"rule_slack_channel": "inc-follows",
                                            "rule_slack_is_channel_private": False})
    assert posted.completed, posted.report()
    channel_id = stack.slack.channel("inc-follows")["id"]

    started = stack.driver.click("Example: Keep Slack Channel in Step", incident_id=incident["id"])
    assert started.completed and started.content["written"] == ["topic", "bookmark", "summary"], started.report()
    [summary] = pinned(stack, channel_id)
    assert stack.slack.channel(channel_id)["topic"].startswith("Low · Respond/Active · ")

    stack.slack.clear_calls()
    stack.driver.edit_incident(incident["id"], {"severity_code": "High"})
    run = one_run(stack)
    assert run.completed and run.content["written"] == ["topic", "summary"], run.report()
    per_change = slack_calls(stack)
    assert writes(per_change) == {"conversations.setTopic": 1, "chat.update": 1}, per_change
    assert stack.slack.channel(channel_id)["topic"].startswith("High · Respond/Active · ")
    [updated] = pinned(stack, channel_id)
    assert updated["ts"] == summary["ts"] and updated["blocks"][1]["fields"][0]["text"] == "*Severity*\nHigh"

    stack.slack.clear_calls()
    stack.driver.edit_incident(incident["id"], {"description": "more details"})   # not shown in the channel
    assert stack.driver.wait_for_automatic_runs(timeout=30) == [] and writes(slack_calls(stack)) == {}

    stack.slack.clear_calls()
    stack.driver.edit_incident(incident["id"], {"owner_id": "bob@example.com"})
    owner = one_run(stack)
    assert owner.completed and owner.content["written"] == ["topic", "summary"], owner.report()
    assert " · bob@example.com · " in stack.slack.channel(channel_id)["topic"]

    with capsys.disabled():
        print(f"\nSlack calls for one severity change (automatic playbook → slack_sync_channel): "
              f"{sum(per_change.values())} in all, {per_change}")
