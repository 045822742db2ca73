"""Several `resilient-circuits run` processes on one destination: work is shared, nothing runs twice, and a
process killed in the middle of a call has its message finished by another.

Runs on the SOAR sandbox's built-in broker with two processes, and on Apache ActiveMQ (SOAR's broker) with
two and with three (skipped where ActiveMQ is not installed; `make activemq` installs it)."""

from __future__ import annotations

import collections
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient

from sandbox.soar.circuits import CircuitsProcess, write_app_config

from .conftest import QUEUE, assert_each_answered_once, customized, redelivery_wait, require_broker

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
KEYS = {"run-a": ("app-key-a", "app-secret-a"), "run-b": ("app-key-b", "app-secret-b"),
        "run-c": ("app-key-c", "app-secret-c")}
SETUPS = [("builtin", 2), ("activemq", 2), ("activemq", 3)]
LEASE_SECONDS = 5   # event_claim_seconds: a killed process's claim of a channel is taken over after it


@pytest.fixture(scope="module", params=SETUPS, ids=[f"{broker}-{n}-processes" for broker, n in SETUPS])
def scale_stack(request):
    """The customized sandboxes on one broker, and how many `run` processes share the destination."""
    broker, count = request.param
    require_broker(broker)
    with customized(broker) as stack:
        yield stack, count


@pytest.fixture(scope="module")
def app_configs(scale_stack):
    """One app.config per process, each with its own API key so deliveries can be told apart."""
    stack, count = scale_stack
    configs = {}
    for name, key in list(KEYS.items())[:count]:
        stack.soar.add_api_key(*key)
        configs[key[0]] = (name, write_app_config(stack.workdir, stack.soar, stack.slack.base_url,
                                                  name=f"{name}.config", api_key=key, num_workers=10,
                                                  fn_slack={"event_claim_seconds": str(LEASE_SECONDS)}))
    return configs


@pytest.fixture
def two_runs(scale_stack, app_configs):
    """All processes consume actions.201.slack; one killed by an earlier test is started again."""
    stack, count = scale_stack
    live = {p.config: p for p in stack.processes if p.running()}
    processes: dict[str, CircuitsProcess] = {}
    for login, (name, config) in app_configs.items():
        processes[login] = live.get(config) or stack.start_run(name, config=config, consumers=len(live) + 1)
        live[config] = processes[login]
    assert stack.soar.broker.wait_for_consumers(QUEUE, count)
    return stack, processes


def _post_incident(stack, incident_id: int, channel: str, timeout: float | None = None):
    return stack.driver.click(POST_INCIDENT, incident_id=incident_id, timeout=timeout,
                              properties={"rule_slack_channel": channel, "rule_slack_is_channel_private": False,
                                          "rule_slack_text": "scale-out"})


def test_fifty_invocations_are_each_processed_exactly_once_across_the_processes(two_runs):
    stack, processes = two_runs
    incidents = [stack.soar.create_incident(f"Scale-out incident {i}") for i in range(50)]
    # A process's STOMP connection may drop under load (resilient-circuits drops a connection silent for 2 x 15 s,
    # and ActiveMQ's heart-beats to it can come nearly that far apart): each click waits as long as a redelivery
    # takes, and a message is delivered again only when the connection that held it dropped.
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda inc: _post_incident(stack, inc["id"], f"scale-{inc['id']}",
                                                           timeout=redelivery_wait()), incidents))

    failed = [r.report() for r in results if not r.completed]
    assert not failed, "\n".join(failed[:3]) + stack.logs()
    assert_each_answered_once(stack, results)
    ours = {r.message_id for r in results}
    deliveries = [d for d in stack.soar.broker.deliveries if d[0] in ours]
    by_process = collections.Counter(login for _, login, _ in deliveries)
    assert set(by_process) == set(processes), f"every process took work: {by_process}"
    for incident in incidents:
        channel = stack.slack.channel(f"scale-{incident['id']}")
        assert len(stack.slack.messages(channel["id"])) == 1
        assert len(stack.soar.state.rows_of(incident["id"])) == 1
        assert len(stack.soar.state.notes_of(incident["id"])) == 1


def test_simultaneous_first_posts_for_the_same_incidents_create_each_channel_once(two_runs):
    """Ten new incidents, three first posts each, all published at once in shuffled order over every process:
    every call succeeds, each incident has one channel and one link row, and Slack answered exactly one
    conversations.create per channel (no name_taken: no creation of the workspace's 20 a minute wasted)."""
    stack, processes = two_runs
    incidents = [stack.soar.create_incident(f"Simultaneous first posts {i}")["id"] for i in range(10)]
    names = {incident_id: f"first-{incident_id}" for incident_id in incidents}
    posts = [incident_id for incident_id in incidents for _ in range(3)]
    random.Random(21).shuffle(posts)
    # Each creation takes a second, so one process's workers (and its broker prefetch of num_workers) stay busy
    # and the broker hands the rest to the others: every process meets the race.
    stack.slack.faults.add("conversations.create", "delay", delay=1.0, times=len(incidents))
    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        results = list(pool.map(lambda incident_id: _post_incident(stack, incident_id, names[incident_id]), posts))

    failed = [r.report() for r in results if not r.completed]
    assert not failed, "\n".join(failed[:3]) + stack.logs()
    ours = {r.message_id for r in results}
    by_process = collections.Counter(login for mid, login, _ in stack.soar.broker.deliveries if mid in ours)
    assert set(by_process) == set(processes), f"every process took first posts: {by_process}"
    creates = [c for c in stack.slack.calls_to("conversations.create") if c.params.get("name") in names.values()]
    assert [c.error for c in creates if not c.ok] == [], "no creation was refused (name_taken, ratelimited)"
    assert len(creates) == len(incidents), f"{len(creates)} conversations.create answers for {len(incidents)} channels"
    for incident_id, name in names.items():
        named = [c for c in stack.slack.state_json()["channels"] if c["name"] == name]
        assert len(named) == 1
        assert len(stack.slack.messages(named[0]["id"])) == 3
        [row] = stack.soar.state.rows_of(incident_id)
        assert row["slack_db_channel_id"] == named[0]["id"]
        assert stack.soar.state.rows_of(incident_id, "slack_messages_db") == [], "every claim was removed"


def test_a_process_killed_mid_call_has_its_message_completed_by_another(two_runs):
    stack, processes = two_runs
    incident = stack.soar.create_incident("Killed mid-call")
    channel = f"killed-{incident['id']}"
    # The post hangs in Slack long enough for the process that holds the message to be killed.
    stack.slack.faults.add("chat.postMessage", "delay", delay=4.0)
    outcome = {}
    clicker = threading.Thread(target=lambda: outcome.setdefault("result", _post_incident(stack, incident["id"],
                                                                                          channel)))
    clicker.start()

    holder = _wait_for(lambda: stack.soar.broker.holders(QUEUE) and stack.slack.calls_to("conversations.create")
                       and stack.slack.channel(channel) is not None)
    assert holder, "the call never got as far as creating the channel"
    [(message_id, login)] = stack.soar.broker.holders(QUEUE)
    time.sleep(0.5)  # the worker is now inside chat.postMessage
    processes[login].kill()
    killed = time.monotonic()
    clicker.join(90)

    result = outcome["result"]
    assert result.completed, result.report() + stack.logs()
    delivered_to = [who for mid, who, _ in stack.soar.broker.deliveries if mid == message_id]
    assert len(delivered_to) == 2 and delivered_to[0] == login, delivered_to
    assert delivered_to[1] in processes and delivered_to[1] != login, "redelivered to a live process"
    named = [c for c in stack.slack.state_json()["channels"] if c["name"] == channel]
    assert len(named) == 1, "the retry reused the channel the killed process had created"
    # The killed process held the channel's claim: it was waited out for the lease, then taken over, and Slack's
    # name_taken for the claimed name found the channel.
    assert any(f"Another integration server is creating or finding the channel #{channel}" in m
               for m in result.status_messages), result.report()
    creates = [c.error for c in stack.slack.calls_to("conversations.create") if c.params.get("name") == channel]
    assert creates == [None, "name_taken"], creates
    assert stack.soar.state.rows_of(incident["id"], "slack_messages_db") == []
    assert len(stack.soar.state.rows_of(incident["id"])) == 1
    assert len(stack.soar.state.notes_of(incident["id"])) == 1
    # The killed process's post lands after it died: the redelivered run waits for it instead of posting again.
    time.sleep(max(0.0, 4.5 - (time.monotonic() - killed)))
    assert len(stack.slack.messages(named[0]["id"])) == 1, "posted once: the late post was waited for"


def test_an_archive_killed_after_saving_the_history_is_finished_once_by_another_process(two_runs):
    stack, processes = two_runs
    incident = stack.soar.create_incident("Archive interrupted")
    channel = f"archive-{incident['id']}"
    assert _post_incident(stack, incident["id"], channel).completed
    stack.slack.add_message(stack.slack.channel(channel)["id"], "alice", "Nothing may be lost")
    stack.slack.faults.add("conversations.archive", "delay", delay=4.0)
    outcome = {}
    clicker = threading.Thread(target=lambda: outcome.setdefault("result", stack.driver.click(
        "Example: Archive Incident Slack Channel", incident_id=incident["id"], properties={})))
    clicker.start()

    assert _wait_for(lambda: stack.soar.broker.holders(QUEUE) and stack.soar.state.attachments_of(incident["id"]))
    [(message_id, login)] = stack.soar.broker.holders(QUEUE)
    time.sleep(0.5)  # the worker is now inside conversations.archive
    processes[login].kill()
    clicker.join(90)

    result = outcome["result"]
    assert result.completed, result.report() + stack.logs()
    assert len({who for mid, who, _ in stack.soar.broker.deliveries if mid == message_id}) == 2
    assert stack.slack.channel(channel)["is_archived"]
    [saved] = stack.soar.state.attachments_of(incident["id"])
    history = stack.soar.state.attachment_files[saved["id"]].decode("utf-8")
    assert "Nothing may be lost" in history
    notices = [m for m in stack.slack.messages(stack.slack.channel(channel)["id"])
               if m.get("text") == "This channel has been set to be archived from SOAR."]
    assert len(notices) == 1, "the rerun reuses the notice the killed process posted"


def test_two_first_posts_for_one_incident_in_two_processes_leave_one_row(two_runs):
    stack, _ = two_runs
    incident = stack.soar.create_incident("Two analysts click at once")
    channel = f"race-{incident['id']}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: _post_incident(stack, incident["id"], channel), range(2)))
    assert all(r.completed for r in results), [r.report() for r in results]
    deliveries = [who for mid, who, _ in stack.soar.broker.deliveries if mid in {r.message_id for r in results}]
    assert len(deliveries) == 2 and len(set(deliveries)) == 2, f"the clicks went to two processes: {deliveries}"
    named = [c for c in stack.slack.state_json()["channels"] if c["name"] == channel]
    assert len(named) == 1
    assert len(stack.soar.state.rows_of(incident["id"])) == 1


ARCHIVE_INCIDENT = "Example: Archive Incident Slack Channel"
NOTICE = "This channel has been set to be archived from SOAR."


def _newest_history(stack, incident_id: int) -> str:
    saved = stack.soar.state.attachments_of(incident_id)
    assert saved, "no history was saved"
    newest = max(saved, key=lambda a: a["id"])
    return stack.soar.state.attachment_files[newest["id"]].decode("utf-8")


def test_a_post_while_the_channel_is_being_archived_is_in_the_saved_history(two_runs):
    """One process archives; another posts to the same incident after the history was saved and before the
    archive's final read answers: the post is in the saved history (Slack takes the app out of the channel
    once it is archived, so the archive checks what was written before it archives, never after)."""
    stack, _ = two_runs
    incident = stack.soar.create_incident("Post during archive")
    channel = f"during-{incident['id']}"
    assert _post_incident(stack, incident["id"], channel).completed

    def late_post_landed() -> bool:
        found = stack.slack.channel(channel)
        return bool(found and any("late finding" in str(m.get("attachments")) + m.get("text", "")
                                  for m in stack.slack.messages(found["id"])))

    def final_read_waits_for_the_post() -> None:
        if stack.soar.state.attachments_of(incident["id"]):   # the history is saved: this is the final read
            _wait_for(late_post_landed)

    stack.slack.faults.add("conversations.history", "delay", delay=0, times=1000,
                           on_fire=final_read_waits_for_the_post)
    try:
        outcome = {}
        archiver = threading.Thread(target=lambda: outcome.setdefault("archive", stack.driver.click(
            ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})))
        archiver.start()
        assert _wait_for(lambda: stack.soar.state.attachments_of(incident["id"]))   # exported and saved

        late = stack.driver.click(POST_INCIDENT, incident_id=incident["id"], properties={
            "rule_slack_channel": channel, "rule_slack_is_channel_private": False, "rule_slack_text": "late finding"})
        archiver.join(90)
    finally:
        stack.slack.faults.clear()

    archived = outcome["archive"]
    assert late.completed, late.report() + stack.logs()
    assert archived.completed, archived.report() + stack.logs()
    assert stack.slack.channel(channel)["is_archived"]
    assert "late finding" in _newest_history(stack, incident["id"])


def test_a_process_killed_after_archiving_is_answered_by_the_redelivery_as_archived(two_runs):
    """The archive takes effect but the process dies before it answers SOAR; the redelivered message finds the
    channel archived (Slack has taken the app out of it) and its own export saved: the action succeeds."""
    stack, processes = two_runs
    incident = stack.soar.create_incident("Killed after archiving")
    channel = f"killed-{incident['id']}"
    assert _post_incident(stack, incident["id"], channel).completed
    stack.slack.faults.add("conversations.archive", "after_commit", then="timeout", delay=8.0)
    outcome = {}
    clicker = threading.Thread(target=lambda: outcome.setdefault("result", stack.driver.click(
        ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})))
    clicker.start()

    def archived() -> bool:
        return bool(stack.slack.channel(channel)["is_archived"] and stack.soar.broker.holders(QUEUE))

    assert _wait_for(archived), "the archive never took effect"
    [(message_id, login)] = stack.soar.broker.holders(QUEUE)
    processes[login].kill()
    clicker.join(90)
    stack.slack.faults.clear()

    result = outcome["result"]
    assert result.completed, result.report() + stack.logs()
    assert len({who for mid, who, _ in stack.soar.broker.deliveries if mid == message_id}) == 2
    assert [a["name"] for a in stack.soar.state.attachments_of(incident["id"])] == \
        [f"Slack_channel_{channel}_history.txt"]
    assert any(f"#{channel} was archived by this action's first delivery" in m for m in result.status_messages), \
        result.report()
    channel_id = stack.slack.channel(channel)["id"]
    assert [m.get("subtype") for m in stack.slack.messages(channel_id, system=True)].count("channel_archive") == 1


def test_a_reply_written_after_a_failed_archive_is_saved_by_the_next_one(two_runs):
    """Archive run 1 saves the history but Slack refuses to archive; a person replies to the notice; run 2
    (in whichever process) must not archive on the old export alone."""
    stack, _ = two_runs
    incident = stack.soar.create_incident("Wait, don't archive")
    channel = f"rerun-{incident['id']}"
    assert _post_incident(stack, incident["id"], channel).completed
    stack.slack.faults.add("conversations.archive", "slack_error", error="restricted_action")
    first = stack.driver.click(ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})
    assert not first.completed and "restricted_action" in (first.error or ""), first.report()
    channel_id = stack.slack.channel(channel)["id"]
    notice = next(m for m in stack.slack.messages(channel_id) if m.get("text") == NOTICE)
    alice = WebClient(token=stack.slack.user_token("alice"), base_url=stack.slack.base_url)
    stack.slack.add_member(channel_id, "alice")
    alice.chat_postMessage(channel=channel_id, thread_ts=notice["ts"], text="wait, don't archive yet")

    second = stack.driver.click(ARCHIVE_INCIDENT, incident_id=incident["id"], properties={})

    assert second.completed, second.report() + stack.logs()
    assert stack.slack.channel(channel)["is_archived"]
    assert "wait, don't archive yet" in _newest_history(stack, incident["id"])


def test_a_process_killed_after_its_post_landed_is_not_posted_again_by_the_other(two_runs):
    """The post takes effect in Slack but its answer never reaches the process, which is then killed: the
    redelivered message finds the post by its key instead of posting again."""
    stack, processes = two_runs
    incident = stack.soar.create_incident("Killed after the post landed")
    channel = f"landed-{incident['id']}"
    stack.slack.faults.add("chat.postMessage", "after_commit", then="timeout", delay=8.0)
    outcome = {}
    clicker = threading.Thread(target=lambda: outcome.setdefault("result", _post_incident(stack, incident["id"],
                                                                                          channel)))
    clicker.start()

    def landed() -> bool:
        found = stack.slack.channel(channel)
        return bool(found and stack.slack.messages(found["id"]) and stack.soar.broker.holders(QUEUE))

    assert _wait_for(landed), "the post never landed"
    [(message_id, login)] = stack.soar.broker.holders(QUEUE)
    processes[login].kill()
    clicker.join(90)

    result = outcome["result"]
    assert result.completed, result.report() + stack.logs()
    assert len({who for mid, who, _ in stack.soar.broker.deliveries if mid == message_id}) == 2
    assert len(stack.slack.messages(stack.slack.channel(channel)["id"])) == 1, "posted once, not again"
    assert len(stack.soar.state.rows_of(incident["id"])) == 1


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
