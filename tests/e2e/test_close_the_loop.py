"""Closing the loop, end to end through a real `resilient-circuits run`: closing an incident whose channel is kept
in step makes SOAR start *Example: Archive the Slack channel when the incident closes* (and *Example: Slack channel
follows the incident*): the channel gets the closing summary once, its conversation — summary included — is saved
on the incident, and it is archived. Reopening the incident starts the follow playbook, which links a new channel
(Slack apps cannot unarchive) whose topic follows the incident."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

NOTICE = "This channel has been set to be archived from SOAR."
EXPORT = "Slack_channel_inc-closes_history.txt"
CLOSES = "Example: Archive the Slack channel when the incident closes"
FOLLOWS = "Example: Slack channel follows the incident"


@pytest.fixture
def stack(running_stack: Stack) -> Iterator[Stack]:
    running_stack.driver.watch_incidents()
    running_stack.driver.automatic_runs.clear()
    yield running_stack
    running_stack.driver.stop_watching_incidents()


def runs_of(stack: Stack, count: int) -> dict[str, object]:
    runs = stack.driver.wait_for_automatic_runs(timeout=120)
    assert len(runs) == count, "\n".join(r.report() for r in runs) or "no automatic playbook ran"
    stack.driver.automatic_runs.clear()
    return {run.rule: run for run in runs}


def slack_calls(stack: Stack) -> dict[str, int]:
    counted: dict[str, int] = {}
    for call in stack.slack.calls:
        counted[call.method] = counted.get(call.method, 0) + 1
    return counted


def test_closing_archives_the_channel_with_its_export_and_reopening_links_a_new_one(stack, capsys):
    incident = stack.soar.create_incident("Phishing: close the loop")
    posted = stack.driver.click("Example: Post Incident to Slack", incident_id=incident["id"],
                                properties={"rule_slack_channel": "inc-closes",
                                            "rule_slack_is_channel_private": False})
    assert posted.completed, posted.report()
    old_id = stack.slack.channel("inc-closes")["id"]
    started = stack.driver.click("Example: Keep Slack Channel in Step", incident_id=incident["id"])
    assert started.completed, started.report()
    stack.slack.add_message(old_id, stack.slack.user("alice")["id"], "All 3 passwords reset.")

    stack.slack.clear_calls()
    stack.driver.edit_incident(incident["id"], {"plan_status": "C", "resolution_id": "Resolved",
                                                "resolution_summary": "<p>Passwords reset, mail blocked.</p>"})
    closed = runs_of(stack, 2)

    assert closed[CLOSES].completed, closed[CLOSES].report()
    assert closed[FOLLOWS].completed, closed[FOLLOWS].report()
    assert stack.slack.channel(old_id)["is_archived"]
    summaries = [m for m in stack.slack.messages(old_id) if str(m.get("text", "")).startswith(NOTICE)]
    assert len(summaries) == 1 and summaries[0]["blocks"][0]["text"]["text"] == "Phishing: close the loop"
    [export] = [a for a in stack.soar.state.attachments_of(incident["id"], None) if a["name"] == EXPORT]
    text = stack.soar.state.attachment_files[export["id"]].decode("utf-8")
    assert "All 3 passwords reset." in text
    assert "Status: Closed\nResolution: Resolved\n" in text and "Passwords reset, mail blocked." in text

    on_close = slack_calls(stack)
    stack.slack.clear_calls()
    stack.driver.edit_incident(incident["id"], {"plan_status": "A"})
    reopened = runs_of(stack, 1)[FOLLOWS]
    on_reopen = slack_calls(stack)

    assert reopened.completed and reopened.content["channel"] == "inc-closes-2", reopened.report()
    new = stack.slack.channel("inc-closes-2")
    assert not new["is_archived"] and new["topic"].startswith("Low · Respond/Active · ")
    said = [m["text"] for m in stack.slack.messages(new["id"]) if "reopened" in str(m.get("text"))]
    assert len(said) == 1 and f"<#{old_id}|inc-closes> is archived" in said[0] and EXPORT in said[0]

    stack.driver.edit_incident(incident["id"], {"severity_code": "High"})
    followed = runs_of(stack, 1)[FOLLOWS]
    assert followed.completed and followed.content["written"] == ["topic", "summary"], followed.report()
    assert stack.slack.channel(new["id"])["topic"].startswith("High · Respond/Active · ")
    assert on_reopen.get("conversations.create") == 1 and on_close.get("conversations.archive") == 1

    with capsys.disabled():
        print(f"\nSlack calls when the incident closes (both playbooks): {sum(on_close.values())}, {on_close}"
              f"\nSlack calls when it reopens: {sum(on_reopen.values())}, {on_reopen}")
